package metrics_test

import (
	"context"
	"testing"
	"time"

	"amldsr/internal/metrics"
	"amldsr/internal/metrics/metricstest"
)

// With OTEL_EXPORTER_OTLP_ENDPOINT set, steps, 429s, reschedules and the
// overdue gauge reach an OTLP/HTTP receiver at /v1/metrics, with the
// attributes that split them.
func TestExportsToTheOTLPEndpoint(t *testing.T) {
	rc := metricstest.Start(t)
	ctx := context.Background()
	metrics.Step(ctx, "export", "succeeded", 120*time.Millisecond)
	metrics.Step(ctx, "export", "succeeded", 80*time.Millisecond)
	metrics.Step(ctx, "delete", "failed", time.Second)
	metrics.Throttled(ctx, "management.azure.com")
	metrics.Rescheduled(ctx, "delete")
	metrics.Overdue(ctx, 3)
	got := rc.Points(t)
	for name, want := range map[string]map[string]float64{
		metrics.StepsName:       {"kind=export,outcome=succeeded": 2, "kind=delete,outcome=failed": 1},
		metrics.StepDuration:    {"kind=export,outcome=succeeded": 2, "kind=delete,outcome=failed": 1},
		metrics.ThrottledName:   {"host=management.azure.com": 1},
		metrics.RescheduledName: {"kind=delete": 1},
		metrics.OverdueName:     {"": 3},
	} {
		for key, v := range want {
			if got[name][key] != v {
				t.Errorf("%s{%s} = %v, want %v (received %v)", name, key, got[name][key], v, got[name])
			}
		}
	}
	if p := rc.Paths(); len(p) == 0 || p[0] != "/v1/metrics" {
		t.Errorf("exported to %v, want /v1/metrics", p)
	}
}

// Without the variables nothing is set up: the calls do nothing and do not
// fail, and Setup's provider flushes and shuts down as a no-op.
func TestNothingExportedWithoutTheEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "")
	if metrics.Enabled(func(string) string { return "" }) {
		t.Fatal("enabled without variables")
	}
	ctx := context.Background()
	p, err := metrics.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if metrics.Active() {
		t.Fatal("instruments configured without an endpoint")
	}
	metrics.Step(ctx, "export", "succeeded", time.Millisecond)
	metrics.Throttled(ctx, "management.azure.com")
	metrics.Rescheduled(ctx, "delete")
	metrics.Overdue(ctx, 1)
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
