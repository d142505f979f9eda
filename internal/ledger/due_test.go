package ledger

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// TestStatusCarriesItsDeadline: dueAt is createdAt plus the due days, and
// overdue is true only while the request is not terminal after it, by the
// ledger's clock; the summary keeps dueAt and says overdue false.
func TestStatusCarriesItsDeadline(t *testing.T) {
	ctx := context.Background()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := New(st, "dsr")
	l.SetDueDays(10)
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	l.now = func() time.Time { return now }
	if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Delete, Targets: []string{"/subscriptions/s"}}, AcceptedAt: created}); err != nil {
		t.Fatal(err)
	}
	l.Pend(ctx, "r1", Marker{OpKey: "a"})
	want := created.AddDate(0, 0, 10)
	for _, c := range []struct {
		at      time.Time
		overdue bool
	}{{created.Add(time.Hour), false}, {want, false}, {want.Add(time.Second), true}} {
		now = c.at
		s, err := l.Status(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if !s.DueAt.Equal(want) || s.Overdue != c.overdue {
			t.Errorf("at %v: dueAt %v overdue %v, want %v %v", c.at, s.DueAt, s.Overdue, want, c.overdue)
		}
	}
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.Done(ctx, "r1", "a")
	s, err := l.Status(ctx, "r1")
	if err != nil || s.State != dsr.StateSucceeded || s.Overdue || !s.DueAt.Equal(want) {
		t.Fatalf("terminal: %+v %v", s, err)
	}
	b, err := store.ReadAll(ctx, st, dsr.SummaryBlob("r1"))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	json.Unmarshal(b, &sum)
	if sum["dueAt"] != want.Format(time.RFC3339) || sum["overdue"] != false {
		t.Fatalf("summary.json: dueAt %v overdue %v", sum["dueAt"], sum["overdue"])
	}
	// A later change of the setting does not move a finished request's
	// deadline.
	l.SetDueDays(30)
	if s, _ := l.Status(ctx, "r1"); !s.DueAt.Equal(want) {
		t.Fatalf("summary's dueAt moved to %v", s.DueAt)
	}
}

// TestDueDaysDefault: without a setting the deadline is 30 days.
func TestDueDaysDefault(t *testing.T) {
	l := setup(t)
	s, err := l.Status(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.DueAt.Sub(s.CreatedAt); got != 30*24*time.Hour || s.Overdue {
		t.Fatalf("dueAt - createdAt = %v, overdue %v", got, s.Overdue)
	}
}
