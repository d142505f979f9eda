package sim_test

import (
	"net/http"
	"net/url"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// A deleted item comes back as it was, with its creator, through
// POST /_sim/recreate; a path where nothing was deleted is 404.
func TestRecreate(t *testing.T) {
	e := seeded(t, sim.Options{})
	services := e.mmIDs("services")
	var unreferenced string
	for _, id := range services {
		if r := e.del(mmItem("services", id)); r.status/100 == 2 {
			unreferenced = id
			break
		}
	}
	if unreferenced == "" {
		t.Fatal("no service could be deleted")
	}
	before := len(e.mmIDs("services"))
	path := "/api/subscriptions" + mmData[len("/api/subscriptions"):] + "/services/" + unreferenced
	wantStatus(t, e.send(http.MethodPost, "/_sim/recreate?path="+url.QueryEscape(path), "", nil, nil), http.StatusNoContent, "recreate")
	wantStatus(t, e.get(mmItem("services", unreferenced)), http.StatusOK, "the recreated service")
	if after := len(e.mmIDs("services")); after != before+1 {
		t.Errorf("%d services after the recreate, want %d", after, before+1)
	}
	wantStatus(t, e.send(http.MethodPost, "/_sim/recreate?path="+url.QueryEscape(path+"-never"), "", nil, nil), http.StatusNotFound, "recreate of nothing")
	wantStatus(t, e.send(http.MethodGet, "/_sim/recreate?path="+url.QueryEscape(path), "", nil, nil), http.StatusMethodNotAllowed, "GET recreate")
}
