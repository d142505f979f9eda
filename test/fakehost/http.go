package fakehost

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// serveHTTP is the app's public endpoint: find the function by route and
// method, check its key (401 without), and forward the call.
func (h *Host) serveHTTP(w http.ResponseWriter, r *http.Request) {
	fn, ok := h.route(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if fn.Trigger().AuthLevel != "anonymous" && !h.keys.Allows(fn.Name, r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !h.app.forwarded(fn) {
		http.Error(w, "the test host forwards only HTTP in/out functions", http.StatusNotImplemented)
		return
	}
	h.forward(w, r)
}

// route matches the path (under routePrefix) against each HTTP function's
// route template and methods.
func (h *Host) route(r *http.Request) (Function, bool) {
	prefix := "api"
	if p := h.app.Host.Extensions.HTTP.RoutePrefix; p != nil {
		prefix = *p
	}
	path := strings.Trim(r.URL.Path, "/")
	if prefix != "" {
		if path != prefix && !strings.HasPrefix(path, prefix+"/") {
			return Function{}, false
		}
		path = strings.TrimPrefix(strings.TrimPrefix(path, prefix), "/")
	}
	names := make([]string, 0, len(h.app.Functions))
	for n := range h.app.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := h.app.Functions[n]
		t := f.Trigger()
		if t.Type != "httpTrigger" || !methodOK(t.Methods, r.Method) {
			continue
		}
		route := t.Route
		if route == "" {
			route = f.Name
		}
		if matchRoute(route, path) {
			return f, true
		}
	}
	return Function{}, false
}

func methodOK(methods []string, m string) bool {
	if len(methods) == 0 {
		return true
	}
	for _, x := range methods {
		if strings.EqualFold(x, m) {
			return true
		}
	}
	return false
}

// matchRoute matches an ASP.NET route template: literal segments
// (case-insensitive), {name} (one segment), {name?} (optional, last) and
// {*rest}.
func matchRoute(tmpl, path string) bool {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(path, "/")
	if path == "" {
		ps = nil
	}
	for i, t := range ts {
		isParam := strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}")
		switch {
		case isParam && strings.HasPrefix(t, "{*"):
			return true
		case i >= len(ps):
			return isParam && strings.HasSuffix(t, "?}") && i == len(ts)-1
		case isParam:
			if ps[i] == "" {
				return false
			}
		case !strings.EqualFold(t, ps[i]):
			return false
		}
	}
	return len(ps) == len(ts)
}

// forward sends the call on as the host does with
// enableForwardingHttpRequest: same method, the original path with /api,
// the query rebuilt from a dictionary (repeated keys comma-joined, code
// included), every header plus the host's, the body only when
// Content-Length > 0; the answer goes back verbatim, redirects unfollowed.
func (h *Host) forward(w http.ResponseWriter, r *http.Request) {
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		q.Set(k, strings.Join(vs, ","))
	}
	target := h.base() + r.URL.EscapedPath()
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if r.ContentLength > 0 {
		b, _ := io.ReadAll(r.Body)
		body = bytes.NewReader(b)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	out.Host = r.Host
	out.Header.Set("X-Azure-Functions-HostVersion", HostVersion)
	out.Header.Set("X-Azure-Functions-InvocationId", newGUID())
	out.Header.Set("User-Agent", strings.TrimSpace(r.Header.Get("User-Agent")+" Azure-Functions-Host/"+HostVersion))
	h.Invocations.Add(1)
	resp, err := h.invoke.Do(out)
	if err != nil {
		http.Error(w, "invocation failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
