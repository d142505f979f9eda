package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ProblemHost is the type of the 421 answered to a request whose Host is
// not one local mode serves.
const ProblemHost = "tag:amldsr,2026:problem:host-not-allowed"

// loopbackNames are the Host names local mode always answers to.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

// AllowedHosts is the set of Host names (without port, lower case) that
// local mode answers to: the loopback names; the listen address's host
// when it names one (not the unspecified 0.0.0.0 or ::, which name no
// host); and the host of publicURL (DSR_PUBLIC_URL) when set.
func AllowedHosts(listen, publicURL string) []string {
	hosts := append([]string(nil), loopbackNames...)
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, normalHost(h))
		}
	}
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, normalHost(u.Hostname()))
	}
	return hosts
}

// HostAllowed reports whether a request's Host header (with or without a
// port) names one of allowed. The port is not compared: a DNS rebinding
// page reaches the right port under its own name, which is what is refused.
func HostAllowed(host string, allowed []string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	} else if strings.HasPrefix(h, "[") {
		if !strings.HasSuffix(h, "]") {
			return false
		}
		h = h[1 : len(h)-1]
	}
	h = normalHost(h)
	if h == "" {
		return false
	}
	for _, a := range allowed {
		if h == a {
			return true
		}
	}
	return false
}

func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// BeyondLoopback reports whether a listen address takes connections from
// other machines (any address but a loopback one, or localhost).
func BeyondLoopback(listen string) bool {
	h, _, err := net.SplitHostPort(listen)
	if err != nil || h == "" {
		return true
	}
	if ip := net.ParseIP(h); ip != nil {
		return !ip.IsLoopback()
	}
	return normalHost(h) != "localhost"
}

// HostGuard serves next only for requests whose Host is allowed, and
// answers any other with a 421 Misdirected Request problem: local mode acts
// with the user's own Azure login, and a web page that rebinds its name to
// 127.0.0.1 must not reach it. 421 rather than 403, because the request is
// refused for the name it was sent to, not for who sent it.
func HostGuard(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !HostAllowed(r.Host, allowed) {
			writeProblem(w, Problem{Type: ProblemHost, Title: "Host not served", Status: http.StatusMisdirectedRequest,
				Detail: "this server answers only to its loopback names, its listen address and DSR_PUBLIC_URL"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
