// Package contenttest serves synthetic artifact content for tests and
// benchmarks: a body of any length that is computed, not held, behind a
// pre-signed https URL on loopback, as the service's SAS URLs are.
package contenttest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// Pattern is a body of N bytes in which each byte depends on its offset, so
// a block out of place changes it. It allocates nothing.
type Pattern struct{ N, off int64 }

func (r *Pattern) Read(p []byte) (int, error) {
	if r.off >= r.N {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.N-r.off)]
	for i := range p {
		p[i] = byte(uint64(r.off+int64(i)) * 0x9E3779B97F4A7C15 >> 56)
	}
	r.off += int64(len(p))
	return len(p), nil
}

// Digest is the SHA-256 of r's bytes, and how many there were.
func Digest(r io.Reader) ([]byte, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return h.Sum(nil), n, err
}

// Secret is the signature every URL of Serve carries, as a SAS carries sig.
const Secret = "c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ="

// Serve starts an https server on loopback whose URL /content/{n}?sig=Secret
// answers n bytes of Pattern with their Content-Length; anything else is 403
// or 404. It returns the server (stopped when tb ends) and the URL of size
// bytes.
func Serve(tb testing.TB, size int64) (*httptest.Server, string) {
	tb.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sig") != Secret || r.Header.Get("Authorization") != "" {
			http.Error(w, "AuthenticationFailed", http.StatusForbidden)
			return
		}
		var n int64
		if _, err := fmt.Sscanf(r.URL.Path, "/content/%d", &n); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.Header().Set("Content-Type", "application/octet-stream")
		io.Copy(w, &Pattern{N: n})
	}))
	tb.Cleanup(srv.Close)
	return srv, fmt.Sprintf("%s/content/%d?sig=%s", srv.URL, size, Secret)
}
