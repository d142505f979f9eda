package sim_test

import (
	"net/http"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// With LROFailOnce, the first long-running delete of a resource ends
// Failed with the code and leaves the resource; the next one completes.
func TestLROFailOnce(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 1, LROFailOnce: "AnotherOperationInProgress"})

	// Location: the error itself, 409 for a conflict code.
	acct := "/arm" + mmAcct + "?" + apiMM
	first := e.del(acct)
	wantStatus(t, first, http.StatusAccepted, "first delete")
	_, final := e.pollLocation(first.header.Get("Location"))
	wantStatus(t, final, http.StatusConflict, "failed operation's Location")
	if c := final.armCode(t); c != "AnotherOperationInProgress" {
		t.Errorf("code %q", c)
	}
	wantStatus(t, e.get(acct), http.StatusOK, "account after the failed delete")
	second := e.del(acct)
	wantStatus(t, second, http.StatusAccepted, "second delete")
	if second.header.Get("Location") == first.header.Get("Location") {
		t.Error("the second delete repeats the failed operation")
	}
	_, final = e.pollLocation(second.header.Get("Location"))
	wantStatus(t, final, http.StatusOK, "second operation")
	wantStatus(t, e.get(acct), http.StatusNotFound, "account after the second delete")

	// Azure-AsyncOperation: 200 {"status":"Failed","error":{...}}.
	compute := "/arm" + mlsWS + "/computes/batchai-02?" + apiMLS
	statusOf := func() (string, string) {
		r := e.del(compute)
		wantStatus(t, r, http.StatusAccepted, "delete compute")
		for range 10 {
			var st struct {
				Status string
				Error  struct{ Code, Message string }
			}
			r := e.get(r.header.Get("Azure-AsyncOperation"))
			wantStatus(t, r, http.StatusOK, "operation status")
			r.json(t, &st)
			if st.Status != "InProgress" {
				return st.Status, st.Error.Code
			}
		}
		t.Fatal("never done")
		return "", ""
	}
	if st, code := statusOf(); st != "Failed" || code != "AnotherOperationInProgress" {
		t.Errorf("first operation %s %q, want Failed AnotherOperationInProgress", st, code)
	}
	wantStatus(t, e.get(compute), http.StatusOK, "compute after the failed delete")
	if st, code := statusOf(); st != "Succeeded" || code != "" {
		t.Errorf("second operation %s %q, want Succeeded", st, code)
	}
	wantStatus(t, e.get(compute), http.StatusNotFound, "compute after the second delete")
}
