package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"amldsr/internal/metrics"
	"amldsr/internal/metrics/metricstest"
	"amldsr/test/procs"
)

// TestMetricsReachTheCollector runs the handler (local mode) with the
// standard OTEL_EXPORTER_OTLP_ENDPOINT pointing at a receiver in the test,
// exports one model management account with the simulator answering some
// calls 429, and waits until the handler's exports show steps by outcome
// and the 429s it met.
func TestMetricsReachTheCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	rc, endpoint := metricstest.NewReceiver(t)
	sim := procs.StartSim(t, "-p429", "0.2")
	target := ""
	for _, r := range sim.Resources(t) {
		if r.Kind == "mm.account" && strings.Contains(r.Path, "/rg-dsr-target/") {
			target = r.Path
			break
		}
	}
	if target == "" {
		t.Fatal("the simulator holds no model management account in rg-dsr-target")
	}
	h := procs.StartLocal(t, sim, "", "OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_METRIC_EXPORT_INTERVAL=250")
	api := &procs.API{Base: h.URL}
	st := api.Poll(t, api.Submit(t, fmt.Sprintf(`{"requestId":"metrics-1","operation":"export","targets":[%q]}`, target)), 2*time.Minute)
	if st.State != "succeeded" {
		t.Fatalf("export: %v", st)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := rc.Points(t)
		steps, throttled := got[metrics.StepsName], got[metrics.ThrottledName]
		n := 0.0
		for k, v := range steps {
			if strings.Contains(k, "outcome=succeeded") {
				n += v
			}
		}
		if n >= float64(st.Counts.Succeeded) && len(throttled) > 0 {
			t.Logf("exported: steps %v; 429s %v; rescheduled %v", steps, throttled, got[metrics.RescheduledName])
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the collector has steps %v (want %d succeeded) and 429s %v", steps, st.Counts.Succeeded, throttled)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
