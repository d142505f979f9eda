package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"amldsr/internal/store/blob"
	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
)

const functionKey = "test-function-key"

// azureParts are the emulators behind a Functions run.
type azureParts struct {
	sim      *procs.Sim
	azurite  *procs.Azurite
	bus      *procs.ServiceBus
	settings map[string]string
	bundle   func(t testing.TB, prefix string) map[string][]byte
}

func startAzureParts(t *testing.T, simFlags ...string) *azureParts {
	p := &azureParts{sim: procs.StartSim(t, simFlags...), azurite: procs.StartAzurite(t),
		bus: procs.StartServiceBus(t, procs.ServiceBusOptions{LockDuration: 30 * time.Second, MaxDeliveryCount: 10})}
	p.settings = map[string]string{
		"FUNCTIONS_WORKER_RUNTIME":      "custom",
		"ServiceBusConnection":          p.bus.ConnectionString,
		"DSR_QUEUE":                     fmt.Sprintf("dsr-work-%d", time.Now().UnixNano()),
		"DSR_SWEEP_SCHEDULE":            "0 */5 * * * *",
		"DSR_STORAGE_CONNECTION_STRING": p.azurite.ConnectionString,
		"DSR_CONTAINER":                 "dsr",
		"DSR_READS_PER_SECOND":          "1000",
		"DSR_DELETES_PER_SECOND":        "1000",
		"DSR_LOG_LEVEL":                 "info",
		"DSR_PUBLIC_URL":                fakehost.OwnURL,
	}
	for _, kv := range p.sim.Env() {
		k, v, _ := strings.Cut(kv, "=")
		p.settings[k] = v
	}
	c, err := blob.NewContainerClientFromConnectionString(p.azurite.ConnectionString, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	p.bundle = scenario.StoreBundle(blob.New(c))
	return p
}

// TestFunctionsEndToEnd runs the seed scenario through the test host:
// HTTP forwarded with a function key, steps through the Service Bus
// stand-in, results and status in Azurite, tokens from the simulator's
// managed-identity endpoint. The key is the submitting function's own key
// (not a host key), as a Logic App is given: it must also open the
// Location and every nextLink, followed exactly as returned, with no
// header added.
func TestFunctionsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t)
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
		FunctionKey: functionKey, TimerEvery: 2 * time.Second})
	submitter := host.FunctionFor(http.MethodPost, "/api/dsr/requests")
	key := host.KeyOf(submitter)
	for _, q := range []string{"", "?code=wrong", "?code=" + host.KeyOf("ProcessStep")} {
		resp, err := http.Get(host.URL() + "/api/dsr/requests/x" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without the function key (%q): %d, want 401", q, resp.StatusCode)
		}
	}
	api := &procs.API{Base: host.URL(), Query: "code=" + key}
	fp := scenario.Run(t, scenario.Env{API: api, Sim: parts.sim, Bundle: parts.bundle, Timeout: 5 * time.Minute}, "fn")
	// scenario.Run polled each Location and read every results page
	// through nextLink as returned; check what those links were.
	resp, err := http.Get(host.URL() + "/api/dsr/requests/export-fn/results?code=" + key)
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ NextLink string }
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if !strings.HasPrefix(page.NextLink, host.URL()+"/api/dsr/requests/export-fn/results?") || !strings.Contains(page.NextLink, "code="+key) {
		t.Errorf("nextLink %q is not an absolute link on DSR_PUBLIC_URL carrying the function's key", page.NextLink)
	}
	if submitter != "Api" {
		t.Errorf("POST /api/dsr/requests is served by %q, want the one HTTP function Api", submitter)
	}
	t.Logf("through the test host: export %v (%v), delete %v (%v); %d invocations, %d completed, %d abandoned",
		fp.Durations["export"].Round(time.Millisecond), fp.Counts["export"], fp.Durations["delete"].Round(time.Millisecond), fp.Counts["delete"],
		host.Invocations.Load(), host.Completed.Load(), host.Abandoned.Load())
}

// TestFunctionsHandlerKilledMidRun kills the handler (SIGKILL) in the
// middle of an export; the test host restarts it, Service Bus redelivers
// what was in flight, and the export completes with every document once.
func TestFunctionsHandlerKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t, "-latency", "10ms")
	before := parts.sim.Resources(t)
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: parts.settings, ServiceBus: parts.bus.ConnectionString,
		FunctionKey: functionKey, TimerEvery: 2 * time.Second})
	api := &procs.API{Base: host.URL(), Query: "code=" + functionKey}
	loc := api.Submit(t, scenario.ExportBody("killed-1"))
	deadline := time.Now().Add(2 * time.Minute)
	for host.Completed.Load() < 60 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	host.KillHandler()
	st := api.Poll(t, loc, 4*time.Minute)
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("after the kill: %v", st)
	}
	if host.Starts() < 2 {
		t.Fatalf("the handler was started %d times", host.Starts())
	}
	env := scenario.Env{API: api, Sim: parts.sim, Bundle: parts.bundle}
	scenario.CheckExport(t, env, "killed-1", before)
	recs := api.Results(t, "killed-1")
	seen := map[string]bool{}
	for _, r := range recs {
		k := r.Operation + " " + r.Resource
		if seen[k] && r.Operation != "discover" {
			t.Errorf("two records for %s", k)
		}
		seen[k] = true
	}
	if len(recs) != st.Counts.Discovered {
		t.Errorf("%d records for %d operations", len(recs), st.Counts.Discovered)
	}
	t.Logf("killed after %d completed invocations; %d abandoned; handler started %d times", 60, host.Abandoned.Load(), host.Starts())
}
