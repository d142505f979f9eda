package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
	"amldsr/test/procs"
)

// openAPI validates every answer this package's tests receive from the API
// (any path under /api/dsr/ or /api/openapi.json, whoever asks: procs.API,
// http.Get, a client of its own, the Functions test host forwarding a call)
// against internal/api/openapi.json. It wraps http.DefaultTransport, which
// every HTTP client in this process without a transport of its own uses;
// the simulator's TLS client has its own and is not the API.
var openAPI *openapitest.Transport

// TestMain installs the check and fails the package when any answer did
// not match the document, listing each with its call and body.
func TestMain(m *testing.M) {
	openapitest.Main(m, api.OpenAPI, func(t *openapitest.Transport) { openAPI = t })
}

// TestOpenAPIServed reads the document from a running handler, as a Logic
// Apps custom connector imports it: a valid OpenAPI 2.0 document that names
// the host it was read from.
func TestOpenAPIServed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	before, _ := openAPI.Result()
	resp, err := http.Get(h.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var doc struct {
		Swagger, Host, BasePath string
		Schemes                 []string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Swagger != "2.0" || "http://"+doc.Host != h.URL || doc.BasePath != "/api" || fmt.Sprint(doc.Schemes) != "[http]" {
		t.Errorf("served document: swagger %q host %q basePath %q schemes %v; handler at %s", doc.Swagger, doc.Host, doc.BasePath, doc.Schemes, h.URL)
	}
	if _, err := openapitest.New(b); err != nil {
		t.Errorf("the served document does not load: %v", err)
	}
	if after, _ := openAPI.Result(); after != before+1 {
		t.Errorf("the answer was not checked against the document (%d checks before, %d after)", before, after)
	}
}
