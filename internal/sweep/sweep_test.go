package sweep

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
	"amldsr/internal/worker"
)

const target = "/subscriptions/s1/resourceGroups/rg-1"

func setup(t *testing.T) (*Sweeper, *memory.Queue) {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	l.Accept(context.Background(), dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Export, Targets: []string{target}, Match: dsr.MatchAll},
		AcceptedAt: time.Now().Add(-time.Hour).UTC()})
	q := memory.New(memory.Options{LockDuration: time.Second})
	return &Sweeper{Ledger: l, Queue: q, DeadLetters: q.DeadLetterReceiver(), RedriveAfter: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, q
}

// step is the root step of the request; op "" gives it its own key.
func step(op string) worker.Step {
	s := worker.Step{V: 1, Kind: worker.KindExport, RequestID: "r1", Op: op, Mode: dsr.Export, Res: "arm.resourcegroup", Path: target}
	if op == "" {
		s.Op = s.Key()
	}
	return s
}

func TestDeadLettersBecomeFailedRecords(t *testing.T) {
	s, q := setup(t)
	ctx := context.Background()
	root := step("")
	worker.Book{Ledger: s.Ledger, Queue: q}.Start(ctx, time.Time{}, root)
	ds, _ := q.Receiver().Receive(ctx, 1)
	// A reason of the worker's (an outage's MaxDeliveryCountExceeded is
	// re-driven first: TestAnOutageDeadLetterIsRedriven).
	q.Receiver().DeadLetter(ctx, ds[0], "InvalidStep", "refused")
	q.Send(ctx, queue.Message{ID: "junk", Body: []byte("not json")})
	junk, _ := q.Receiver().Receive(ctx, 1)
	q.Receiver().DeadLetter(ctx, junk[0], "MalformedBody", "x")
	rep, err := s.Sweep(ctx, false)
	// Nothing pending and one failed record afterwards: the same sweep
	// finalizes the request.
	if err != nil || rep.DeadLettered != 2 || rep.Finalized != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	rec, err := s.Ledger.ReadRecord(ctx, "r1", root.Op)
	// The root step of a resource-group target lists: its record says
	// discover, as the worker's would.
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "InvalidStep" || rec.Operation != dsr.StepDiscover {
		t.Fatalf("record %+v %v", rec, err)
	}
	if m, _ := s.Ledger.Pending(ctx, "r1"); len(m) != 0 {
		t.Fatalf("marker left: %+v", m)
	}
	if _, dead := q.Len(); dead != 0 {
		t.Fatalf("%d dead letters left", dead)
	}
	st, _ := s.Ledger.Status(ctx, "r1")
	if st.State != dsr.StateFailed || len(st.Errors) != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestLostMessagesAreRedriven(t *testing.T) {
	s, q := setup(t)
	ctx := context.Background()
	old := step("old")
	msg := old.Message()
	s.Ledger.Pend(ctx, "r1",
		ledger.Marker{OpKey: "old", MessageID: msg.ID, Body: msg.Body, WrittenAt: time.Now().Add(-2 * time.Minute)},
		ledger.Marker{OpKey: "fresh", MessageID: "m2", Body: msg.Body, WrittenAt: time.Now()},
		ledger.Marker{OpKey: "scheduled", MessageID: "m3", Body: msg.Body, WrittenAt: time.Now().Add(-2 * time.Minute), NotBefore: time.Now().Add(time.Hour)})
	rep, err := s.Sweep(ctx, false)
	if err != nil || rep.Redriven != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	ds, _ := q.Receiver().Receive(ctx, 5)
	if len(ds) != 1 || !strings.HasPrefix(ds[0].ID, msg.ID+".r") {
		t.Fatalf("sent %d messages (a re-drive's id is the step's plus .r<time>)", len(ds))
	}
	var got worker.Step
	json.Unmarshal(ds[0].Body, &got)
	if got.Op != "old" {
		t.Fatalf("re-drove %s", got.Op)
	}
	// At start-up with an empty embedded queue, everything goes again.
	rep, _ = s.Sweep(ctx, true)
	if rep.Redriven != 3 {
		t.Fatalf("redrive all: %+v", rep)
	}
}

func TestAFanOutThatNeverHappenedIsRedriven(t *testing.T) {
	s, q := setup(t)
	rep, err := s.Sweep(context.Background(), false)
	if err != nil || rep.Redriven != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if active, _ := q.Len(); active != 1 {
		t.Fatalf("%d messages", active)
	}
}

// A dead letter that is not its operation's current message (forged, or
// stale) is recorded as rejected, never in the place of the record its
// operation will write.
func TestAForgedDeadLetterCannotFailAnOperation(t *testing.T) {
	s, q := setup(t)
	ctx := context.Background()
	root := step("")
	worker.Book{Ledger: s.Ledger, Queue: q}.Start(ctx, time.Time{}, root)
	forged := root
	forged.Attempt = 7
	q.Send(ctx, forged.Message())
	rc := q.Receiver()
	for range 2 {
		ds, _ := rc.Receive(ctx, 1)
		var got worker.Step
		json.Unmarshal(ds[0].Body, &got)
		if got.Attempt == 7 {
			rc.DeadLetter(ctx, ds[0], "ModeMismatch", "forged")
		}
	}
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.Ledger.HasRecord(ctx, "r1", root.Op); done {
		t.Fatal("a forged dead letter wrote the operation's record")
	}
	if m, _ := s.Ledger.Marker(ctx, "r1", root.Op); m == nil {
		t.Fatal("a forged dead letter removed the operation's marker")
	}
	st, _ := s.Ledger.Status(ctx, "r1")
	if len(st.Errors) != 1 || st.Errors[0].Code != "ModeMismatch" {
		t.Fatalf("the rejected message is not reported: %+v", st.Errors)
	}
}
