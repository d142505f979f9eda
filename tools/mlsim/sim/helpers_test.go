package sim_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// Paths of the seeded data set used across tests.
const (
	sub       = "/subscriptions/" + sim.SubscriptionID
	rgTarget  = sub + "/resourceGroups/rg-dsr-target"
	rgOther   = sub + "/resourceGroups/rg-dsr-other"
	mmAcct    = rgTarget + "/providers/Microsoft.MachineLearningModelManagement/accounts/dsr-mm-target"
	mmData    = "/api" + sub + "/resourceGroups/rg-dsr-target/accounts/dsr-mm-target"
	expAcct   = rgTarget + "/providers/Microsoft.MachineLearningExperimentation/accounts/dsr-exp-target"
	expWS     = expAcct + "/workspaces/ws-1"
	expProj   = expWS + "/projects/proj-1"
	expProj2  = expWS + "/projects/proj-2"
	mlsWS     = rgTarget + "/providers/Microsoft.MachineLearningServices/workspaces/dsr-mls-target"
	rgAML     = sub + "/resourceGroups/rg-aml"
	amlProv   = rgAML + "/providers/Microsoft.MachineLearningServices"
	amlWS     = amlProv + "/workspaces/ws-shared"
	amlReg    = amlProv + "/registries/reg-shared"
	clusters  = sub + "/resourcegroups/rg-dsr-target/providers/Microsoft.MachineLearningCompute/operationalizationClusters"
	hist      = "/exp/eastus2/history/v1.0" + expProj
	art       = "/exp/eastus2/artifact/v1.0" + expProj
	notif     = "/exp/eastus2/notification/v1.0" + expProj
	apiExp    = "api-version=2017-05-01-preview"
	apiMM     = "api-version=2017-09-01-preview"
	apiMLS    = "api-version=2018-03-01-preview"
	apiAML    = "api-version=2024-04-01"
	apiMLC    = "api-version=2017-06-01-preview"
	apiRG     = "api-version=2021-04-01"
	audience  = sim.DefaultAudience
	idHeader  = sim.DefaultIdentityHeader
	tokenPath = "/msi/token?api-version=2019-08-01&resource="
)

// env is a simulator served over TLS (certificates from sim.NewCA) with a
// client that trusts only that CA, and a valid token.
type env struct {
	t      *testing.T
	srv    *sim.Server
	ts     *httptest.Server
	client *http.Client
	token  string
}

// newEnv serves s for the duration of the test.
func newEnv(t *testing.T, s *sim.Server) *env {
	t.Helper()
	caPEM, cfg, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.TLS = cfg
	ts.StartTLS()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM not accepted")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ts.Close()
	})
	return &env{t: t, srv: s, ts: ts, client: &http.Client{Transport: tr}, token: s.IssueToken(audience)}
}

// seeded serves New(opts).
func seeded(t *testing.T, opts sim.Options) *env { return newEnv(t, sim.New(opts)) }

// result is an answered call.
type result struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test on error.
func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// armCode returns error.code of an ARM-shaped error body.
func (r result) armCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	r.json(t, &e)
	return e.Error.Code
}

// send performs a request; target is a path (prefixed with the server URL)
// or an absolute URL. token "" sends no Authorization header.
func (e *env) send(method, target, token string, hdr map[string]string, body []byte) result {
	e.t.Helper()
	if !strings.HasPrefix(target, "https://") {
		target = e.ts.URL + target
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// get is an authenticated GET.
func (e *env) get(target string) result { return e.send(http.MethodGet, target, e.token, nil, nil) }

// del is an authenticated DELETE.
func (e *env) del(target string) result { return e.send(http.MethodDelete, target, e.token, nil, nil) }

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, r result, want int, what string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body %.300q", what, r.status, want, r.body)
	}
}

// page is any list page of the simulator.
type page struct {
	Value             []json.RawMessage `json:"value"`
	NextLink          string            `json:"nextLink"`
	ContinuationToken string            `json:"continuationToken"`
}

// followNextLinks GETs target and every nextLink, checking that each
// nextLink is an absolute URL on the server carrying param, and returns all
// items.
func (e *env) followNextLinks(target, param string) []json.RawMessage {
	e.t.Helper()
	var all []json.RawMessage
	for i := 0; target != ""; i++ {
		if i > 1000 {
			e.t.Fatalf("more than 1000 pages at %s", target)
		}
		r := e.get(target)
		wantStatus(e.t, r, http.StatusOK, "list "+target)
		var p page
		r.json(e.t, &p)
		if p.Value == nil {
			e.t.Fatalf("page without value array: %s", r.body)
		}
		all = append(all, p.Value...)
		if p.NextLink != "" {
			u, err := url.Parse(p.NextLink)
			if err != nil || u.Scheme != "https" || "https://"+u.Host != e.ts.URL || !u.Query().Has(param) {
				e.t.Fatalf("nextLink %q: want an absolute https URL on %s carrying %s", p.NextLink, e.ts.URL, param)
			}
		}
		target = p.NextLink
	}
	return all
}

// followTokens GETs target and then target with param=continuationToken
// until the last page, checking that no page carries a nextLink when
// wantNext is false, and returns all items.
func (e *env) followTokens(target, param string, wantNext bool) []json.RawMessage {
	e.t.Helper()
	var all []json.RawMessage
	next := target
	for i := 0; ; i++ {
		if i > 1000 {
			e.t.Fatalf("more than 1000 pages at %s", target)
		}
		r := e.get(next)
		wantStatus(e.t, r, http.StatusOK, "list "+next)
		var p page
		r.json(e.t, &p)
		all = append(all, p.Value...)
		if (p.NextLink != "") != (wantNext && p.ContinuationToken != "") {
			e.t.Fatalf("page of %s: nextLink %q with continuationToken %q (want nextLink: %v)", target, p.NextLink, p.ContinuationToken, wantNext)
		}
		if p.ContinuationToken == "" {
			return all
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		next = target + sep + param + "=" + url.QueryEscape(p.ContinuationToken)
	}
}

// field reads a string field of a JSON document.
func field(t *testing.T, doc json.RawMessage, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	s, _ := m[name].(string)
	return s
}

// canon re-encodes a JSON document canonically (sorted keys).
func canon(t *testing.T, doc []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resources returns GET /_sim/resources (optionally of one kind).
func (e *env) resources(kind string, content bool) []sim.Resource {
	e.t.Helper()
	q := "?content=" + map[bool]string{true: "true", false: "false"}[content]
	if kind != "" {
		q += "&kind=" + kind
	}
	r := e.send(http.MethodGet, "/_sim/resources"+q, "", nil, nil)
	wantStatus(e.t, r, http.StatusOK, "/_sim/resources")
	var out []sim.Resource
	r.json(e.t, &out)
	return out
}

// docsUnder returns the canonical documents of the resources of kind whose
// path starts with prefix (case-insensitively).
func (e *env) docsUnder(kind, prefix string) map[string]bool {
	e.t.Helper()
	out := map[string]bool{}
	for _, r := range e.resources(kind, false) {
		if strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(prefix)) {
			out[canon(e.t, r.Document)] = true
		}
	}
	return out
}

// sameOnce fails unless got holds each document of want exactly once and
// nothing else.
func sameOnce(t *testing.T, what string, got []json.RawMessage, want map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range got {
		c := canon(t, d)
		if seen[c] {
			t.Errorf("%s: item listed twice: %s", what, c)
		}
		seen[c] = true
		if !want[c] {
			t.Errorf("%s: unexpected item %s", what, c)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%s: %d distinct items listed, want %d", what, len(seen), len(want))
	}
	if len(want) == 0 {
		t.Errorf("%s: nothing to compare (the test expects seeded items)", what)
	}
}
