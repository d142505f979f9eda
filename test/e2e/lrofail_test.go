package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// deleteWithFailingOperations runs a delete of the scenario's resource
// group against a simulator whose first long-running delete of every
// resource ends Failed with code. It returns the final status, the result
// records of the deletes and, per resource, how many DELETEs were
// accepted (202).
func deleteWithFailingOperations(t *testing.T, code string) (procs.Status, map[string]procs.Record, map[string]int, *procs.Sim) {
	sim := procs.StartSim(t, "-lro-fail-once", code, "-lro-polls", "1")
	h := procs.StartLocal(t, sim, "")
	api := &procs.API{Base: h.URL}
	st := api.Poll(t, api.Submit(t, fmt.Sprintf(`{"requestId":"del","operation":"delete","targets":[%q]}`, scenario.TargetID)), 4*time.Minute)
	recs := map[string]procs.Record{}
	for _, r := range api.Results(t, "del") {
		if r.Operation == "delete" {
			recs[strings.ToLower(r.Resource)] = r
		}
	}
	accepted := map[string]int{}
	for _, c := range sim.Log(t) {
		if c.Method == http.MethodDelete && !c.Fault && c.Status == http.StatusAccepted {
			accepted[strings.ToLower(c.Path)]++
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no long-running delete in the run")
	}
	return st, recs, accepted, sim
}

// A long-running delete that ends Failed with a code transient by nature
// is sent again, and the delete succeeds; with a permanent code the
// resource's record keeps the operation's code and message.
func TestFailedOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	t.Run("transient", func(t *testing.T) {
		st, recs, accepted, sim := deleteWithFailingOperations(t, "InternalServerError")
		if st.State != "succeeded" || st.Counts.Failed != 0 {
			t.Fatalf("delete: %+v", st)
		}
		for p, n := range accepted {
			if n != 2 {
				t.Errorf("%s: %d DELETEs accepted, want 2 (the failed operation, then the one that succeeded)", p, n)
			}
			if r, ok := recs[p]; !ok || r.Outcome != "succeeded" {
				t.Errorf("%s: record %+v", p, r)
			}
		}
		for _, r := range sim.Resources(t) {
			if strings.Contains(strings.ToLower(r.Path), "/resourcegroups/"+strings.ToLower(scenario.TargetRG)+"/") && accepted[strings.ToLower(r.Path)] > 0 {
				t.Errorf("still in the simulator: %s", r.Path)
			}
		}
	})
	t.Run("permanent", func(t *testing.T) {
		st, recs, accepted, _ := deleteWithFailingOperations(t, "ScopeLocked")
		if st.Counts.Failed == 0 {
			t.Fatalf("delete: %+v, want failures", st)
		}
		for p, n := range accepted {
			r, ok := recs[p]
			if n != 1 || !ok || r.Outcome != "failed" || r.Error == nil || r.Error.Code != "ScopeLocked" ||
				!strings.Contains(r.Error.Message, "Simulated failure") || strings.Contains(r.Error.Message, "http") {
				t.Errorf("%s: %d DELETEs, record %+v; want one DELETE, failed with the operation's code and message", p, n, r)
			}
		}
		for _, e := range st.Errors {
			if strings.Contains(e.Message, "https://") {
				t.Errorf("status error carries a URL: %+v", e)
			}
		}
	})
}
