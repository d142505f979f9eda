package azureapi

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"amldsr/internal/metrics"
	"amldsr/internal/metrics/metricstest"
)

// Every 429 answer is counted by host, those the SDK retried in the
// pipeline included.
func TestThrottledAnswersAreCounted(t *testing.T) {
	rc := metricstest.Start(t)
	var calls atomic.Int32
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"id":"x"}`))
	})
	if _, err := b.client.Get(context.Background(), b.url(t, "/arm/subscriptions/s")); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(b.srv.URL)
	got := rc.Points(t)[metrics.ThrottledName]
	if got["host="+u.Host] != 2 {
		t.Errorf("%s = %v, want 2 for host %s", metrics.ThrottledName, got, u.Host)
	}
}
