package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// TestNoSecretLeaves exports from a simulator that planted a distinct
// credential in every document of every kind (and signs every artifact
// URL): the seed scenario's resource group, and today's resource group with
// its registry. No planted value and no SAS signature reaches any blob of
// either request; every exported document is the simulator's less exactly
// the paths its record lists in "redacted", and every kind has such a
// record.
func TestNoSecretLeaves(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t, "-plant-secrets")
	h := procs.StartLocal(t, sim, "")
	e := scenario.Env{API: &procs.API{Base: h.URL}, Sim: sim, Bundle: scenario.DirBundle(h.DataDir, "dsr"), Timeout: 4 * time.Minute}
	before := sim.Resources(t)

	st := e.API.Poll(t, e.API.Submit(t, scenario.ExportBody("planted-seed")), e.Timeout)
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("export of the seed resource group: %v", st)
	}
	scenario.CheckExport(t, e, "planted-seed", before)
	amlGroup := "/subscriptions/" + scenario.Subscription + "/resourceGroups/" + scenario.AMLGroup
	st = e.API.Poll(t, e.API.Submit(t, fmt.Sprintf(`{"requestId":"planted-aml","operation":"export","targets":[%q,%q]}`,
		amlGroup, scenario.RegistryID)), e.Timeout)
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("export of %s: %v", scenario.AMLGroup, st)
	}

	redactedKinds := map[string]bool{}
	for _, id := range []string{"planted-seed", "planted-aml"} {
		blobs := e.Bundle(t, "requests/"+id+"/")
		for name, b := range blobs {
			if i := strings.Index(string(b), "planted-secret-"); i >= 0 {
				t.Errorf("%s/%s holds %s", id, name, string(b)[i:min(len(b), i+50)])
			}
			if strings.HasSuffix(name, ".json") && strings.Contains(strings.ToLower(string(b)), "sig=") {
				t.Errorf("%s/%s holds a SAS signature", id, name)
			}
		}
		for _, r := range e.API.Results(t, id) {
			if r.Operation == "export" && r.Document != "" {
				if len(r.Redacted) == 0 {
					t.Errorf("%s %s: exported with nothing redacted", r.Kind, r.Resource)
				}
				redactedKinds[r.Kind] = true
			}
		}
		t.Logf("%s: %d blobs, none holding a planted credential or a signature", id, len(blobs))
	}
	for _, r := range before {
		if r.Kind != "arm.resourcegroup" && !redactedKinds[r.Kind] {
			t.Errorf("no %s was exported with its credentials removed", r.Kind)
			redactedKinds[r.Kind] = true
		}
	}
}
