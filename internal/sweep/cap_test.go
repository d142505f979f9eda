package sweep

import (
	"context"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/worker"
)

// A request that started more steps than the cap is stopped: the sweep
// records why, every step still queued fails without running, and the
// request ends failed.
func TestStepCapEndsARunawayRequest(t *testing.T) {
	s, q := setup(t)
	s.MaxSteps = 3
	ctx := context.Background()
	for _, op := range []string{"op-1", "op-2", "op-3"} {
		s.Ledger.Record(ctx, op, dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	}
	queued := step("")
	worker.Book{Ledger: s.Ledger, Queue: q}.Start(ctx, time.Time{}, queued)
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Ledger.ReadRecord(ctx, "r1", ledger.CapOpKey("r1"))
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "StepCapReached" ||
		!strings.Contains(rec.Error.Message, "DSR_MAX_STEPS_PER_REQUEST") || !strings.Contains(rec.Error.Message, "3") {
		t.Fatalf("cap record %+v %v", rec, err)
	}
	// The step still queued fails without running (it would call the
	// API, which this worker does not have).
	w := worker.New(nil, s.Ledger, q, s.Log)
	ds, _ := q.Receiver().Receive(ctx, 1)
	if err := w.Handle(ctx, ds[0].Body, 1); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Ledger.ReadRecord(ctx, "r1", queued.Op); err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "StepCapReached" {
		t.Fatalf("queued step's record %+v %v", rec, err)
	}
	time.Sleep(5 * time.Millisecond) // Quiet
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	st, err := s.Ledger.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateFailed {
		t.Fatalf("status %+v %v", st, err)
	}
}

// Under the cap nothing is stopped.
func TestStepCapLeavesOtherRequestsAlone(t *testing.T) {
	s, q := setup(t)
	s.MaxSteps = 3
	ctx := context.Background()
	s.Ledger.Record(ctx, "op-1", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	worker.Book{Ledger: s.Ledger, Queue: q}.Start(ctx, time.Time{}, step(""))
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.Ledger.HasRecord(ctx, "r1", ledger.CapOpKey("r1")); done {
		t.Fatal("a request under the cap was stopped")
	}
}
