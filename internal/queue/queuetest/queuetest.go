// Package queuetest is the conformance suite every queue adapter passes.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"amldsr/internal/queue"
)

// Harness opens a fresh, empty queue for each test.
type Harness struct {
	// Open returns a sender, a receiver and a dead-letter receiver of a new
	// queue.
	Open func(t *testing.T) (queue.Sender, queue.Receiver, queue.Receiver)
	// LockDuration and MaxDeliveryCount are those of the queues Open makes.
	LockDuration     time.Duration
	MaxDeliveryCount int
}

// Run exercises the adapter.
func Run(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"SendReceiveComplete", testRoundTrip},
		{"AbandonRedelivers", testAbandon},
		{"DeadLetterWithReason", testDeadLetter},
		{"MaxDeliveryCount", testMaxDelivery},
		{"Scheduled", testScheduled},
		{"RenewLock", testRenew},
		{"LockExpiryRedelivers", testLockExpiry},
		{"ManyMessagesCompetingReceivers", testMany},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func msg(id string) queue.Message {
	return queue.Message{ID: id, Body: []byte(`{"v":1,"id":"` + id + `"}`), ContentType: "application/json",
		Properties: map[string]string{"requestId": "r-" + id, "kind": "export"}}
}

func receiveOne(t *testing.T, r queue.Receiver, within time.Duration) *queue.Delivery {
	t.Helper()
	ds, err := r.Receive(ctx(t, within), 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("receive: %v (%d messages)", err, len(ds))
	}
	return ds[0]
}

func expectNone(t *testing.T, r queue.Receiver, within time.Duration) {
	t.Helper()
	ds, _ := r.Receive(ctx(t, within), 1)
	if len(ds) > 0 {
		t.Fatalf("unexpected message %s", ds[0].ID)
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	m := msg("a")
	if err := s.Send(ctx(t, 10*time.Second), m); err != nil {
		t.Fatal(err)
	}
	d := receiveOne(t, r, 10*time.Second)
	if d.ID != "a" || string(d.Body) != string(m.Body) || d.ContentType != "application/json" ||
		d.Properties["requestId"] != "r-a" || d.Properties["kind"] != "export" || d.DeliveryCount != 1 {
		t.Fatalf("delivery %+v", d)
	}
	if err := r.Complete(ctx(t, 10*time.Second), d); err != nil {
		t.Fatal(err)
	}
	expectNone(t, r, 300*time.Millisecond)
}

func testAbandon(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	s.Send(ctx(t, 10*time.Second), msg("b"))
	d := receiveOne(t, r, 10*time.Second)
	if err := r.Abandon(ctx(t, 10*time.Second), d); err != nil {
		t.Fatal(err)
	}
	d2 := receiveOne(t, r, 10*time.Second)
	if d2.ID != "b" || d2.DeliveryCount != 2 {
		t.Fatalf("redelivery %s count %d, want b count 2", d2.ID, d2.DeliveryCount)
	}
	r.Complete(ctx(t, 10*time.Second), d2)
}

func testDeadLetter(t *testing.T, h Harness) {
	s, r, dlq := h.Open(t)
	s.Send(ctx(t, 10*time.Second), msg("c"))
	d := receiveOne(t, r, 10*time.Second)
	if err := r.DeadLetter(ctx(t, 10*time.Second), d, "MalformedBody", "unknown v 7"); err != nil {
		t.Fatal(err)
	}
	expectNone(t, r, 300*time.Millisecond)
	dd := receiveOne(t, dlq, 10*time.Second)
	if dd.ID != "c" || dd.DeadLetterReason != "MalformedBody" || dd.DeadLetterDescription != "unknown v 7" || string(dd.Body) != string(msg("c").Body) {
		t.Fatalf("dead letter %+v", dd)
	}
	if err := dlq.Complete(ctx(t, 10*time.Second), dd); err != nil {
		t.Fatal(err)
	}
	expectNone(t, dlq, 300*time.Millisecond)
}

func testMaxDelivery(t *testing.T, h Harness) {
	s, r, dlq := h.Open(t)
	s.Send(ctx(t, 10*time.Second), msg("d"))
	for i := 1; i <= h.MaxDeliveryCount; i++ {
		d := receiveOne(t, r, 10*time.Second)
		if d.DeliveryCount != i {
			t.Fatalf("delivery %d has count %d", i, d.DeliveryCount)
		}
		if err := r.Abandon(ctx(t, 10*time.Second), d); err != nil {
			t.Fatal(err)
		}
	}
	expectNone(t, r, 300*time.Millisecond)
	dd := receiveOne(t, dlq, 10*time.Second)
	if dd.ID != "d" || dd.DeadLetterReason != queue.MaxDeliveryCountExceeded {
		t.Fatalf("dead letter %s reason %q", dd.ID, dd.DeadLetterReason)
	}
	dlq.Complete(ctx(t, 10*time.Second), dd)
}

func testScheduled(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	m := msg("e")
	at := time.Now().Add(1500 * time.Millisecond)
	m.ScheduledAt = at
	if err := s.Send(ctx(t, 10*time.Second), m, msg("f")); err != nil {
		t.Fatal(err)
	}
	d := receiveOne(t, r, 10*time.Second)
	if d.ID != "f" {
		t.Fatalf("got %s before the scheduled time", d.ID)
	}
	r.Complete(ctx(t, 10*time.Second), d)
	d = receiveOne(t, r, 10*time.Second)
	if d.ID != "e" || time.Now().Before(at.Add(-100*time.Millisecond)) {
		t.Fatalf("scheduled message %s arrived at %v, scheduled %v", d.ID, time.Now(), at)
	}
	r.Complete(ctx(t, 10*time.Second), d)
}

func testRenew(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	s.Send(ctx(t, 10*time.Second), msg("g"))
	d := receiveOne(t, r, 10*time.Second)
	first := d.LockedUntil
	time.Sleep(h.LockDuration / 2)
	until, err := r.RenewLock(ctx(t, 10*time.Second), d)
	if err != nil || !until.After(first) {
		t.Fatalf("renew: %v, %v not after %v", err, until, first)
	}
	time.Sleep(h.LockDuration * 5 / 8) // past the first lock, inside the renewed one
	expectNone(t, r, h.LockDuration/8)
	if err := r.Complete(ctx(t, 10*time.Second), d); err != nil {
		t.Fatalf("complete after renewal: %v", err)
	}
}

func testLockExpiry(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	s.Send(ctx(t, 10*time.Second), msg("h"))
	d := receiveOne(t, r, 10*time.Second)
	d2 := receiveOne(t, r, h.LockDuration*4)
	if d2.ID != "h" || d2.DeliveryCount != 2 {
		t.Fatalf("after lock expiry got %s count %d", d2.ID, d2.DeliveryCount)
	}
	if err := r.Complete(ctx(t, 10*time.Second), d); !errors.Is(err, queue.ErrLockLost) {
		t.Fatalf("settling the stale delivery: %v, want ErrLockLost", err)
	}
	if err := r.Complete(ctx(t, 10*time.Second), d2); err != nil {
		t.Fatal(err)
	}
}

func testMany(t *testing.T, h Harness) {
	s, r, _ := h.Open(t)
	const n = 500
	var msgs []queue.Message
	for i := range n {
		msgs = append(msgs, msg(fmt.Sprintf("m%03d", i)))
	}
	if err := s.Send(ctx(t, 30*time.Second), msgs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	c := ctx(t, 30*time.Second)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := len(seen) == n
				mu.Unlock()
				if done {
					return
				}
				rc, cancel := context.WithTimeout(c, 500*time.Millisecond)
				ds, _ := r.Receive(rc, 20)
				cancel()
				for _, d := range ds {
					if err := r.Complete(c, d); err != nil {
						t.Error(err)
					}
					mu.Lock()
					seen[d.ID]++
					mu.Unlock()
				}
				if c.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("received %d distinct messages of %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s completed %d times", id, k)
		}
	}
}
