package servicebus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
	"amldsr/test/procs"
)

// TestDeadLetterReasons reads both kinds of dead letters from the DLQ: one
// dead-lettered with a reason, one abandoned past MaxDeliveryCount.
func TestDeadLetterReasons(t *testing.T) {
	c := start(t, procs.ServiceBusOptions{MaxDeliveryCount: 2})
	s, r, dlq := open(t, c)
	if err := s.Send(timeout(t, 10*time.Second), msg("bad"), msg("flaky")); err != nil {
		t.Fatal(err)
	}
	ds, err := r.Receive(timeout(t, 10*time.Second), 2)
	if err != nil || len(ds) != 2 {
		t.Fatalf("receive: %v, %d messages", err, len(ds))
	}
	if err := r.DeadLetter(timeout(t, 10*time.Second), ds[0], "MalformedBody", "field v is 7"); err != nil {
		t.Fatal(err)
	}
	for d := ds[1]; ; {
		if err := r.Abandon(timeout(t, 10*time.Second), d); err != nil {
			t.Fatal(err)
		}
		got, err := r.Receive(timeout(t, 500*time.Millisecond), 1)
		if errors.Is(err, context.DeadlineExceeded) {
			break // dead-lettered
		}
		if err != nil || got[0].DeliveryCount > 2 {
			t.Fatalf("abandoned message came back: %v %+v", err, got)
		}
		d = got[0]
	}
	want := map[string][2]string{
		"bad":   {"MalformedBody", "field v is 7"},
		"flaky": {queue.MaxDeliveryCountExceeded, ""},
	}
	for range want {
		ds, err := dlq.Receive(timeout(t, 10*time.Second), 1)
		if err != nil {
			t.Fatal(err)
		}
		d := ds[0]
		w, ok := want[d.ID]
		if !ok || d.DeadLetterReason != w[0] || (w[1] != "" && d.DeadLetterDescription != w[1]) {
			t.Fatalf("dead letter %s: reason %q description %q", d.ID, d.DeadLetterReason, d.DeadLetterDescription)
		}
		if d.Properties["requestId"] != "r-"+d.ID || len(d.Properties) != 1 || string(d.Body) != string(msg(d.ID).Body) {
			t.Fatalf("dead letter %s lost its content: %+v", d.ID, d.Message)
		}
		if src := d.Handle.(*azservicebus.ReceivedMessage).DeadLetterSource; src == nil || *src == "" {
			t.Fatalf("dead letter %s has no DeadLetterSource", d.ID)
		}
		if err := dlq.Complete(timeout(t, 10*time.Second), d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenewExpiredLock renews a lock that expired: queue.ErrLockLost
// (Service Bus answers the renew-lock request with status 410).
func TestRenewExpiredLock(t *testing.T) {
	const lock = 500 * time.Millisecond
	c := start(t, procs.ServiceBusOptions{LockDuration: lock})
	s, r, _ := open(t, c)
	if err := s.Send(timeout(t, 10*time.Second), msg("slow")); err != nil {
		t.Fatal(err)
	}
	ds, err := r.Receive(timeout(t, 10*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	if until := ds[0].LockedUntil; until.Before(time.Now()) || until.After(time.Now().Add(2*lock)) {
		t.Fatalf("LockedUntil %v, want about %v from now", until, lock)
	}
	time.Sleep(lock + 200*time.Millisecond)
	if _, err := r.RenewLock(timeout(t, 10*time.Second), ds[0]); !errors.Is(err, queue.ErrLockLost) {
		t.Fatalf("renewing an expired lock: %v, want ErrLockLost", err)
	}
	if err := r.Abandon(timeout(t, 10*time.Second), ds[0]); !errors.Is(err, queue.ErrLockLost) {
		t.Fatalf("abandoning with an expired lock: %v, want ErrLockLost", err)
	}
}
