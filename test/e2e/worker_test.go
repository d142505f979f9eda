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

// TestWorkerModeCompetingConsumers runs the seed scenario with the queue
// consumed by two `handler worker` processes (peek-lock, lock renewal)
// while the test host serves only the API and the timer.
func TestWorkerModeCompetingConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t)
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
		FunctionKey: functionKey, TimerEvery: 2 * time.Second, NoTriggers: true})
	var workers []*procs.Proc
	for i := range 2 {
		env := []string{fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", procs.FreePort(t)), "DSR_LOG_LEVEL=debug", "DSR_CONCURRENCY=4", "DSR_SWEEP_INTERVAL=2s"}
		for k, v := range parts.settings {
			if k != "DSR_LOG_LEVEL" && k != "DSR_PUBLIC_URL" { // the test host's own URL; workers serve no API
				env = append(env, k+"="+v)
			}
		}
		workers = append(workers, procs.Start(t, fmt.Sprintf("worker-%d", i), filepath.Join(procs.Binaries(t), "handler"), env, "worker"))
	}
	fp := scenario.Run(t, scenario.Env{API: &procs.API{Base: host.URL(), Query: "code=" + functionKey}, Sim: parts.sim,
		Bundle: parts.bundle, Timeout: 5 * time.Minute}, "workers")
	var steps []int
	for _, w := range workers {
		steps = append(steps, strings.Count(w.Output(), `"msg":"step"`))
	}
	for i, n := range steps {
		if n == 0 {
			t.Errorf("worker %d ran no step", i)
		}
	}
	// The sweeps (two workers and the timer) took turns on the blob lease,
	// and the consumers sampled the queue head for them.
	sweep := parts.bundle(t, "sweep/")
	if _, ok := sweep["lock"]; !ok {
		t.Errorf("no sweep lease blob: %v", sweep)
	}
	if !strings.Contains(string(sweep["queuehead.json"]), `"enqueuedAt"`) {
		t.Errorf("no queue head watermark: %q", sweep["queuehead.json"])
	}
	t.Logf("two workers: steps %v; export %v, delete %v", steps, fp.Durations["export"].Round(time.Millisecond), fp.Durations["delete"].Round(time.Millisecond))
}
