package fakehost

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Keys are kept as Azure keeps them: a function's key opens that function
// only, host keys open every function, in the code query parameter or the
// x-functions-key header.
func TestKeysPerFunctionAndHost(t *testing.T) {
	app := &App{Functions: map[string]Function{"Api": {Name: "Api"}, "Other": {Name: "Other"}, "ProcessStep": {Name: "ProcessStep"}}}
	k := newKeys(app, "")
	if len(k.Functions) != 3 || k.Functions["Api"] == k.Functions["Other"] || k.Host["default"] == "" || k.Host["_master"] == "" {
		t.Fatalf("keys: %+v", k)
	}
	for _, c := range []struct {
		name, fn, code, header string
		want                   bool
	}{
		{"own key in code", "Api", k.Functions["Api"], "", true},
		{"own key in header", "Api", "", k.Functions["Api"], true},
		{"another function's key", "Api", k.Functions["Other"], "", false},
		{"a non-HTTP function's key", "Api", k.Functions["ProcessStep"], "", false},
		{"another function's key in header", "Api", "", k.Functions["Other"], false},
		{"default host key", "Api", k.Host["default"], "", true},
		{"master key", "Other", "", k.Host["_master"], true},
		{"no key", "Api", "", "", false},
		{"wrong key", "Api", "wrong", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/dsr/requests/x", nil)
		if c.code != "" {
			r.URL.RawQuery = "code=" + c.code
		}
		if c.header != "" {
			r.Header.Set("x-functions-key", c.header)
		}
		if got := k.Allows(c.fn, r); got != c.want {
			t.Errorf("%s: allowed %v, want %v", c.name, got, c.want)
		}
	}
}

// The front end answers 401 to a call that carries another function's
// key, before anything reaches the handler.
func TestAnotherFunctionsKeyIsRefused(t *testing.T) {
	http1 := []Binding{{Type: "httpTrigger", Direction: "in", Name: "req", AuthLevel: "function", Methods: []string{"get"}, Route: "dsr/requests/{id}"},
		{Type: "http", Direction: "out", Name: "res"}}
	http2 := []Binding{{Type: "httpTrigger", Direction: "in", Name: "req", AuthLevel: "function", Methods: []string{"post"}, Route: "dsr/requests"},
		{Type: "http", Direction: "out", Name: "res"}}
	app := &App{Functions: map[string]Function{"GetRequest": {Name: "GetRequest", Bindings: http1}, "SubmitRequest": {Name: "SubmitRequest", Bindings: http2}}}
	h := &Host{app: app, keys: newKeys(app, "")}
	if fn := h.FunctionFor(http.MethodGet, "/api/dsr/requests/r1"); fn != "GetRequest" {
		t.Fatalf("GET routed to %q", fn)
	}
	w := httptest.NewRecorder()
	h.serveHTTP(w, httptest.NewRequest(http.MethodGet, "/api/dsr/requests/r1?code="+h.KeyOf("SubmitRequest"), nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("GetRequest with SubmitRequest's key: %d, want 401", w.Code)
	}
}
