// Package metrics counts what an operator watches: steps by outcome with
// their latency, 429s by host, reschedules by step kind, and overdue
// requests. The calls are no-ops until Setup finds an OpenTelemetry
// exporter configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, the standard variables); then the
// instruments are exported over OTLP/HTTP (protobuf), every
// OTEL_METRIC_EXPORT_INTERVAL (default 60 s) and at shutdown.
//
// Instruments (attributes in brackets):
//
//	amldsr.steps              counter    steps ended [kind, outcome]
//	amldsr.step.duration      histogram  seconds a step ran [kind, outcome]
//	amldsr.throttled          counter    429 answers [host]
//	amldsr.rescheduled        counter    steps rescheduled [kind]
//	amldsr.requests.overdue   gauge      requests past dueAt, not terminal
package metrics

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// Names of the instruments and their attributes.
const (
	StepsName       = "amldsr.steps"
	StepDuration    = "amldsr.step.duration"
	ThrottledName   = "amldsr.throttled"
	RescheduledName = "amldsr.rescheduled"
	OverdueName     = "amldsr.requests.overdue"
)

// instruments are the configured instruments; nil until Setup exports.
type instruments struct {
	steps       metric.Int64Counter
	duration    metric.Float64Histogram
	throttled   metric.Int64Counter
	rescheduled metric.Int64Counter
	overdue     metric.Int64Gauge
}

var current atomic.Pointer[instruments]

// Step counts a step that ended with outcome (a record's outcome, or
// rescheduled, continued, stale, error) after running for d.
func Step(ctx context.Context, kind, outcome string, d time.Duration) {
	if in := current.Load(); in != nil {
		attrs := metric.WithAttributes(attribute.String("kind", kind), attribute.String("outcome", outcome))
		in.steps.Add(ctx, 1, attrs)
		in.duration.Record(ctx, d.Seconds(), attrs)
	}
}

// Throttled counts a 429 answer from host.
func Throttled(ctx context.Context, host string) {
	if in := current.Load(); in != nil {
		in.throttled.Add(ctx, 1, metric.WithAttributes(attribute.String("host", host)))
	}
}

// Rescheduled counts a step of kind rescheduled for later.
func Rescheduled(ctx context.Context, kind string) {
	if in := current.Load(); in != nil {
		in.rescheduled.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", kind)))
	}
}

// Overdue records how many requests are past their dueAt and not terminal.
func Overdue(ctx context.Context, n int) {
	if in := current.Load(); in != nil {
		in.overdue.Record(ctx, int64(n))
	}
}

// Active reports whether the instruments export (Setup found an exporter
// configured and the provider is not shut down).
func Active() bool { return current.Load() != nil }

// Enabled reports whether the standard variables configure an OTLP
// metrics exporter.
func Enabled(getenv func(string) string) bool {
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != ""
}

// Provider exports the instruments; Shutdown flushes and stops it.
type Provider struct{ mp *sdkmetric.MeterProvider }

// ForceFlush exports what has been counted so far.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if p == nil || p.mp == nil {
		return nil
	}
	return p.mp.ForceFlush(ctx)
}

// Shutdown exports what is left and makes the calls no-ops again.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil || p.mp == nil {
		return nil
	}
	current.Store(nil)
	return p.mp.Shutdown(ctx)
}

// Setup starts exporting when the process environment configures an
// exporter (Enabled with os.Getenv); otherwise it returns a Provider that
// does nothing, and the calls stay no-ops. The exporter reads the standard
// variables itself (endpoint, headers, timeout, compression, TLS).
func Setup(ctx context.Context) (*Provider, error) {
	if !Enabled(os.Getenv) {
		return &Provider{}, nil
	}
	exp, err := otlpmetrichttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "amldsr")), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
	in, err := newInstruments(mp.Meter("amldsr"))
	if err != nil {
		mp.Shutdown(ctx)
		return nil, err
	}
	current.Store(in)
	return &Provider{mp: mp}, nil
}

func newInstruments(m metric.Meter) (*instruments, error) {
	var in instruments
	var errs [5]error
	in.steps, errs[0] = m.Int64Counter(StepsName, metric.WithDescription("steps ended, by kind and outcome"), metric.WithUnit("{step}"))
	in.duration, errs[1] = m.Float64Histogram(StepDuration, metric.WithDescription("how long a step ran"), metric.WithUnit("s"))
	in.throttled, errs[2] = m.Int64Counter(ThrottledName, metric.WithDescription("429 answers, by host"), metric.WithUnit("{response}"))
	in.rescheduled, errs[3] = m.Int64Counter(RescheduledName, metric.WithDescription("steps rescheduled, by kind"), metric.WithUnit("{step}"))
	in.overdue, errs[4] = m.Int64Gauge(OverdueName, metric.WithDescription("requests past dueAt and not terminal"), metric.WithUnit("{request}"))
	return &in, errors.Join(errs[:]...)
}
