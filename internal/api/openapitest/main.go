package openapitest

import (
	"fmt"
	"net/http"
	"os"
	"testing"
)

// Main is the body of a test package's TestMain: it wraps
// http.DefaultTransport (which every HTTP client of the process without a
// transport of its own uses) with a Transport validating against doc,
// hands it to keep (nil: not kept), runs the tests, and exits failing when
// any answer did not match the document, listing each with its call.
func Main(m *testing.M, doc []byte, keep func(*Transport)) {
	v, err := New(doc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.json:", err)
		os.Exit(1)
	}
	tr := &Transport{Base: http.DefaultTransport, Validator: v}
	http.DefaultTransport = tr
	if keep != nil {
		keep(tr)
	}
	code := m.Run()
	checked, failures := tr.Result()
	if len(failures) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d of %d answers of the API do not match internal/api/openapi.json:\n", len(failures), checked)
		for _, f := range failures {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		code = 1
	} else if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "%d answers of the API match internal/api/openapi.json\n", checked)
	}
	os.Exit(code)
}
