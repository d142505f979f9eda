package sim_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"amldsr/tools/mlsim/sim"
)

// TestTokenEndpointOutage: POST /_sim/faults {"tokenFailFor": "…"} makes
// the managed-identity token endpoint answer 503 for that long, then it
// issues tokens again; the API itself keeps answering.
func TestTokenEndpointOutage(t *testing.T) {
	e := seeded(t, sim.Options{})
	hdr := map[string]string{"X-IDENTITY-HEADER": idHeader}
	tokenURL := tokenPath + url.QueryEscape(audience)
	wantStatus(t, e.send(http.MethodGet, tokenURL, "", hdr, nil), http.StatusOK, "before the outage")
	wantStatus(t, e.send(http.MethodPost, "/_sim/faults", "", nil, []byte(`{"tokenFailFor": "soon"}`)), http.StatusBadRequest, "bad duration")
	start := time.Now()
	e.setFaults(`{"tokenFailFor": "1s"}`)
	r := e.send(http.MethodGet, tokenURL, "", hdr, nil)
	if time.Since(start) < time.Second {
		wantStatus(t, r, http.StatusServiceUnavailable, "during the outage")
	}
	wantStatus(t, e.get("/arm"+sub+"/resourcegroups?"+apiRG), http.StatusOK, "the API during the token outage")
	time.Sleep(time.Until(start.Add(time.Second + 50*time.Millisecond)))
	wantStatus(t, e.send(http.MethodGet, tokenURL, "", hdr, nil), http.StatusOK, "after the outage")
}
