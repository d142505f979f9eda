package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// TestTwoInstancesShareOneBucket: two worker-mode instances, each paced at
// the bucket's whole rate, consume one request's steps (a purge of today's
// workspace) through the Service
// Bus stand-in against a simulator that enforces a small ARM bucket per
// subscription. The remaining-count headers steer both: fewer than 1 % of
// the ARM calls are throttled. (Not a timing test: it counts 429s.)
func TestTwoInstancesShareOneBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t, "-arm-buckets", "reads=20/20,deletes=20/20,writes=20/20")
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
		FunctionKey: functionKey, NoTriggers: true})
	for i := range 2 {
		env := []string{fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", procs.FreePort(t)), "DSR_CONCURRENCY=8", "DSR_SWEEP_INTERVAL=5s"}
		for k, v := range parts.settings {
			if k != "DSR_PUBLIC_URL" { // the test host's own URL; workers serve no API
				env = append(env, k+"="+v)
			}
		}
		// Each instance alone may spend the whole bucket.
		env = append(env, "DSR_READS_PER_SECOND=20", "DSR_DELETES_PER_SECOND=20")
		procs.Start(t, fmt.Sprintf("worker-%d", i), filepath.Join(procs.Binaries(t), "handler"), env, "worker")
	}
	api := &procs.API{Base: host.URL(), Query: "code=" + functionKey}
	// Purging today's workspace is ARM calls only: lists, deletes and
	// the polls of long-running deletes.
	start := time.Now()
	st := api.Poll(t, api.Submit(t, fmt.Sprintf(`{"requestId":"paced","operation":"delete","targets":[%q]}`, scenario.WorkspaceID)), 3*time.Minute)
	if st.State != "succeeded" || st.Counts.Failed != 0 || st.Counts.Succeeded == 0 {
		t.Fatalf("purge: %v", st)
	}
	for _, r := range parts.sim.Resources(t) {
		if strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(scenario.WorkspaceID)) {
			t.Errorf("left after the purge: %s", r.Path)
		}
	}
	stats := parts.sim.Stats(t)
	calls, throttled := stats.Total()
	t.Logf("purge in %v: %d ARM calls, %d throttled; %+v", time.Since(start).Round(time.Millisecond), calls, throttled, stats.Buckets)
	if !stats.Enforced {
		t.Fatal("the simulator does not enforce its buckets")
	}
	if calls <= 20 {
		t.Fatalf("only %d ARM calls: the bucket's burst of 20 was never spent, the test proves nothing", calls)
	}
	if throttled*100 >= calls {
		t.Fatalf("%d of %d ARM calls throttled (%.1f %%), want < 1 %%", throttled, calls, 100*float64(throttled)/float64(calls))
	}
}
