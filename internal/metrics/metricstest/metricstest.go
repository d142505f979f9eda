// Package metricstest exports amldsr's metrics to an OTLP/HTTP receiver in
// the test process, so a test can check what an operator's collector would
// receive.
package metricstest

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	cpb "go.opentelemetry.io/proto/otlp/common/v1"
	mpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"amldsr/internal/metrics"
)

// Start points OTEL_EXPORTER_OTLP_ENDPOINT at a new receiver, sets up
// metrics.Setup, and shuts both down when the test ends. Tests that use it
// must not run in parallel (the environment and the instruments are the
// process's).
func Start(t testing.TB) *Receiver {
	t.Helper()
	rc, u := NewReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", u)
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "")
	p, err := metrics.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rc.provider = p
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return rc
}

// NewReceiver starts a receiver alone, for a process under test to export
// to (OTEL_EXPORTER_OTLP_ENDPOINT=<the URL returned>); it stops when the
// test ends.
func NewReceiver(t testing.TB) (*Receiver, string) {
	rc := &Receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

// Points exports what this process has counted so far (after Start) and
// returns what the receiver holds: per metric name, each data point's
// value (a histogram's: its count) keyed by its attributes in key order
// ("kind=export,outcome=succeeded"; "" for none).
func (rc *Receiver) Points(t testing.TB) map[string]map[string]float64 {
	t.Helper()
	if rc.provider != nil {
		if err := rc.provider.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return rc.points()
}

// Paths are the URL paths exports were sent to.
func (rc *Receiver) Paths() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.paths...)
}

// Receiver is an OTLP/HTTP metrics endpoint in the test process: it
// decodes every export it is sent.
type Receiver struct {
	provider *metrics.Provider
	mu       sync.Mutex
	exports  []*colmetrics.ExportMetricsServiceRequest
	paths    []string
}

// ServeHTTP takes one export at /v1/metrics.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	var req colmetrics.ExportMetricsServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	rc.mu.Lock()
	rc.exports = append(rc.exports, &req)
	rc.paths = append(rc.paths, r.URL.Path)
	rc.mu.Unlock()
	out, _ := proto.Marshal(&colmetrics.ExportMetricsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// points returns, per metric name, the value of each data point keyed by
// its attributes ("kind=export,outcome=succeeded"); the last export wins
// (cumulative temporality).
func (rc *Receiver) points() map[string]map[string]float64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]map[string]float64{}
	for _, ex := range rc.exports {
		for _, rm := range ex.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if out[m.Name] == nil {
						out[m.Name] = map[string]float64{}
					}
					for key, v := range values(m) {
						out[m.Name][key] = v
					}
				}
			}
		}
	}
	return out
}

func values(m *mpb.Metric) map[string]float64 {
	out := map[string]float64{}
	switch d := m.Data.(type) {
	case *mpb.Metric_Sum:
		for _, p := range d.Sum.DataPoints {
			out[attrKey(p.Attributes)] = float64(p.GetAsInt())
		}
	case *mpb.Metric_Gauge:
		for _, p := range d.Gauge.DataPoints {
			out[attrKey(p.Attributes)] = float64(p.GetAsInt())
		}
	case *mpb.Metric_Histogram:
		for _, p := range d.Histogram.DataPoints {
			out[attrKey(p.Attributes)] = float64(p.GetCount())
		}
	}
	return out
}

func attrKey(kvs []*cpb.KeyValue) string {
	s := ""
	for _, kv := range kvs {
		if s != "" {
			s += ","
		}
		s += kv.Key + "=" + kv.Value.GetStringValue()
	}
	return s
}
