package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store/dir"
	"amldsr/internal/store/storetest"
)

// freshDir is an empty dir store.
func freshDir(t *testing.T) *dir.Store {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// running accepts request r1 through l, accepted at, with the marker
// "open" that keeps it running; succeed writes its record s{i}.
func running(t *testing.T, l *Ledger, at time.Time) (succeed func(i int)) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Delete, Targets: []string{"/subscriptions/s"}}, AcceptedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := l.Pend(ctx, "r1", Marker{OpKey: "open"}); err != nil {
		t.Fatal(err)
	}
	return func(i int) {
		t.Helper()
		if _, err := l.Record(ctx, fmt.Sprint("s", i), dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestALargeRequestsStatusListsNothing: once a running request is at
// least StatusCacheFrom steps, a status call lists neither its records
// nor its markers; the status is derived again in the background when it
// is due, and that derivation is the one that finds the end and writes
// the summary.
func TestALargeRequestsStatusListsNothing(t *testing.T) {
	st := freshDir(t)
	cs := storetest.NewCounting(st)
	l := New(cs, "dsr")
	l.StatusCacheFrom = 5
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func() { mu.Lock(); now = now.Add(minRefresh + time.Second); mu.Unlock() }
	ctx := context.Background()
	succeed := running(t, l, now)
	for i := range 10 {
		succeed(i)
	}
	status := func(step string) *dsr.Status {
		t.Helper()
		s, err := l.Status(ctx, "r1")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return s
	}
	listings := func() int {
		return cs.Calls("list", dsr.ResultsPrefix("r1")) + cs.Calls("list", dsr.PendingPrefix("r1"))
	}

	if s := status("first"); s.State != dsr.StateRunning || s.Counts.Succeeded != 10 || listings() == 0 {
		t.Fatalf("first status: %s, %d succeeded, %d listings; want running, 10, derived", s.State, s.Counts.Succeeded, listings())
	}
	succeed(10)
	cs.Reset()
	for range 5 {
		if s := status("cached"); s.State != dsr.StateRunning || s.Counts.Succeeded != 10 {
			t.Fatalf("cached status: %s, %d succeeded; want the cached running, 10", s.State, s.Counts.Succeeded)
		}
	}
	if n := listings(); n != 0 {
		t.Fatalf("5 cached status calls listed %d times, want 0", n)
	}
	if n := cs.Calls("get", dsr.RequestPrefix("r1")); n != 0 {
		t.Fatalf("5 cached status calls read %d blobs of the request, want 0", n)
	}
	advance()
	if s := status("due"); s.Counts.Succeeded != 10 { // answered at once; derived behind it
		t.Fatalf("due status: %d succeeded, want the cached 10", s.Counts.Succeeded)
	}
	l.Wait()
	if s := status("refreshed"); s.Counts.Succeeded != 11 || s.State != dsr.StateRunning {
		t.Fatalf("refreshed status: %s, %d succeeded; want running, 11", s.State, s.Counts.Succeeded)
	}
	if err := l.Done(ctx, "r1", "open"); err != nil {
		t.Fatal(err)
	}
	advance()
	if s := status("end unseen"); s.State != dsr.StateRunning {
		t.Fatalf("status before the background derivation: %s, want the cached running", s.State)
	}
	l.Wait()
	s := status("end")
	if s.State != dsr.StateSucceeded || s.Counts.Succeeded != 11 || s.ManifestSHA256 == "" {
		t.Fatalf("final status: %s, %d succeeded, manifest %q; want succeeded from the summary the background wrote", s.State, s.Counts.Succeeded, s.ManifestSHA256)
	}
	if _, err := l.Summary(ctx, "r1"); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
}

// TestASmallRequestsStatusIsAlwaysDerived: below StatusCacheFrom every
// status call sees every record written before it.
func TestASmallRequestsStatusIsAlwaysDerived(t *testing.T) {
	st := freshDir(t)
	l := New(st, "dsr")
	ctx := context.Background()
	succeed := running(t, l, time.Now().UTC())
	for i := range 20 {
		succeed(i)
		s, err := l.Status(ctx, "r1")
		if err != nil || s.Counts.Succeeded != i+1 {
			t.Fatalf("after record %d: %+v %v", i, s, err)
		}
	}
}

// TestACachedStatusSeesAnotherInstancesSummary: when another instance
// finalizes a large request, this one's cached running status gives way
// to the summary at its next refresh, which derives nothing (no listing,
// no second manifest).
func TestACachedStatusSeesAnotherInstancesSummary(t *testing.T) {
	st := freshDir(t)
	cs := storetest.NewCounting(st)
	l, other := New(cs, "dsr"), New(st, "dsr")
	l.StatusCacheFrom = 3
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	succeed := running(t, l, now)
	for i := range 5 {
		succeed(i)
	}
	if s, err := l.Status(ctx, "r1"); err != nil || s.State != dsr.StateRunning {
		t.Fatalf("first status: %+v %v", s, err)
	}
	if err := l.Done(ctx, "r1", "open"); err != nil {
		t.Fatal(err)
	}
	if s, err := other.Status(ctx, "r1"); err != nil || s.State != dsr.StateSucceeded {
		t.Fatalf("the other instance's status: %+v %v", s, err)
	}
	mu.Lock()
	now = now.Add(minRefresh + time.Second)
	mu.Unlock()
	cs.Reset()
	if s, err := l.Status(ctx, "r1"); err != nil || s.State != dsr.StateRunning {
		t.Fatalf("due status: %+v %v; want the cached running", s, err)
	}
	l.Wait()
	if n := cs.Calls("list", dsr.ResultsPrefix("r1")) + cs.Calls("put", dsr.RequestPrefix("r1")); n != 0 {
		t.Fatalf("the refresh listed or wrote %d times; the summary was there", n)
	}
	if s, err := l.Status(ctx, "r1"); err != nil || s.State != dsr.StateSucceeded || s.ManifestSHA256 == "" {
		t.Fatalf("status after the refresh: %+v %v; want the other instance's summary", s, err)
	}
}

// TestAColdInstanceStartsFromTheSnapshot: an instance that has not derived
// a large request's status answers from the snapshot another one saved,
// listing nothing; the snapshot goes once the request is finalized.
func TestAColdInstanceStartsFromTheSnapshot(t *testing.T) {
	st := freshDir(t)
	cs := storetest.NewCounting(st)
	warm, cold := New(st, "dsr"), New(cs, "dsr")
	warm.StatusCacheFrom, cold.StatusCacheFrom = 3, 3
	ctx := context.Background()
	succeed := running(t, warm, time.Now().UTC())
	for i := range 5 {
		succeed(i)
	}
	w, err := warm.Status(ctx, "r1")
	if err != nil || w.State != dsr.StateRunning {
		t.Fatalf("warm status: %+v %v", w, err)
	}
	cs.Reset()
	c, err := cold.Status(ctx, "r1")
	if err != nil || c.State != dsr.StateRunning || c.Counts != w.Counts {
		t.Fatalf("cold status: %+v %v; want the warm instance's counts %+v", c, err, w.Counts)
	}
	if n := cs.Calls("list", dsr.ResultsPrefix("r1")) + cs.Calls("list", dsr.PendingPrefix("r1")); n != 0 {
		t.Fatalf("the cold instance listed %d times; the snapshot was there", n)
	}
	if err := warm.Done(ctx, "r1", "open"); err != nil {
		t.Fatal(err)
	}
	other := New(st, "dsr") // derives in line: finds the end, finalizes
	if s, err := other.Status(ctx, "r1"); err != nil || s.State != dsr.StateSucceeded {
		t.Fatalf("final status: %+v %v", s, err)
	}
	if _, _, err := st.Get(ctx, dsr.StatusSnapshotBlob("r1")); err == nil {
		t.Fatal("the snapshot outlived the summary")
	}
}
