package fakehost

import (
	"context"
	"encoding/json"
	"time"
)

// timer fires a timer trigger every TimerEvery.
func (h *Host) timer(ctx context.Context, f Function, t Binding) {
	defer h.wg.Done()
	if _, err := resolve(t.Schedule, h.opts.Settings); err != nil {
		h.t.Errorf("%s: %v", f.Name, err)
		return
	}
	last := time.Now()
	tick := time.NewTicker(h.opts.TimerEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			useMonitor := t.UseMonitor == nil || *t.UseMonitor
			h.post(ctx, f.Name, TimerEnvelope(f.Name, t.Name, useMonitor, last, now.Add(h.opts.TimerEvery)))
			last = now
		}
	}
}

// TimerEnvelope is the invocation body of a timer trigger: ScheduleStatus
// is null without useMonitor.
func TimerEnvelope(fn, binding string, useMonitor bool, last, next time.Time) []byte {
	var status any
	if useMonitor {
		status = map[string]string{
			"Last": last.UTC().Format(time.RFC3339Nano), "Next": next.UTC().Format("2006-01-02T15:04:05+00:00"),
			"LastUpdated": last.UTC().Format("2006-01-02T15:04:05"),
		}
	}
	b, _ := json.Marshal(map[string]any{
		"Data":     map[string]any{binding: map[string]any{"Schedule": map[string]any{"AdjustForDST": true}, "ScheduleStatus": status, "IsPastDue": false}},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": fn, "UtcNow": time.Now().UTC().Format(time.RFC3339Nano), "RandGuid": newGUID()}},
	})
	return b
}
