// Package e2e runs the real binaries as separate processes: the simulator
// of Azure ML and the handler in local mode, talking over real HTTP and
// TLS, with tokens from the simulator's managed-identity endpoint.
package e2e

import (
	"maps"
	"slices"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

func runLocal(t *testing.T, tag string, simFlags ...string) scenario.Fingerprint {
	sim := procs.StartSim(t, simFlags...)
	h := procs.StartLocal(t, sim, "")
	fp := scenario.Run(t, scenario.Env{
		API:     &procs.API{Base: h.URL},
		Sim:     sim,
		Bundle:  scenario.DirBundle(h.DataDir, "dsr"),
		Timeout: 4 * time.Minute,
	}, tag)
	t.Logf("%s: export %v (%v), delete %v (%v)", tag, fp.Durations["export"].Round(time.Millisecond), fp.Counts["export"],
		fp.Durations["delete"].Round(time.Millisecond), fp.Counts["delete"])
	return fp
}

// TestSeedEndToEnd exports the whole seeded resource group, plans and
// runs its delete; then does it all again with the simulator answering a
// fraction of calls 429 and 503, and checks the two runs agree exactly.
func TestSeedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	var clean scenario.Fingerprint
	t.Run("clean", func(t *testing.T) { clean = runLocal(t, "run") })
	if t.Failed() {
		return
	}
	t.Run("429and503", func(t *testing.T) {
		faulty := runLocal(t, "run", "-p429", "0.1", "-p503", "0.1")
		if !maps.Equal(clean.Bundle, faulty.Bundle) {
			t.Errorf("the bundles differ: %d blobs clean, %d with faults", len(clean.Bundle), len(faulty.Bundle))
			for k := range clean.Bundle {
				if faulty.Bundle[k] != clean.Bundle[k] {
					t.Logf("differs: %s", k)
				}
			}
		}
		if !maps.Equal(clean.Outcomes, faulty.Outcomes) {
			t.Errorf("the result records differ: %d clean, %d with faults", len(clean.Outcomes), len(faulty.Outcomes))
			for _, k := range slices.Sorted(maps.Keys(clean.Outcomes)) {
				if faulty.Outcomes[k] != clean.Outcomes[k] {
					t.Logf("%s: clean %q, faults %q", k, clean.Outcomes[k], faulty.Outcomes[k])
				}
			}
		}
	})
}
