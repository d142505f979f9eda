package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/config"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/runner"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
	"amldsr/internal/worker"
)

// down fails every Get of a result record while failures > 0.
type down struct {
	store.Store
	mu       sync.Mutex
	failures int
	gets     int
}

func (d *down) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	d.mu.Lock()
	if strings.Contains(key, "/results/") {
		d.gets++
		if d.failures > 0 {
			d.failures--
			d.mu.Unlock()
			return nil, store.Info{}, errors.New("blob service unavailable")
		}
	}
	d.mu.Unlock()
	return d.Store.Get(ctx, key)
}

// envelope is a Service Bus invocation as the host posts it.
func envelope(t *testing.T, body []byte, deliveryCount int) string {
	t.Helper()
	once, _ := json.Marshal(string(body))
	twice, _ := json.Marshal(string(once))
	return `{"Data":{"msg":` + string(twice) + `},"Metadata":{"DeliveryCount":"` + string(rune('0'+deliveryCount)) + `","MessageId":"\"m1\""}}`
}

// TestFunctionsHoldsAStepThroughAStoreOutage: the store fails three
// times; with a hold the handler retries in place and answers 200 (the
// host completes the message); without one it answers 500 at once and the
// host would abandon, spending a delivery.
func TestFunctionsHoldsAStepThroughAStoreOutage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hold   runner.Hold
		status int
		gets   int
	}{
		{"without a hold", runner.Hold{}, http.StatusInternalServerError, 1},
		{"with a hold", runner.Hold{First: 10 * time.Millisecond, Max: 40 * time.Millisecond, For: time.Minute}, http.StatusOK, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, err := dir.Open(t.TempDir(), "dsr")
			if err != nil {
				t.Fatal(err)
			}
			st := &down{Store: base}
			l := ledger.New(st, "dsr")
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			req := dsr.Request{RequestID: "r1", Operation: dsr.Export, Targets: []string{"/subscriptions/s1/resourceGroups/rg"}}
			steps, err := worker.RootSteps(req)
			if err != nil {
				t.Fatal(err)
			}
			// The step finished before: its redelivery only clears its
			// marker, once it can read the store.
			ctx := context.Background()
			if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: req}); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Record(ctx, steps[0].Op, dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded}); err != nil {
				t.Fatal(err)
			}
			st.failures = 3
			a := &app{log: log, ledger: l, worker: worker.New(nil, l, nil, log)}
			body := steps[0].Message().Body
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/ProcessStep", strings.NewReader(envelope(t, body, 1)))
			a.processStep(w, r, time.Minute, tc.hold)
			if w.Code != tc.status || st.gets != tc.gets {
				t.Fatalf("answered %d after %d reads, want %d after %d: %s", w.Code, st.gets, tc.status, tc.gets, w.Body)
			}
		})
	}
}

// TestFunctionsHoldFitsTheTimeout: the last try, started before the hold
// ends and lasting at most a step's timeout, answers before the host's
// function timeout.
func TestFunctionsHoldFitsTheTimeout(t *testing.T) {
	for _, c := range []config.Config{
		{OutageHold: 5 * time.Minute, StepTimeout: 4 * time.Minute},
		{OutageHold: time.Hour, StepTimeout: 4 * time.Minute},
		{OutageHold: time.Hour, StepTimeout: 12 * time.Minute},
	} {
		h := functionsHold(c)
		if h.For < 0 || (h.For > 0 && h.For+c.StepTimeout >= functionTimeout) || h.For > c.OutageHold {
			t.Errorf("hold %v with step timeout %v and DSR_OUTAGE_HOLD %v", h.For, c.StepTimeout, c.OutageHold)
		}
	}
}
