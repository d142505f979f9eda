package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Transport is an http.RoundTripper that validates every answer to a path
// the document covers (see Validator.Covers) and keeps what failed. It reads
// such an answer's body in full and hands the caller an identical copy.
type Transport struct {
	Base      http.RoundTripper
	Validator *Validator

	mu       sync.Mutex
	checked  int
	failures []string
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(req)
	if err != nil || !t.Validator.Covers(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		// The caller sees the same truncated body and its own error.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return resp, nil
	}
	verr := t.Validator.Check(req, resp.StatusCode, resp.Header, body)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checked++
	if verr != nil {
		t.failures = append(t.failures, fmt.Sprintf("%v\n    body: %.400s", verr, body))
	}
	return resp, nil
}

// Result returns how many answers were checked and what failed.
func (t *Transport) Result() (checked int, failures []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked, append([]string(nil), t.failures...)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
