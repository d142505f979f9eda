package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"amldsr/internal/api"
)

func TestHostAllowed(t *testing.T) {
	for _, c := range []struct {
		listen, public, host string
		ok                   bool
	}{
		{"127.0.0.1:7071", "", "127.0.0.1:7071", true},
		{"127.0.0.1:7071", "", "127.0.0.1", true},
		{"127.0.0.1:7071", "", "localhost:7071", true},
		{"127.0.0.1:7071", "", "LocalHost", true},
		{"127.0.0.1:7071", "", "localhost.:7071", true},
		{"127.0.0.1:7071", "", "[::1]:7071", true},
		{"127.0.0.1:7071", "", "[::1]", true},
		{"127.0.0.1:7071", "", "evil.example", false},
		{"127.0.0.1:7071", "", "evil.example:7071", false},
		{"127.0.0.1:7071", "", "localhost.evil.example", false},
		{"127.0.0.1:7071", "", "127.0.0.2:7071", false},
		{"127.0.0.1:7071", "", "", false},
		{"127.0.0.1:7071", "", "[::1", false},
		{"127.0.0.1:7071", "", "10.0.0.5:7071", false},
		// A listen address on a named host or address allows it.
		{"10.0.0.5:7071", "", "10.0.0.5:7071", true},
		{"dsr.internal:7071", "", "DSR.internal:7071", true},
		{"[fd00::5]:7071", "", "[fd00::5]:7071", true},
		{"10.0.0.5:7071", "", "evil.example:7071", false},
		// All interfaces name no host: only loopback and the public URL.
		{"0.0.0.0:7071", "", "10.0.0.5:7071", false},
		{":7071", "", "evil.example", false},
		{"[::]:7071", "", "127.0.0.1:7071", true},
		{"0.0.0.0:7071", "https://dsr.contoso.com", "dsr.contoso.com", true},
		{"0.0.0.0:7071", "https://dsr.contoso.com:8443/base", "dsr.contoso.com:8443", true},
		{"0.0.0.0:7071", "https://dsr.contoso.com", "evil.example", false},
	} {
		got := api.HostAllowed(c.host, api.AllowedHosts(c.listen, c.public))
		if got != c.ok {
			t.Errorf("listen %q public %q: Host %q allowed=%v, want %v", c.listen, c.public, c.host, got, c.ok)
		}
	}
}

func TestBeyondLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:7071": false, "localhost:7071": false, "[::1]:7071": false, "127.0.0.9:1": false,
		"0.0.0.0:7071": true, ":7071": true, "[::]:7071": true, "10.0.0.5:7071": true, "dsr.internal:80": true,
	} {
		if got := api.BeyondLoopback(listen); got != want {
			t.Errorf("%q: %v, want %v", listen, got, want)
		}
	}
}

// DNS rebinding: a web page whose name now resolves to 127.0.0.1 reaches
// the local API with its own name as Host; the API refuses it.
func TestHostGuardRefusesForeignHost(t *testing.T) {
	b := setup(t)
	guarded := httptest.NewServer(api.HostGuard(api.AllowedHosts("127.0.0.1:7071", ""), b.srv.Config.Handler))
	t.Cleanup(guarded.Close)
	body := `{"operation":"delete","targets":["` + rg + `"]}`
	send := func(host string) *http.Response {
		req, _ := http.NewRequest("POST", guarded.URL+"/api/dsr/requests", strings.NewReader(body))
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := send("evil.example")
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	if resp.StatusCode != http.StatusMisdirectedRequest || resp.Header.Get("Content-Type") != "application/problem+json" || doc["type"] != api.ProblemHost {
		t.Fatalf("Host evil.example: %d %v", resp.StatusCode, doc)
	}
	if n, _ := b.q.Len(); n != 0 {
		t.Fatalf("a refused request sent %d messages", n)
	}
	if resp := send(strings.TrimPrefix(guarded.URL, "http://")); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Host %s: %d", guarded.URL, resp.StatusCode)
	}
	if n, _ := b.q.Len(); n != 1 {
		t.Fatalf("an accepted request sent %d messages", n)
	}
}
