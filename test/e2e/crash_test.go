package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// statusOf reads a request's status once.
func statusOf(t *testing.T, base, id string) procs.Status {
	t.Helper()
	resp, err := http.Get(base + "/api/dsr/requests/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st procs.Status
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// waitProgress waits until a request has some finished operations.
func waitProgress(t *testing.T, base, id string, n int) procs.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if st := statusOf(t, base, id); st.Counts.Succeeded >= n {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("request %s made no progress", id)
	return procs.Status{}
}

// TestCrashMidExportResumes kills the handler (SIGKILL) in the middle of an
// export and starts it again on the same data directory: the embedded
// queue is gone with the process, the pending markers re-drive what was in
// flight, and the bundle comes out complete.
func TestCrashMidExportResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t, "-latency", "15ms")
	before := sim.Resources(t)
	data := t.TempDir()
	h := procs.StartLocal(t, sim, data, "DSR_CONCURRENCY=4")
	api := &procs.API{Base: h.URL}
	api.Submit(t, scenario.ExportBody("crash-1"))
	st := waitProgress(t, h.URL, "crash-1", 60)
	h.Kill()
	t.Logf("killed with %d operations done, %d pending", st.Counts.Succeeded, st.Counts.Pending)

	h2 := procs.StartLocal(t, sim, data)
	api = &procs.API{Base: h2.URL}
	final := api.Poll(t, h2.URL+"/api/dsr/requests/crash-1", 3*time.Minute)
	if final.State != "succeeded" || final.Counts.Failed != 0 {
		t.Fatalf("after the restart: %v", final)
	}
	if !strings.Contains(h2.Output(), "resumed earlier work") {
		t.Errorf("the restarted handler did not say it resumed work")
	}
	env := scenario.Env{API: api, Sim: sim, Bundle: scenario.DirBundle(data, "dsr")}
	scenario.CheckExport(t, env, "crash-1", before)
	recs := api.Results(t, "crash-1")
	if len(recs) != final.Counts.Discovered {
		t.Errorf("%d records for %d operations", len(recs), final.Counts.Discovered)
	}
}

// TestGracefulShutdown stops the handler with SIGINT in the middle of an
// export: it stops taking work, finishes or releases its steps, exits 0,
// and a new process completes the request.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t, "-latency", "15ms")
	data := t.TempDir()
	h := procs.StartLocal(t, sim, data)
	(&procs.API{Base: h.URL}).Submit(t, scenario.ExportBody("graceful-1"))
	waitProgress(t, h.URL, "graceful-1", 20)
	start := time.Now()
	h.Signal(syscall.SIGINT)
	exited, err := h.Wait(30 * time.Second)
	if !exited || err != nil {
		t.Fatalf("after SIGINT: exited=%v err=%v", exited, err)
	}
	t.Logf("stopped %v after SIGINT", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(h.Output(), "shutting down") {
		t.Error("no shutdown message")
	}
	h2 := procs.StartLocal(t, sim, data)
	st := (&procs.API{Base: h2.URL}).Poll(t, h2.URL+"/api/dsr/requests/graceful-1", 3*time.Minute)
	if st.State != "succeeded" {
		t.Fatalf("after restart: %v", st)
	}
}
