package e2e

import (
	"testing"
	"time"

	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// shifting are the simulator's switches of a hostile upstream: lists page
// by offset (deletes between two pages make the next page skip items),
// two items per page, and items appear while deletes run.
var shifting = []string{"-offset-paging", "-page-size", "2", "-appear", "6"}

// checkAppeared: every item that appeared while the delete ran is gone,
// and its delete is recorded as succeeded.
func checkAppeared(t *testing.T, api *procs.API, sim *procs.Sim, id string) {
	t.Helper()
	appeared := sim.Appeared(t)
	if len(appeared) == 0 {
		t.Fatal("no item appeared: the switch did not take")
	}
	recs := map[string]string{}
	for _, r := range api.Results(t, id) {
		if r.Operation == "delete" {
			recs[r.Resource] = r.Outcome
		}
	}
	for _, p := range appeared {
		if recs[p] != "succeeded" {
			t.Errorf("%s appeared during the delete and is %q, want succeeded", p, recs[p])
		}
	}
	t.Logf("%d items appeared during the delete; each deleted and recorded", len(appeared))
}

// TestDeleteConvergesUnderShiftingPages runs the seed scenario in local
// mode against a simulator whose lists shift under deletes and whose items
// appear while deletes run: the delete still removes everything, in order,
// and records every item.
func TestDeleteConvergesUnderShiftingPages(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	t.Run("local", func(t *testing.T) {
		sim := procs.StartSim(t, shifting...)
		h := procs.StartLocal(t, sim, "")
		api := &procs.API{Base: h.URL}
		scenario.Run(t, scenario.Env{API: api, Sim: sim, Bundle: scenario.DirBundle(h.DataDir, "dsr"), Timeout: 4 * time.Minute}, "shift")
		checkAppeared(t, api, sim, "delete-shift")
	})
	t.Run("functions", func(t *testing.T) {
		parts := startAzureParts(t, shifting...)
		host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
			FunctionKey: functionKey, TimerEvery: 2 * time.Second})
		api := &procs.API{Base: host.URL(), Query: "code=" + functionKey}
		scenario.Run(t, scenario.Env{API: api, Sim: parts.sim, Bundle: parts.bundle, Timeout: 5 * time.Minute}, "fnshift")
		checkAppeared(t, api, parts.sim, "delete-fnshift")
	})
}
