package e2e

import (
	"testing"
	"time"

	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// TestTodaysAzureML runs, through the Functions test host, a per-person
// export and delete in a workspace shared by three people (and a shared
// registry), then purges the workspace.
func TestTodaysAzureML(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t)
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
		FunctionKey: functionKey, TimerEvery: 2 * time.Second})
	fp := scenario.RunAML(t, scenario.Env{API: &procs.API{Base: host.URL(), Query: "code=" + functionKey}, Sim: parts.sim,
		Bundle: parts.bundle, Timeout: 5 * time.Minute})
	for _, name := range []string{"subject-export", "subject-delete-identity", "subject-delete", "purge"} {
		t.Logf("%s: %v (%v)", name, fp.Durations[name].Round(time.Millisecond), fp.Counts[name])
	}
}
