package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/dsr"
)

// TestBackoffGrowsUnderAShortRetryAfter: a storm of 429s that each say
// "Retry-After: 1" must not spend the step's attempts in a dozen seconds:
// Retry-After is a floor, the exponential backoff still grows, so the
// attempts span minutes (a 30-second storm passes).
func TestBackoffGrowsUnderAShortRetryAfter(t *testing.T) {
	w := &Worker{Limits: DefaultLimits}
	total := time.Duration(0)
	for attempt := range DefaultLimits.MaxAttempts - 1 {
		r := &run{Worker: w, step: &Step{Attempt: attempt}}
		d := r.backoff(&azureapi.Error{Class: azureapi.Throttled, Status: 429, RetryAfter: time.Second})
		if d < time.Second {
			t.Fatalf("attempt %d: %v, shorter than Retry-After", attempt, d)
		}
		total += d
	}
	if total < 5*time.Minute {
		t.Fatalf("%d attempts span %v under Retry-After: 1", DefaultLimits.MaxAttempts, total)
	}
	r := &run{Worker: w, step: &Step{}}
	if d := r.backoff(&azureapi.Error{Class: azureapi.Throttled, Status: 429, RetryAfter: 40 * time.Second}); d < 40*time.Second {
		t.Fatalf("a long Retry-After was cut to %v", d)
	}
}

// A step refused by local pacing was never sent: it is rescheduled after
// the pacer's wait and keeps its attempt count, even on its last attempt.
func TestPacedLocallyUsesNoAttempt(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.err = &azureapi.Error{Class: azureapi.Throttled, Code: azureapi.PacedCode, RetryAfter: 3 * time.Second}
	op := dsr.OpKey(dsr.StepExport, "exp.workspace", wsPath, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Op: op, Loc: "eastus",
		Attempt: DefaultLimits.MaxAttempts - 1}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if _, err := b.l.ReadRecord(ctx, "r1", op); err == nil {
		t.Fatal("a local pacing refusal finished the step")
	}
	m, _ := b.l.Pending(ctx, "r1")
	if len(m) != 1 || m[0].NotBefore.Before(time.Now().Add(2900*time.Millisecond)) || m[0].NotBefore.After(time.Now().Add(10*time.Second)) {
		t.Fatalf("marker %+v: want it scheduled about 3 s ahead", m)
	}
	var next Step
	if err := json.Unmarshal(m[0].Body, &next); err != nil {
		t.Fatal(err)
	}
	if next.Attempt != s.Attempt {
		t.Fatalf("attempt %d after a local refusal, want %d", next.Attempt, s.Attempt)
	}
	// A new message, not the one that came in sent again: a queue with
	// duplicate detection would drop that one, and the step would wait
	// for the sweep.
	if m[0].MessageID == s.MessageID() {
		t.Fatalf("rescheduled under the message id it came with (%s)", m[0].MessageID)
	}
}
