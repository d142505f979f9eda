package sweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
	"amldsr/internal/store/storetest"
	"amldsr/internal/worker"
)

// fakeClock is the sweep's clock in these tests; the store keeps the real
// one, and the fake runs two hours ahead of it so that every marker the
// test writes is stale by the store's clock too.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().Add(2 * time.Hour)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sender records the request of every message sent; each send advances
// the clock by cost (the time the work takes) and, when gate is set,
// says so on arrived and waits for the gate first.
type sender struct {
	clock   *fakeClock
	cost    time.Duration
	gate    chan struct{}
	arrived chan struct{}
	mu      sync.Mutex
	sent    []string
}

func (s *sender) Send(ctx context.Context, msgs ...queue.Message) error {
	if s.gate != nil {
		s.arrived <- struct{}{}
		<-s.gate
	}
	for _, m := range msgs {
		st, err := worker.Decode(m.Body)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.sent = append(s.sent, st.RequestID)
		s.mu.Unlock()
		s.clock.Advance(s.cost)
	}
	return nil
}

func (s *sender) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	slices.Sort(out)
	return out
}

// newBounded is a sweeper on a fresh dir store (root) with the fake
// clock; RedriveAfter 30m.
func newBounded(t *testing.T, root string, clock *fakeClock, q queue.Sender) *Sweeper {
	t.Helper()
	st, err := dir.Open(root, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	return sweeperOn(st, clock, q)
}

func sweeperOn(st store.Store, clock *fakeClock, q queue.Sender) *Sweeper {
	return &Sweeper{Ledger: ledger.New(st, "dsr"), Queue: q, RedriveAfter: 30 * time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: clock.Now}
}

// pendingRequest accepts request id with one pending marker for op,
// written at (the marker's clock) due.
func pendingRequest(t *testing.T, l *ledger.Ledger, id, op string, due time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: id, Operation: dsr.Export, Targets: []string{target}, Match: dsr.MatchAll},
		AcceptedAt: time.Now().Add(-time.Hour).UTC()}); err != nil {
		t.Fatal(err)
	}
	s := worker.Step{V: 1, Kind: worker.KindExport, RequestID: id, Op: op, Mode: dsr.Export, Res: "arm.resourcegroup", Path: target}
	msg := s.Message()
	if err := l.Pend(ctx, id, ledger.Marker{OpKey: op, MessageID: msg.ID, Body: msg.Body, WrittenAt: due}); err != nil {
		t.Fatal(err)
	}
}

// slowStore makes every read of a marker take a minute of the fake
// clock: visiting a request with a stale marker costs time, re-driving
// or not.
type slowStore struct {
	store.Store
	clock *fakeClock
}

func (s slowStore) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	if strings.HasPrefix(key, "pending/") {
		s.clock.Advance(time.Minute)
	}
	return s.Store.Get(ctx, key)
}

// TestTheBudgetStopsASweepAndTheNextResumes: five requests each with a
// lost message, each visit costing a minute, a budget of two and a half:
// the first sweep visits (and re-drives) three and stops; the second
// starts after the cursor, so it reaches the other two (starting at the
// beginning again, it would spend its budget on the first three).
func TestTheBudgetStopsASweepAndTheNextResumes(t *testing.T) {
	clock := newClock()
	q := &sender{clock: clock}
	s := sweeperOn(slowStore{mustDir(t), clock}, clock, q)
	s.Budget = 150 * time.Second
	for _, id := range []string{"r-a", "r-b", "r-c", "r-d", "r-e"} {
		pendingRequest(t, s.Ledger, id, "op-"+id, time.Now())
	}
	ctx := context.Background()
	rep, err := s.Sweep(ctx, false)
	if err != nil || !rep.OutOfTime || rep.Redriven != 3 {
		t.Fatalf("first sweep: %+v %v", rep, err)
	}
	if got := q.take(); !slices.Equal(got, []string{"r-a", "r-b", "r-c"}) {
		t.Fatalf("first sweep re-drove %v", got)
	}
	rep, err = s.Sweep(ctx, false)
	if err != nil || !rep.OutOfTime || rep.Redriven != 2 {
		t.Fatalf("second sweep: %+v %v", rep, err)
	}
	if got := q.take(); !slices.Equal(got, []string{"r-d", "r-e"}) {
		t.Fatalf("second sweep re-drove %v", got)
	}
}

// TestARedriveAllSweepHasNoBudget: local mode's start re-sends every
// pending step at once; a budget would leave the rest for
// DSR_REDRIVE_AFTER.
func TestARedriveAllSweepHasNoBudget(t *testing.T) {
	clock := newClock()
	q := &sender{clock: clock, cost: time.Minute}
	s := newBounded(t, t.TempDir(), clock, q)
	s.Budget = 90 * time.Second
	for _, id := range []string{"r-a", "r-b", "r-c"} {
		pendingRequest(t, s.Ledger, id, "op-"+id, time.Now())
	}
	rep, err := s.Sweep(context.Background(), true)
	if err != nil || rep.OutOfTime || rep.Redriven != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestOneSweeperAtATime: two instances (two stores on one data dir);
// while the first sweeps, the second finds the lease held and returns at
// once without touching anything; once the first is done, it can sweep.
func TestOneSweeperAtATime(t *testing.T) {
	root := t.TempDir()
	clock := newClock()
	gate := make(chan struct{})
	q1 := &sender{clock: clock, gate: gate, arrived: make(chan struct{}, 1)}
	q2 := &sender{clock: clock}
	first := newBounded(t, root, clock, q1)
	second := newBounded(t, root, clock, q2)
	pendingRequest(t, first.Ledger, "r-a", "op-a", time.Now())
	ctx := context.Background()
	done := make(chan Report)
	go func() {
		rep, _ := first.Sweep(ctx, false)
		done <- rep
	}()
	<-q1.arrived // the first sweep is inside its re-drive
	rep, err := second.Sweep(ctx, false)
	if err != nil || !rep.Skipped || rep.Redriven != 0 || rep.Active != 0 {
		t.Fatalf("second sweeper while the first runs: %+v %v", rep, err)
	}
	close(gate)
	if rep := <-done; rep.Redriven != 1 || rep.Skipped {
		t.Fatalf("first sweeper: %+v", rep)
	}
	if rep, err := second.Sweep(ctx, false); err != nil || rep.Skipped {
		t.Fatalf("second sweeper afterwards: %+v %v", rep, err)
	}
	if got := q2.take(); len(got) != 0 {
		t.Fatalf("the second sweeper re-drove %v, sent by the first already", got)
	}
}

// TestAMessageBehindABacklogIsNotRedriven: the consumers are working
// through a backlog (the queue head watermark is an hour behind). A stale
// marker whose message is due after the watermark may still be queued and
// is left alone; one due well before it was passed over, is lost, and is
// sent again. Once the watermark is stale (nobody received anything for
// DSR_REDRIVE_AFTER), stale markers are re-driven as before.
func TestAMessageBehindABacklogIsNotRedriven(t *testing.T) {
	clock := newClock()
	q := &sender{clock: clock}
	s := newBounded(t, t.TempDir(), clock, q)
	now := clock.Now()
	headAt := now.Add(-3 * time.Hour)
	pendingRequest(t, s.Ledger, "r-queued", "op-queued", headAt.Add(10*time.Minute))
	pendingRequest(t, s.Ledger, "r-lost", "op-lost", headAt.Add(-10*time.Minute))
	h := &HeadMark{Store: s.Ledger.Store(), now: clock.Now}
	ctx := context.Background()
	h.Saw(ctx, &queue.Delivery{DeliveryCount: 1, EnqueuedAt: headAt})
	rep, err := s.Sweep(ctx, false)
	if err != nil || rep.Redriven != 1 || rep.Behind != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	if got := q.take(); !slices.Equal(got, []string{"r-lost"}) {
		t.Fatalf("re-drove %v, want only r-lost", got)
	}
	clock.Advance(31 * time.Minute)
	rep, err = s.Sweep(ctx, false)
	if err != nil || rep.Behind != 0 {
		t.Fatalf("sweep with a stale watermark: %+v %v", rep, err)
	}
	// r-lost's second message is as stale as r-queued's by now.
	if got := q.take(); !slices.Contains(got, "r-queued") {
		t.Fatalf("with a stale watermark re-drove %v, want r-queued among them", got)
	}
}

// TestHeadMarkSamples: at most one sample per HeadEvery, first
// deliveries only, and a scheduled message counts from its schedule.
func TestHeadMarkSamples(t *testing.T) {
	clock := newClock()
	cs := storetest.NewCounting(mustDir(t))
	h := &HeadMark{Store: cs, now: clock.Now}
	ctx := context.Background()
	at := clock.Now().Add(-time.Hour)
	h.Saw(ctx, &queue.Delivery{DeliveryCount: 2, EnqueuedAt: at})
	h.Saw(ctx, &queue.Delivery{DeliveryCount: 1, EnqueuedAt: at, Message: queue.Message{ScheduledAt: at.Add(time.Minute)}})
	h.Saw(ctx, &queue.Delivery{DeliveryCount: 1, EnqueuedAt: at.Add(2 * time.Minute)})
	if n := cs.Calls("put", HeadBlob); n != 1 {
		t.Fatalf("%d samples written, want 1", n)
	}
	hd, err := readHead(ctx, cs)
	if err != nil || hd == nil || !hd.EnqueuedAt.Equal(at.Add(time.Minute).UTC()) {
		t.Fatalf("head %+v %v", hd, err)
	}
	clock.Advance(HeadEvery)
	h.Saw(ctx, &queue.Delivery{DeliveryCount: 1, EnqueuedAt: at.Add(2 * time.Minute)})
	if n := cs.Calls("put", HeadBlob); n != 2 {
		t.Fatalf("%d samples written after HeadEvery, want 2", n)
	}
}

// TestASweepReadsOnlyWhatChanged: a request whose markers are as at the
// last visit and none stale costs one marker listing, no record listing
// and no reads; a new marker makes the next sweep look again.
func TestASweepReadsOnlyWhatChanged(t *testing.T) {
	clock := newClock()
	clock.Advance(-2 * time.Hour) // markers are fresh by the store's clock
	cs := storetest.NewCounting(mustDir(t))
	s := sweeperOn(cs, clock, &sender{clock: clock})
	pendingRequest(t, s.Ledger, "r-a", "op-a", time.Now())
	ctx := context.Background()
	if rep, err := s.Sweep(ctx, false); err != nil || rep.Unchanged != 0 || rep.Active != 1 {
		t.Fatalf("first sweep: %+v %v", rep, err)
	}
	cs.Reset()
	if rep, err := s.Sweep(ctx, false); err != nil || rep.Unchanged != 1 {
		t.Fatalf("second sweep: %+v %v", rep, err)
	}
	if n := cs.Calls("list", dsr.ResultsPrefix("r-a")) + cs.Calls("get", dsr.RequestPrefix("r-a")) + cs.Calls("get", dsr.PendingPrefix("r-a")); n != 0 {
		t.Fatalf("an unchanged request cost %d record listings and reads", n)
	}
	if n := cs.Calls("list", dsr.PendingPrefix("r-a")); n != 1 {
		t.Fatalf("%d marker listings, want 1", n)
	}
	pendingRequest(t, s.Ledger, "r-a", "op-b", time.Now())
	if rep, err := s.Sweep(ctx, false); err != nil || rep.Unchanged != 0 {
		t.Fatalf("sweep after a change: %+v %v", rep, err)
	}
}

func mustDir(t *testing.T) store.Store {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestALargeRequestIsCountedFromTheCache: a large running request whose
// markers change at every visit is counted (for its step cap) from the
// status this process derived in the last CountEvery, not by listing its
// records at every sweep; the cap still applies.
func TestALargeRequestIsCountedFromTheCache(t *testing.T) {
	clock := newClock()
	clock.Advance(-2 * time.Hour) // markers are fresh by the store's clock
	cs := storetest.NewCounting(mustDir(t))
	s := sweeperOn(cs, clock, &sender{clock: clock})
	s.Ledger.StatusCacheFrom = 3
	s.Ledger.SetClock(clock.Now)
	s.MaxSteps = 100
	ctx := context.Background()
	pendingRequest(t, s.Ledger, "r-a", "op-0", time.Now())
	for i := range 4 {
		if _, err := s.Ledger.Record(ctx, fmt.Sprint("done-", i), dsr.Record{RequestID: "r-a", Outcome: dsr.Succeeded}); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := s.Sweep(ctx, false); err != nil || rep.Active != 1 {
		t.Fatalf("first sweep: %+v %v", rep, err)
	}
	for i := 1; i <= 3; i++ {
		pendingRequest(t, s.Ledger, "r-a", fmt.Sprint("op-", i), time.Now()) // a change at every visit
		clock.Advance(time.Minute)                                           // the cached status is due for a refresh, but younger than CountEvery
		cs.Reset()
		if rep, err := s.Sweep(ctx, false); err != nil || rep.Unchanged != 0 || rep.Active != 1 {
			t.Fatalf("sweep %d: %+v %v", i, rep, err)
		}
		s.Ledger.Wait()
		if n := cs.Calls("list", dsr.ResultsPrefix("r-a")); n != 0 {
			t.Fatalf("sweep %d listed the records %d times, want 0 (cached count)", i, n)
		}
	}
	s.MaxSteps = 5 // 4 records and 5 markers: over it, by the cached count
	pendingRequest(t, s.Ledger, "r-a", "op-4", time.Now())
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, capped, err := s.Ledger.Capped(ctx, "r-a"); err != nil || !capped {
		t.Fatalf("capped = %v, %v: the cap must hold on the cached count", capped, err)
	}
}
