package faults

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/store/blob"
	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// The fault matrix: each case runs the whole scenario (export, dry run,
// delete) while one part of the platform fails, and must end with the
// same bundle and the same records as a clean run, nothing dead-lettered
// and nothing lost. The cases run in parallel, each with its own
// processes, ports and data; the outages have the lengths.
const (
	outage = 60 * time.Second // Azurite down, the token endpoint failing
	storm  = 30 * time.Second // every call answered 429, or 503
)

// functionKey is the test host's function key.
const functionKey = "test-function-key"

// faultCase runs the scenario under one fault and returns its
// fingerprint and the output of the processes that ran steps.
type faultCase struct {
	name string
	run  func(t *testing.T) (scenario.Fingerprint, []string)
}

func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	cases := []faultCase{
		{"clean", cleanRun},
		{"azurite-down-60s", azuriteDown},
		{"servicebus-restarted", serviceBusRestarted},
		{"token-endpoint-down-60s", tokenDown},
		{"handler-sigkill", handlerKilled},
		{"429-storm-30s", stormOf("p429")},
		{"503-storm-30s", stormOf("p503")},
	}
	var mu sync.Mutex
	fps := map[string]scenario.Fingerprint{}
	// Concurrent t.Run calls rather than t.Parallel: the cases mostly
	// wait out their outages, and -parallel (GOMAXPROCS) would run only a
	// few at a time.
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				start := time.Now()
				fp, outputs := c.run(t)
				t.Logf("%s: %v in all; export %v, delete %v", c.name, time.Since(start).Round(time.Second),
					fp.Durations["export"].Round(time.Second), fp.Durations["delete"].Round(time.Second))
				for _, out := range outputs {
					checkNothingDeadLettered(t, out)
				}
				mu.Lock()
				fps[c.name] = fp
				mu.Unlock()
			})
		})
	}
	wg.Wait()
	clean, ok := fps["clean"]
	if !ok {
		if !t.Failed() {
			t.Log("the clean run was not selected (-run): nothing to compare with")
		}
		return
	}
	for _, c := range cases[1:] {
		fp, ok := fps[c.name]
		if !ok {
			continue // failed above
		}
		sameAsClean(t, c.name, clean, fp)
	}
}

// sameAsClean compares a faulty run's bundle and records with the clean
// run's.
func sameAsClean(t *testing.T, name string, clean, fp scenario.Fingerprint) {
	t.Helper()
	if !maps.Equal(clean.Bundle, fp.Bundle) {
		t.Errorf("%s: the bundles differ: %d blobs clean, %d with the fault", name, len(clean.Bundle), len(fp.Bundle))
		for k := range clean.Bundle {
			if fp.Bundle[k] != clean.Bundle[k] {
				t.Logf("%s: differs: %s", name, k)
			}
		}
	}
	if !maps.Equal(clean.Outcomes, fp.Outcomes) {
		t.Errorf("%s: the result records differ: %d clean, %d with the fault", name, len(clean.Outcomes), len(fp.Outcomes))
		for _, k := range slices.Sorted(maps.Keys(clean.Outcomes)) {
			if fp.Outcomes[k] != clean.Outcomes[k] {
				t.Logf("%s: %s: clean %q, with the fault %q", name, k, clean.Outcomes[k], fp.Outcomes[k])
			}
		}
	}
	t.Logf("%s: export %v, delete %v; same bundle (%d blobs) and records (%d) as the clean run", name,
		fp.Durations["export"].Round(time.Second), fp.Durations["delete"].Round(time.Second), len(fp.Bundle), len(fp.Outcomes))
}

// checkNothingDeadLettered: no step was dead-lettered, recorded from a
// dead letter, or re-driven out of the dead-letter queue.
func checkNothingDeadLettered(t *testing.T, output string) {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		if strings.Contains(strings.ToLower(line), "dead-letter") {
			t.Errorf("a step went to the dead-letter queue: %s", line)
		}
	}
}

// afterProgress calls fault in a goroutine once request id (polled at
// status, with query) has some succeeded operations; wait waits for the
// fault to be over.
func afterProgress(t *testing.T, api *procs.API, id string, n int, fault func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			if st, ok := peekStatus(api, id); ok && st.Counts.Succeeded >= n {
				fault()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("request %s made no progress: the fault was not injected", id)
	}()
	return func() { <-done }
}

// peekStatus reads a status once, without failing the test.
func peekStatus(api *procs.API, id string) (procs.Status, bool) {
	u := api.Base + "/api/dsr/requests/" + id
	if api.Query != "" {
		u += "?" + api.Query
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return procs.Status{}, false
	}
	defer resp.Body.Close()
	var st procs.Status
	if resp.StatusCode >= 300 || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return procs.Status{}, false
	}
	return st, true
}

const faultTag = "fault"

func cleanRun(t *testing.T) (scenario.Fingerprint, []string) {
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	fp := scenario.Run(t, scenario.Env{API: &procs.API{Base: h.URL}, Sim: sim, Bundle: scenario.DirBundle(h.DataDir, "dsr"),
		Timeout: 5 * time.Minute}, faultTag)
	return fp, []string{h.Output()}
}

// stormOf answers every upstream call 429 (Retry-After: 1) or 503 for 30 s
// in the middle of the export.
func stormOf(param string) func(t *testing.T) (scenario.Fingerprint, []string) {
	return func(t *testing.T) (scenario.Fingerprint, []string) {
		sim := procs.StartSim(t, "-latency", "5ms")
		h := procs.StartLocal(t, sim, "")
		api := &procs.API{Base: h.URL}
		wait := afterProgress(t, api, "export-"+faultTag, 30, func() {
			if err := sim.SetFaults(fmt.Sprintf(`{%q: 1, "retryAfter": 1}`, param)); err != nil {
				t.Error(err)
			}
			time.Sleep(storm)
			if err := sim.SetFaults(fmt.Sprintf(`{%q: 0}`, param)); err != nil {
				t.Error(err)
			}
		})
		fp := scenario.Run(t, scenario.Env{API: api, Sim: sim, Bundle: scenario.DirBundle(h.DataDir, "dsr"), Timeout: 6 * time.Minute}, faultTag)
		wait()
		return fp, []string{h.Output()}
	}
}

// tokenDown takes the managed-identity endpoint down for 60 s before the
// handler has its first token: every step fails to authenticate until it
// comes back.
func tokenDown(t *testing.T) (scenario.Fingerprint, []string) {
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	if err := sim.SetFaults(fmt.Sprintf(`{"tokenFailFor": %q}`, outage)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fp := scenario.Run(t, scenario.Env{API: &procs.API{Base: h.URL}, Sim: sim, Bundle: scenario.DirBundle(h.DataDir, "dsr"),
		Timeout: 6 * time.Minute}, faultTag)
	if d := time.Since(start); d < outage {
		t.Errorf("the scenario ended %v after the token endpoint went down for %v: the outage was not felt", d, outage)
	}
	return fp, []string{h.Output()}
}

// handlerKilled kills the local-mode handler (SIGKILL) in the middle of
// the export and starts it again at the same address on the same data:
// the embedded queue died with it, the pending markers re-drive the work.
func handlerKilled(t *testing.T) (scenario.Fingerprint, []string) {
	sim := procs.StartSim(t, "-latency", "10ms")
	data, port := t.TempDir(), procs.FreePort(t)
	h := procs.StartLocalOn(t, sim, data, port, "DSR_CONCURRENCY=4")
	api := &procs.API{Base: h.URL, Patient: true}
	var mu sync.Mutex
	outputs := []*procs.Handler{h}
	wait := afterProgress(t, api, "export-"+faultTag, 60, func() {
		h.Kill()
		h2 := procs.StartLocalOn(t, sim, data, port)
		mu.Lock()
		outputs = append(outputs, h2)
		mu.Unlock()
	})
	fp := scenario.Run(t, scenario.Env{API: api, Sim: sim, Bundle: scenario.DirBundle(data, "dsr"), Timeout: 5 * time.Minute}, faultTag)
	wait()
	mu.Lock()
	defer mu.Unlock()
	if len(outputs) != 2 {
		t.Fatalf("the handler was not killed and restarted")
	}
	if !strings.Contains(outputs[1].Output(), "resumed earlier work") {
		t.Errorf("the restarted handler did not resume the killed one's work")
	}
	return fp, []string{outputs[0].Output(), outputs[1].Output()}
}

// functionsParts starts the simulator, Azurite (on disk when restartable)
// and the Service Bus stand-in, and the test host with the handler.
func functionsParts(t *testing.T, azuriteOnDisk bool, extra map[string]string) (*procs.Sim, *procs.Azurite, *procs.ServiceBus, *fakehost.Host, scenario.Env) {
	sim := procs.StartSim(t, "-latency", "5ms")
	var az *procs.Azurite
	if azuriteOnDisk {
		az = procs.StartAzuriteOnDisk(t, t.TempDir())
	} else {
		az = procs.StartAzurite(t)
	}
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{LockDuration: 30 * time.Second, MaxDeliveryCount: 10})
	settings := map[string]string{
		"FUNCTIONS_WORKER_RUNTIME":      "custom",
		"ServiceBusConnection":          bus.ConnectionString,
		"DSR_QUEUE":                     "dsr-work",
		"DSR_SWEEP_SCHEDULE":            "0 */5 * * * *",
		"DSR_STORAGE_CONNECTION_STRING": az.ConnectionString,
		"DSR_CONTAINER":                 "dsr",
		"DSR_READS_PER_SECOND":          "1000",
		"DSR_DELETES_PER_SECOND":        "1000",
		"DSR_LOG_LEVEL":                 "info",
		"DSR_PUBLIC_URL":                fakehost.OwnURL,
	}
	for _, kv := range sim.Env() {
		k, v, _ := strings.Cut(kv, "=")
		settings[k] = v
	}
	maps.Copy(settings, extra)
	c, err := blob.NewContainerClientFromConnectionString(az.ConnectionString, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	host := fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: settings, ServiceBus: bus.ConnectionString,
		FunctionKey: functionKey, TimerEvery: 2 * time.Second})
	env := scenario.Env{API: &procs.API{Base: host.URL(), Query: "code=" + functionKey, Patient: true}, Sim: sim,
		Bundle: scenario.StoreBundle(blob.New(c)), Timeout: 6 * time.Minute}
	return sim, az, bus, host, env
}

// azuriteDown stops Azurite (the result store) for 60 s in the middle of
// the export, under the Functions test host, and starts it again on the
// same data: steps wait for the store instead of spending their
// deliveries.
func azuriteDown(t *testing.T) (scenario.Fingerprint, []string) {
	_, az, _, host, env := functionsParts(t, true, nil)
	wait := afterProgress(t, env.API, "export-"+faultTag, 30, func() { az.StopFor(t, outage) })
	fp := scenario.Run(t, env, faultTag)
	wait()
	if !strings.Contains(host.Output(), "retrying before answering") {
		t.Errorf("no step waited for the store")
	}
	if n := host.Abandoned.Load(); n != 0 {
		t.Errorf("%d messages abandoned during the outage: deliveries were spent instead of waiting", n)
	}
	return fp, []string{host.Output()}
}

// serviceBusRestarted stops the Service Bus stand-in in the middle of the
// export and starts it again on the same port. The stand-in keeps its
// queues in memory, so every message in it is lost, as a real namespace
// never would; "nothing lost" then means that the sweep re-drives every
// step whose message is gone from its pending marker, and the request
// still completes with every document and record.
func serviceBusRestarted(t *testing.T) (scenario.Fingerprint, []string) {
	_, _, bus, host, env := functionsParts(t, false, map[string]string{"DSR_REDRIVE_AFTER": "10s"})
	wait := afterProgress(t, env.API, "export-"+faultTag, 30, func() { bus.StopFor(t, 5*time.Second) })
	fp := scenario.Run(t, env, faultTag)
	wait()
	if !strings.Contains(host.Output(), "re-drove pending steps whose messages were lost") {
		t.Errorf("the sweep re-drove nothing after the stand-in lost its messages")
	}
	return fp, []string{host.Output()}
}
