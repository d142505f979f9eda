package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
)

// In Functions mode the host forwards a call over plain http on loopback;
// the links the caller is given are absolute https on the public URL
// (config: DSR_PUBLIC_URL, else https://$WEBSITE_HOSTNAME) and carry the
// function key given in code, whatever the forwarded call's own scheme and
// Host. Without a public URL (local mode) they come from the request.
func TestLinksOnThePublicURL(t *testing.T) {
	for _, c := range []struct{ name, public, want string }{
		{"functions", "https://dsr-app.azurewebsites.net", "https://dsr-app.azurewebsites.net"},
		{"behind a gateway path", "https://apim.contoso.com/amldsr/", "https://apim.contoso.com/amldsr"},
		{"local", "", "http://127.0.0.1:7071"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := dir.Open(t.TempDir(), "dsr")
			if err != nil {
				t.Fatal(err)
			}
			l := ledger.New(st, "dsr")
			s := &api.Server{Ledger: l, Queue: memory.New(memory.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				PublicURL: c.public, PageSize: 1}
			h := s.Handler()
			call := func(method, target, body string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(method, target, strings.NewReader(body))
				r.Host = "127.0.0.1:7071"
				if body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			w := call(http.MethodPost, "http://127.0.0.1:7071/api/dsr/requests?code=k1", `{"requestId":"r1","operation":"export","targets":["`+rg+`"]}`)
			if want := c.want + "/api/dsr/requests/r1?code=k1"; w.Code != http.StatusAccepted || w.Header().Get("Location") != want {
				t.Fatalf("submit: %d, Location %q, want %q", w.Code, w.Header().Get("Location"), want)
			}
			for i := range 2 {
				if _, err := l.Record(t.Context(), "export.x."+string(rune('a'+i)), dsr.Record{RequestID: "r1", Operation: "export", Outcome: dsr.Succeeded}); err != nil {
					t.Fatal(err)
				}
			}
			w = call(http.MethodGet, "http://127.0.0.1:7071/api/dsr/requests/r1/results?code=k1", "")
			var page struct{ NextLink string }
			json.Unmarshal(w.Body.Bytes(), &page)
			if !strings.HasPrefix(page.NextLink, c.want+"/api/dsr/requests/r1/results?") || !strings.Contains(page.NextLink, "code=k1") {
				t.Fatalf("nextLink %q, want one on %s carrying code", page.NextLink, c.want)
			}
		})
	}
}
