package sweep

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
	"amldsr/internal/worker"
)

// TestAnOrphanIndexEntryIsDropped: an index entry whose request.json never
// came (a submit killed in between) does not make every sweep fail, and
// goes once it is old; a young one stays (its submit may be running).
func TestAnOrphanIndexEntryIsDropped(t *testing.T) {
	s, _ := setup(t)
	ctx := context.Background()
	st := s.Ledger.Store()
	put := func(id string, at time.Time) {
		b := []byte(`{"writtenAt":"` + at.UTC().Format(time.RFC3339Nano) + `"}`)
		if err := st.Put(ctx, dsr.ActiveBlob(id), bytes.NewReader(b), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("orphan-old", time.Now().Add(-time.Hour))
	put("orphan-young", time.Now())
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	ids, _ := s.Ledger.Active(ctx)
	if slices.Contains(ids, "orphan-old") || !slices.Contains(ids, "orphan-young") {
		t.Fatalf("index after the sweep: %v", ids)
	}
}

// deadLetter starts the request's root step, receives it and dead-letters
// it as Service Bus does after the last delivery; it returns the step.
func deadLetter(t *testing.T, s *Sweeper, q *memory.Queue, reason string) worker.Step {
	t.Helper()
	ctx := context.Background()
	st := step("")
	if err := (worker.Book{Ledger: s.Ledger, Queue: q}).Start(ctx, time.Time{}, st); err != nil {
		t.Fatal(err)
	}
	ds, _ := q.Receiver().Receive(ctx, 1)
	if err := q.Receiver().DeadLetter(ctx, ds[0], reason, "the lock expired on the last allowed delivery"); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAnOutageDeadLetterIsRedriven: a step dead-lettered because its
// deliveries ran out (an outage of the store or the queue) is sent again,
// not recorded failed, until GiveUpAfter has passed since its first dead
// letter; then it is recorded failed.
func TestAnOutageDeadLetterIsRedriven(t *testing.T) {
	s, q := setup(t)
	s.GiveUpAfter = time.Hour
	ctx := context.Background()
	st := deadLetter(t, s, q, queue.MaxDeliveryCountExceeded)
	rep, err := s.Sweep(ctx, false)
	if err != nil || rep.DeadLettered != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if done, _ := s.Ledger.HasRecord(ctx, "r1", st.Op); done {
		rec, _ := s.Ledger.ReadRecord(ctx, "r1", st.Op)
		t.Fatalf("an outage's dead letter was recorded: %+v", rec)
	}
	active, dead := q.Len()
	if active != 1 || dead != 0 {
		t.Fatalf("after the sweep: %d active, %d dead letters; want the step sent again", active, dead)
	}
	ms, _ := s.Ledger.Pending(ctx, "r1")
	if len(ms) != 1 || ms[0].OutageSince.IsZero() {
		t.Fatalf("markers %+v: the re-driven step keeps the time of its first dead letter", ms)
	}
	// The outage goes on past GiveUpAfter: the next dead letter of the
	// step is recorded failed.
	s.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	ds, _ := q.Receiver().Receive(ctx, 1)
	q.Receiver().DeadLetter(ctx, ds[0], queue.MaxDeliveryCountExceeded, "again")
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Ledger.ReadRecord(ctx, "r1", st.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != queue.MaxDeliveryCountExceeded {
		t.Fatalf("after GiveUpAfter: %+v %v", rec, err)
	}
}

// TestAPoisonDeadLetterIsRecordedAtOnce: a dead letter the worker gave a
// reason of its own is never re-driven.
func TestAPoisonDeadLetterIsRecordedAtOnce(t *testing.T) {
	s, q := setup(t)
	s.GiveUpAfter = time.Hour
	ctx := context.Background()
	st := deadLetter(t, s, q, "InvalidStep")
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Ledger.ReadRecord(ctx, "r1", st.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "InvalidStep" {
		t.Fatalf("%+v %v", rec, err)
	}
	if active, _ := q.Len(); active != 0 {
		t.Fatalf("a poison step was sent again")
	}
}
