package ledger

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// skewed reports every blob's Modified an hour ahead of this process's
// clock: a store whose clock is not ours.
type skewed struct{ store.Store }

func (s skewed) List(ctx context.Context, prefix, marker string, max int) (store.Page, error) {
	p, err := s.Store.List(ctx, prefix, marker, max)
	for i := range p.Items {
		p.Items[i].Modified = p.Items[i].Modified.Add(time.Hour)
	}
	return p, err
}

func (s skewed) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	rc, info, err := s.Store.Get(ctx, key)
	info.Modified = info.Modified.Add(time.Hour)
	return rc, info, err
}

// TestTerminalDoesNotReadTheStoresClock: a request whose work is all
// recorded is terminal at once, whatever the store's clock says.
func TestTerminalDoesNotReadTheStoresClock(t *testing.T) {
	l, _ := newFlaky(t)
	l.store = skewed{l.store}
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Pend(ctx, "r1", Marker{OpKey: "a"})
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.Done(ctx, "r1", "a")
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateSucceeded {
		t.Fatalf("all work recorded, store clock an hour ahead: %v %v", st.State, err)
	}
}

// TestALateRecordSupersedesTheSummary: a step whose lock was lost writes
// its record after summary.json: the summary is withdrawn, the request is
// active again, and the next status (and summary) counts the record.
func TestALateRecordSupersedesTheSummary(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	st, _ := l.Status(ctx, "r1")
	if st.State != dsr.StateSucceeded {
		t.Fatalf("first: %s", st.State)
	}
	if ids, _ := l.Active(ctx); len(ids) != 0 {
		t.Fatalf("active after the summary: %v", ids)
	}
	if w, err := l.Record(ctx, "late", dsr.Record{RequestID: "r1", Outcome: dsr.Failed, Error: &dsr.RecordError{Code: "X"}}); !w || err != nil {
		t.Fatal(w, err)
	}
	if ids, _ := l.Active(ctx); len(ids) != 1 {
		t.Fatalf("a record after the summary did not put the request back in the index: %v", ids)
	}
	st, _ = l.Status(ctx, "r1")
	if st.State != dsr.StateFailed || st.Counts.Discovered != 2 || st.Counts.Failed != 1 {
		t.Fatalf("after a late record: %s %+v", st.State, st.Counts)
	}
	var sum dsr.Status
	if err := getJSON(ctx, l.store, dsr.SummaryBlob("r1"), &sum); err != nil || sum.Counts.Discovered != 2 {
		t.Fatalf("summary not rewritten: %+v %v", sum.Counts, err)
	}
}

// racing lets a test act in the middle of a listing of one prefix, after
// the first page.
type racing struct {
	store.Store
	mu     sync.Mutex
	prefix string
	during func()
}

func (r *racing) List(ctx context.Context, prefix, marker string, max int) (store.Page, error) {
	r.mu.Lock()
	f := r.during
	if f != nil && strings.HasPrefix(prefix, r.prefix) && marker != "" {
		r.during = nil
	}
	r.mu.Unlock()
	if f != nil && strings.HasPrefix(prefix, r.prefix) && marker != "" {
		f()
	}
	return r.Store.List(ctx, prefix, marker, 1)
}

// TestAMarkerHiddenByAListingIsFound: while the markers are listed, step
// "b" (listed after the cursor) finishes and starts "a0" (before the
// cursor): its marker first, then its record, then its own marker goes.
// Neither marker is in the listing, but the request is not terminal.
func TestAMarkerHiddenByAListingIsFound(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "root", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.Pend(ctx, "r1", Marker{OpKey: "a1"}, Marker{OpKey: "b"})
	l.Record(ctx, "a1", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	base := l.store
	r := &racing{Store: base, prefix: dsr.PendingPrefix("r1")}
	r.during = func() {
		l.Pend(ctx, "r1", Marker{OpKey: "a0"})
		l.Record(ctx, "b", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
		l.Done(ctx, "r1", "b")
		l.Done(ctx, "r1", "a1")
	}
	l.store = r
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State.Terminal() {
		t.Fatalf("terminal with a0 pending: %s %v", st.State, err)
	}
	l.Record(ctx, "a0", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.Done(ctx, "r1", "a0")
	if st, _ := l.Status(ctx, "r1"); st.State != dsr.StateSucceeded || st.Counts.Discovered != 4 {
		t.Fatalf("at the end: %s %+v", st.State, st.Counts)
	}
}

// TestAStaleSummaryIsWithdrawn: a summary derived from a listing that
// missed a record (written while it was taken) is found out by the
// finalizer's own check after writing it.
func TestAStaleSummaryIsWithdrawn(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	st, _ := l.Status(ctx, "r1") // terminal, summary with 1 record
	l.store.Delete(ctx, dsr.SummaryBlob("r1"))
	// a record lands between the listing and the summary's write: write
	// the stale status as the summary with the record already there.
	l.store.Put(ctx, dsr.ResultBlob("r1", "b"), strings.NewReader(`{"outcome":"succeeded"}`), store.PutOptions{})
	final, err := l.Finalize(ctx, st)
	if err != nil || final {
		t.Fatalf("a summary of 1 record with 2 records stored stood: final=%v err=%v", final, err)
	}
	if st, _ := l.Status(ctx, "r1"); st.Counts.Discovered != 2 || !st.State.Terminal() {
		t.Fatalf("re-derived: %s %+v", st.State, st.Counts)
	}
}
