package sweep

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// TestOverdueRequestsAreWarnedOncePerDay: with an injected clock, an
// active request past its deadline is counted by every sweep and warned
// about once per (UTC) day, across sweeps; a request that finishes is no
// longer counted and its note goes.
func TestOverdueRequestsAreWarnedOncePerDay(t *testing.T) {
	ctx := context.Background()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	created := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	for _, id := range []string{"late", "young"} {
		at := created
		if id == "young" {
			at = created.AddDate(0, 0, 25)
		}
		if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: id, Operation: dsr.Export,
			Targets: []string{target}, Match: dsr.MatchAll}, AcceptedAt: at}); err != nil {
			t.Fatal(err)
		}
		l.Pend(ctx, id, ledger.Marker{OpKey: "a", NotBefore: created.AddDate(1, 0, 0)})
	}
	var logs bytes.Buffer
	q := memory.New(memory.Options{LockDuration: time.Second})
	s := &Sweeper{Ledger: l, Queue: q, RedriveAfter: time.Hour, DueDays: 30,
		Log: slog.New(slog.NewTextHandler(&logs, nil))}
	warnings := func() int { return strings.Count(logs.String(), `level=WARN msg="request overdue" request_id=late`) }
	for i, c := range []struct {
		at            time.Time
		overdue, warn int
	}{
		{created.AddDate(0, 0, 29), 0, 0},
		{created.AddDate(0, 0, 30).Add(time.Minute), 1, 1},
		{created.AddDate(0, 0, 30).Add(5 * time.Hour), 1, 1},    // same day: no second warning
		{created.AddDate(0, 0, 31).Add(-time.Minute), 1, 2},     // the next day
		{created.AddDate(0, 0, 31).Add(10 * time.Minute), 1, 2}, // still that day
	} {
		s.now = func() time.Time { return c.at }
		rep, err := s.Sweep(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Overdue != c.overdue || warnings() != c.warn {
			t.Fatalf("sweep %d at %v: overdue %d, %d warnings; want %d, %d\n%s", i, c.at, rep.Overdue, warnings(), c.overdue, c.warn, logs.String())
		}
	}
	if strings.Contains(logs.String(), "request_id=young") {
		t.Fatal("a request within its deadline was warned about")
	}
	if _, err := store.ReadAll(ctx, st, "overdue/late.json"); err != nil {
		t.Fatalf("no note of the last warning: %v", err)
	}
	// late finishes: the sweep finalizes it, counts it no more and drops
	// its note.
	l.Record(ctx, "a", dsr.Record{RequestID: "late", Outcome: dsr.Succeeded})
	l.Done(ctx, "late", "a")
	rep, err := s.Sweep(ctx, false)
	if err != nil || rep.Finalized != 1 || rep.Overdue != 0 {
		t.Fatalf("after the end: %+v %v", rep, err)
	}
	if _, err := store.ReadAll(ctx, st, "overdue/late.json"); err != store.ErrNotFound {
		t.Fatalf("the note of a finished request stays: %v", err)
	}
}
