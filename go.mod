module amldsr

go 1.26.8
