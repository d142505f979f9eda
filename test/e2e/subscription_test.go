package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// TestSubscriptionTarget exports a whole subscription: discovery goes
// subscription → its resource groups → the accounts, workspaces and
// clusters of each, and the bundle holds every document of every resource
// group, registries excepted (they are covered only when targeted).
func TestSubscriptionTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	api := &procs.API{Base: h.URL}
	before := sim.Resources(t)
	st := api.Poll(t, api.Submit(t, fmt.Sprintf(`{"requestId":"sub-1","operation":"export","targets":["/subscriptions/%s"]}`, scenario.Subscription)), 4*time.Minute)
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("%v", st)
	}
	got := scenario.DirBundle(h.DataDir, "dsr")(t, "requests/sub-1/export/")
	groups := map[string]bool{}
	missing := 0
	for _, r := range before {
		switch {
		case r.Kind == "arm.resourcegroup", strings.Contains(r.Path, "/registries/"), r.Kind == "exp.notification":
			continue // not exported: scopes; registries untargeted; notifications need a subject
		}
		if _, ok := got[strings.TrimPrefix(r.Path, "/")+".json"]; !ok {
			missing++
			if missing <= 5 {
				t.Errorf("not exported: %s %s", r.Kind, r.Path)
			}
			continue
		}
		if i := strings.Index(strings.ToLower(r.Path), "/resourcegroups/"); i >= 0 {
			groups[strings.Split(r.Path[i+len("/resourcegroups/"):], "/")[0]] = true
		}
	}
	if missing > 0 || len(groups) < 3 {
		t.Fatalf("%d documents missing; documents from resource groups %v", missing, groups)
	}
	for name := range got {
		if strings.Contains(name, "/registries/") {
			t.Errorf("a registry was exported without being targeted: %s", name)
		}
	}
	t.Logf("subscription export: %d blobs from resource groups %v", len(got), groups)
}
