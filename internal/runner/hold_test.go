package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
)

var errStore = errors.New("store: connection refused")

// TestStoreTroubleIsRetriedInPlace: a step that fails on the store (an
// outage of a few seconds) is retried with backoff while its message is
// held (lock renewed), not abandoned: no delivery is burnt, and the
// message completes once the store is back.
func TestStoreTroubleIsRetriedInPlace(t *testing.T) {
	q := memory.New(memory.Options{LockDuration: 200 * time.Millisecond, MaxDeliveryCount: 3})
	q.Send(context.Background(), queue.Message{ID: "m", Body: []byte("m")})
	var mu sync.Mutex
	var at []time.Time
	var counts []int
	h := handlerFunc(func(ctx context.Context, body []byte, n int) error {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
		counts = append(counts, n)
		if len(at) <= 5 { // five failures: more than the queue's 3 deliveries
			return errStore
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Receiver: q.Receiver(), Handler: h, Concurrency: 1, StepTimeout: 5 * time.Second, Grace: time.Second,
		Hold: Hold{First: 20 * time.Millisecond, Max: 100 * time.Millisecond, For: time.Minute},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(at)
		mu.Unlock()
		if a, _ := q.Len(); a == 0 && n >= 6 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	active, dead := q.Len()
	if active != 0 || dead != 0 {
		t.Fatalf("active %d, dead %d: the message should have completed", active, dead)
	}
	if len(at) != 6 {
		t.Fatalf("%d attempts, want 6", len(at))
	}
	for i, n := range counts {
		if n != 1 {
			t.Fatalf("attempt %d ran on delivery %d: the message was released instead of held", i+1, n)
		}
	}
	// backoff: each wait at least as long as the one before, the first at
	// least First.
	prev := time.Duration(0)
	for i := 1; i < len(at); i++ {
		gap := at[i].Sub(at[i-1])
		if gap < 20*time.Millisecond || gap < prev/2 {
			t.Fatalf("attempt %d came %v after the one before (waits %v)", i+1, gap, prev)
		}
		prev = gap
	}
}

// TestHoldEndsWhenItsTimeIsUp: past Hold.For the message is released
// (abandoned) for the queue to redeliver.
func TestHoldEndsWhenItsTimeIsUp(t *testing.T) {
	q := memory.New(memory.Options{LockDuration: time.Second, MaxDeliveryCount: 2})
	q.Send(context.Background(), queue.Message{ID: "m", Body: []byte("m")})
	var mu sync.Mutex
	deliveries := map[int]int{}
	h := handlerFunc(func(ctx context.Context, body []byte, n int) error {
		mu.Lock()
		defer mu.Unlock()
		deliveries[n]++
		return errStore
	})
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Receiver: q.Receiver(), Handler: h, Concurrency: 1, StepTimeout: 5 * time.Second, Grace: time.Second,
		Hold: Hold{First: 10 * time.Millisecond, Max: 20 * time.Millisecond, For: 100 * time.Millisecond},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, d := q.Len(); d == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if _, dead := q.Len(); dead != 1 {
		t.Fatalf("the message was not released after its hold: %d dead", dead)
	}
	mu.Lock()
	defer mu.Unlock()
	if deliveries[1] < 2 || deliveries[2] < 2 {
		t.Fatalf("attempts per delivery %v: each delivery should retry in place before it is released", deliveries)
	}
}
