// Command slowhandler is a minimal custom handler for the test host's own
// tests: it answers GET / at once, and POST /ProcessStep after sleeping as
// long as the message says ("sleep:2s"), the first time only (a marker file
// in the app root remembers it across restarts).
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	marker := filepath.Join(os.Getenv("FUNCTIONS_APP_ROOT_PATH"), "slept")
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("POST /ProcessStep", func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Data map[string]json.RawMessage }
		json.NewDecoder(r.Body).Decode(&env)
		var once, body string
		json.Unmarshal(env.Data["msg"], &once)
		json.Unmarshal([]byte(once), &body)
		if d, ok := strings.CutPrefix(body, "sleep:"); ok && os.WriteFile(marker+".tmp", nil, 0o644) == nil && os.Link(marker+".tmp", marker) == nil {
			dur, _ := time.ParseDuration(d)
			time.Sleep(dur)
		}
		fmt.Fprintln(os.Stdout, "processed", body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil)
}
