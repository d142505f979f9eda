package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/manifest"
)

// fakeAPI answers as API v1 does; handler decides per call.
type fakeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []*http.Request
	body  []byte
}

func newAPI(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *fakeAPI {
	a := &fakeAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.calls = append(a.calls, r)
		if r.Body != nil && r.Method == http.MethodPost {
			a.body = readAll(r)
		}
		a.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func readAll(r *http.Request) []byte {
	var b bytes.Buffer
	b.ReadFrom(r.Body)
	return b.Bytes()
}

// runCLI runs the client in process; waits are recorded, not slept.
func runCLI(t *testing.T, environ map[string]string, args ...string) (stdout, stderr string, code int, waits []time.Duration) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] },
		after: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			c := make(chan time.Time, 1)
			c <- time.Now()
			return c
		}}
	code = run(context.Background(), e, args)
	return out.String(), errb.String(), code, waits
}

func statusJSON(id, state string, discovered, done int) string {
	return fmt.Sprintf(`{"requestId":%q,"state":%q,"counts":{"discovered":%d,"succeeded":%d,"failed":0,"skipped":0,"pending":%d},"errors":[]}`,
		id, state, discovered, done, discovered-done)
}

// TestSubmitSendsTheRequest: flags become the request body; the key goes
// as x-functions-key; the status document is printed.
func TestSubmitSendsTheRequest(t *testing.T) {
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/api/dsr/requests/r1")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, statusJSON("r1", "accepted", 0, 0))
	})
	out, errs, code, _ := runCLI(t, map[string]string{"AMLDSR_URL": api.URL, "AMLDSR_KEY": "k1"},
		"submit", "delete", "--target", "/subscriptions/s/resourceGroups/a", "/subscriptions/s/resourceGroups/b",
		"--upn", "u@contoso.com", "--subject-object-id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "--match", "subject", "--dry-run", "--request-id", "r1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var body map[string]any
	if err := json.Unmarshal(api.body, &body); err != nil {
		t.Fatal(err)
	}
	want := `{"dryRun":true,"match":"subject","operation":"delete","requestId":"r1","subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","userPrincipalName":"u@contoso.com"},"targets":["/subscriptions/s/resourceGroups/a","/subscriptions/s/resourceGroups/b"]}`
	if got, _ := json.Marshal(body); string(got) != want {
		t.Errorf("body %s\nwant %s", got, want)
	}
	r := api.calls[0]
	if r.Method != http.MethodPost || r.URL.Path != "/api/dsr/requests" || r.Header.Get("x-functions-key") != "k1" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("call %s %s key %q", r.Method, r.URL.Path, r.Header.Get("x-functions-key"))
	}
	var st statusDoc
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.RequestID != "r1" {
		t.Errorf("stdout %q: %v", out, err)
	}
}

// TestProblemShownReadably: a problem+json answer is shown as its title,
// detail and field errors, and the exit status is 2.
func TestProblemShownReadably(t *testing.T) {
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"type":"tag:amldsr,2026:problem:validation","title":"Invalid request","status":400,"detail":"the request body is not a valid data-subject request","errors":[{"field":"targets[0]","message":"not a resource the catalog knows"}]}`)
	})
	out, errs, code, _ := runCLI(t, nil, "submit", "export", "--target", "/x", "--url", api.URL)
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"400 Bad Request: Invalid request", "the request body is not a valid data-subject request", "targets[0]: not a resource the catalog knows"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "{") {
		t.Errorf("raw JSON on stderr:\n%s", errs)
	}
}

// TestWaitFollowsLocation: --wait polls the Location it was given, waits
// what Retry-After asks, prints a line per change without a terminal, and
// exits 0 on succeeded, 1 on failed. The key goes only to the API's
// origin, not to a Location elsewhere.
func TestWaitFollowsLocation(t *testing.T) {
	for _, final := range []string{"succeeded", "failed"} {
		t.Run(final, func(t *testing.T) {
			polls := 0
			other := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				polls++
				if polls < 3 {
					w.Header().Set("Retry-After", "3")
					w.Header().Set("Location", r.URL.String())
					w.WriteHeader(http.StatusAccepted)
					fmt.Fprint(w, statusJSON("r1", "running", 5, polls+1))
					return
				}
				fmt.Fprint(w, statusJSON("r1", final, 5, 5))
			})
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", other.URL+"/api/dsr/requests/r1?code=secret")
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusAccepted)
				fmt.Fprint(w, statusJSON("r1", "accepted", 0, 0))
			})
			out, errs, code, waits := runCLI(t, map[string]string{"AMLDSR_KEY": "k1"}, "submit", "export", "--target", "/x", "--wait", "--url", api.URL)
			want := 0
			if final == "failed" {
				want = 1
			}
			if code != want {
				t.Fatalf("exit %d, want %d: %s", code, want, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			wantLines := []string{
				"r1 accepted: 0 of 0 steps done (0 succeeded, 0 failed, 0 skipped)",
				"r1 running: 2 of 5 steps done (2 succeeded, 0 failed, 0 skipped)",
				"r1 running: 3 of 5 steps done (3 succeeded, 0 failed, 0 skipped)",
				fmt.Sprintf("r1 %s: 5 of 5 steps done (5 succeeded, 0 failed, 0 skipped)", final),
				fmt.Sprintf("r1 %s: 5 steps, 5 succeeded, 0 failed, 0 skipped", final),
			}
			if !slices.Equal(lines, wantLines) {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, strings.Join(wantLines, "\n"))
			}
			if !slices.Equal(waits, []time.Duration{2 * time.Second, 3 * time.Second, 3 * time.Second}) {
				t.Errorf("waits %v", waits)
			}
			for _, r := range other.calls {
				if r.Header.Get("x-functions-key") != "" || r.URL.Query().Get("code") != "secret" {
					t.Errorf("poll of another origin: key %q, code %q", r.Header.Get("x-functions-key"), r.URL.Query().Get("code"))
				}
			}
			if strings.Contains(errs, "secret") {
				t.Errorf("the Location's code was shown: %s", errs)
			}
		})
	}
}

// TestResultsAllPages: every page, one compact JSON line per record, flags
// after the id.
func TestResultsAllPages(t *testing.T) {
	var api *fakeAPI
	api = newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("continuationToken") {
		case "":
			fmt.Fprintf(w, `{"value":[{"n": 1},{"n": 2}],"nextLink":%q}`, api.URL+"/api/dsr/requests/r1/results?continuationToken=p2")
		case "p2":
			fmt.Fprintf(w, `{"value":[{"n":3}],"nextLink":%q}`, api.URL+"/api/dsr/requests/r1/results?continuationToken=p3")
		default:
			fmt.Fprint(w, `{"value":[{"n":4},{"n":5}]}`)
		}
	})
	out, errs, code, _ := runCLI(t, nil, "results", "r1", "--url", api.URL, "--key", "k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out != "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n" {
		t.Errorf("stdout %q", out)
	}
	for _, r := range api.calls {
		if r.URL.Path != "/api/dsr/requests/r1/results" || r.Header.Get("x-functions-key") != "k" {
			t.Errorf("call %s key %q", r.URL, r.Header.Get("x-functions-key"))
		}
	}
}

// TestVerifyExitStatus: 0 for a clean bundle, 1 naming the changed file.
func TestVerifyExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("request.json", `{}`)
	write("export/a.json", `{"a":1}`)
	m, err := manifest.BuildFrom(context.Background(), manifest.DirSource(dir), "r1")
	if err != nil {
		t.Fatal(err)
	}
	write("manifest.json", string(m.Encode()))
	write("summary.json", `{"manifestSha256":"`+manifest.Digest(m.Encode())+`"}`)
	if out, _, code, _ := runCLI(t, nil, "verify", dir); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("clean: exit %d %s", code, out)
	}
	write("export/a.json", `{"a":2}`)
	out, _, code, _ := runCLI(t, nil, "verify", dir)
	if code != 1 || !strings.Contains(out, "changed  export/a.json: sha256") {
		t.Fatalf("tampered: exit %d %s", code, out)
	}
}

// TestUsage: an unknown command or operation is a usage error (2).
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"submit", "erase", "--target", "/x"}, {"status"}, {"fetch", "r1"}} {
		if _, _, code, _ := runCLI(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
