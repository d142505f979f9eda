package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

func setup(t *testing.T) *Ledger {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := New(st, "dsr")
	_, created, err := l.Accept(context.Background(), dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Delete, Targets: []string{"/subscriptions/s"}}, AcceptedAt: time.Now().UTC()})
	if err != nil || !created {
		t.Fatal(err)
	}
	return l
}

func TestStatusFollowsTheWork(t *testing.T) {
	l := setup(t)
	ctx := context.Background()
	st, _ := l.Status(ctx, "r1")
	if st.State != dsr.StateAccepted || st.Counts.Discovered != 0 {
		t.Fatalf("fresh: %+v", st)
	}
	l.Pend(ctx, "r1", Marker{OpKey: "a"}, Marker{OpKey: "b"})
	st, _ = l.Status(ctx, "r1")
	if st.State != dsr.StateAccepted || st.Counts.Pending != 2 || st.Counts.Discovered != 2 {
		t.Fatalf("pending: %+v", st.Counts)
	}
	// a finishes and starts c: c's marker first, then a's record, then a's
	// marker goes.
	l.Pend(ctx, "r1", Marker{OpKey: "c"})
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.Done(ctx, "r1", "a")
	st, _ = l.Status(ctx, "r1")
	if st.State != dsr.StateRunning || st.Counts.Pending != 2 || st.Counts.Succeeded != 1 || st.Counts.Discovered != 3 {
		t.Fatalf("running: %+v", st.Counts)
	}
	for _, k := range []string{"b", "c"} {
		l.Record(ctx, k, dsr.Record{RequestID: "r1", Outcome: dsr.Absent})
		l.Done(ctx, "r1", k)
	}
	st, _ = l.Status(ctx, "r1")
	if st.State != dsr.StateSucceeded || st.CompletedAt == nil || st.Counts.Succeeded != 3 || st.Counts.Pending != 0 {
		t.Fatalf("done: %+v", st)
	}
	if _, err := store.ReadAll(ctx, l.Store(), dsr.SummaryBlob("r1")); err != nil {
		t.Fatalf("no summary.json after a terminal status: %v", err)
	}
	if ids, _ := l.Active(ctx); len(ids) != 0 {
		t.Fatalf("still active: %v", ids)
	}
	// A late record supersedes the summary (TestALateRecordSupersedesTheSummary).
	l.Record(ctx, "late", dsr.Record{RequestID: "r1", Outcome: dsr.Failed})
	again, _ := l.Status(ctx, "r1")
	if again.State != dsr.StateFailed || again.Counts.Failed != 1 {
		t.Fatalf("summary not superseded: %+v", again)
	}
}

func TestStatusErrorsAreCapped(t *testing.T) {
	l := setup(t)
	ctx := context.Background()
	for i := range 30 {
		l.Record(ctx, fmt.Sprint("op", i), dsr.Record{RequestID: "r1", Operation: dsr.StepDelete, Resource: fmt.Sprint("/x/", i),
			Outcome: dsr.Failed, Error: &dsr.RecordError{Code: "Conflict", Message: "in use"}})
	}
	st, _ := l.Status(ctx, "r1")
	if st.State != dsr.StateFailed || st.Counts.Failed != 30 || len(st.Errors) != dsr.MaxStatusErrors || st.Errors[0].Code != "Conflict" {
		t.Fatalf("%s failed=%d errors=%d", st.State, st.Counts.Failed, len(st.Errors))
	}
}

func TestRecordIsWrittenOnce(t *testing.T) {
	l := setup(t)
	ctx := context.Background()
	if w, err := l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded}); !w || err != nil {
		t.Fatal(w, err)
	}
	if w, err := l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Absent}); w || err != nil {
		t.Fatal(w, err)
	}
	rec, _ := l.ReadRecord(ctx, "r1", "a")
	if rec.Outcome != dsr.Succeeded {
		t.Fatalf("the second record replaced the first: %s", rec.Outcome)
	}
}

func TestResultsPages(t *testing.T) {
	l := setup(t)
	ctx := context.Background()
	for i := range 5 {
		l.Record(ctx, fmt.Sprint("op", i), dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	}
	seen, token := 0, ""
	for range 10 {
		recs, next, err := l.Results(ctx, "r1", token, 2)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(recs)
		if next == "" {
			break
		}
		token = next
	}
	if seen != 5 {
		t.Fatalf("paged through %d records, want 5", seen)
	}
	if _, _, err := l.Results(ctx, "r1", "***", 2); err != ErrBadToken {
		t.Fatalf("bad token: %v", err)
	}
}
