package runner

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/worker"
)

type handlerFunc func(ctx context.Context, body []byte, n int) error

func (f handlerFunc) Handle(ctx context.Context, body []byte, n int) error { return f(ctx, body, n) }

func run(t *testing.T, q *memory.Queue, h Handler, until func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Receiver: q.Receiver(), Handler: h, Concurrency: 2, StepTimeout: 5 * time.Second, Grace: time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !until() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestOutcomesSettleMessages(t *testing.T) {
	q := memory.New(memory.Options{LockDuration: time.Second, MaxDeliveryCount: 3})
	q.Send(context.Background(), queue.Message{ID: "ok", Body: []byte("ok")}, queue.Message{ID: "poison", Body: []byte("poison")},
		queue.Message{ID: "panics", Body: []byte("panics")})
	var mu sync.Mutex
	calls := map[string]int{}
	h := handlerFunc(func(ctx context.Context, body []byte, n int) error {
		mu.Lock()
		calls[string(body)]++
		mu.Unlock()
		switch string(body) {
		case "poison":
			return &worker.PoisonError{Reason: "UnknownVersion", Description: "v=9"}
		case "panics":
			panic("boom")
		}
		return nil
	})
	run(t, q, h, func() bool { a, d := q.Len(); return a == 0 && d == 2 })
	active, dead := q.Len()
	if active != 0 || dead != 2 {
		t.Fatalf("active %d dead %d, want 0 and 2", active, dead)
	}
	if calls["ok"] != 1 || calls["poison"] != 1 || calls["panics"] != 3 {
		t.Fatalf("calls %v: ok once, poison once (dead-lettered), panics until the delivery limit", calls)
	}
	ds, err := q.DeadLetterReceiver().Receive(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, d := range ds {
		reasons[d.ID] = d.DeadLetterReason
	}
	if reasons["poison"] != "UnknownVersion" || reasons["panics"] != queue.MaxDeliveryCountExceeded {
		t.Fatalf("dead-letter reasons %v", reasons)
	}
}

// A step longer than the lock keeps its lock: it is not delivered twice.
func TestLockIsRenewedWhileAStepRuns(t *testing.T) {
	q := memory.New(memory.Options{LockDuration: 300 * time.Millisecond})
	q.Send(context.Background(), queue.Message{ID: "slow", Body: []byte("slow")})
	var mu sync.Mutex
	n := 0
	h := handlerFunc(func(ctx context.Context, body []byte, _ int) error {
		mu.Lock()
		n++
		mu.Unlock()
		time.Sleep(time.Second)
		return nil
	})
	run(t, q, h, func() bool { a, _ := q.Len(); return a == 0 })
	if n != 1 {
		t.Fatalf("ran %d times", n)
	}
}
