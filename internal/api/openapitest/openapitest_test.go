package openapitest_test

import (
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
)

// Operation finds a call's operation by method and escaped path; Covers
// says which paths are the document's business.
func TestRouting(t *testing.T) {
	v, err := openapitest.New(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, op string
		covered          bool
	}{
		{"POST", "/api/dsr/requests", "SubmitRequest", true},
		{"GET", "/api/dsr/requests", "", true},
		{"GET", "/api/dsr/requests/r-1", "GetRequestStatus", true},
		{"GET", "/api/dsr/requests/a%2F..%2Fb", "GetRequestStatus", true},
		{"GET", "/api/dsr/requests/r-1/results", "ListResults", true},
		{"GET", "/api/dsr/requests/r-1/results/x", "", true},
		{"PUT", "/api/dsr/orders/alice", "PutOrder", true},
		{"DELETE", "/api/dsr/orders/alice", "DeleteOrder", true},
		{"GET", "/api/dsr/orders", "ListOrders", true},
		{"GET", "/api/openapi.json", "GetApiDescription", true},
		{"GET", "/api/subscriptions/s/resourceGroups/rg/accounts/a/models", "", false},
		{"GET", "/dsr/requests/r-1", "", false},
	} {
		if op := v.Operation(c.method, c.path); op != c.op {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, op, c.op)
		}
		if got := v.Covers(c.path); got != c.covered {
			t.Errorf("Covers(%s) = %v", c.path, got)
		}
	}
}
