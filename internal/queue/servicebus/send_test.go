package servicebus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
	"amldsr/internal/queue/servicebus"
	"amldsr/test/procs"
)

// TestSendHundredThousand sends 100,000 messages in one call: the adapter
// splits them into batches under max-message-size, and the stand-in gets
// every one.
func TestSendHundredThousand(t *testing.T) {
	const n = 100_000
	c := start(t, procs.ServiceBusOptions{})
	name := queueName(t)
	s, err := servicebus.NewSender(c, name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	msgs := make([]queue.Message, n)
	for i := range msgs {
		msgs[i] = msg(fmt.Sprintf("m%06d", i))
	}
	began := time.Now()
	if err := s.Send(timeout(t, 60*time.Second), msgs...); err != nil {
		t.Fatalf("send %d: %v (ErrMessageTooLarge: %v)", n, err, errors.Is(err, azservicebus.ErrMessageTooLarge))
	}
	t.Logf("sent %d messages in %v", n, time.Since(began))
	seen := drain(t, c, name, n)
	if len(seen) != n {
		t.Fatalf("stand-in delivered %d distinct messages of %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s delivered %d times", id, k)
		}
	}
}

// drain receives (and deletes) up to want messages of queue name and
// counts them by id.
func drain(t *testing.T, c *azservicebus.Client, name string, want int) map[string]int {
	t.Helper()
	r, err := c.NewReceiverForQueue(name, &azservicebus.ReceiverOptions{ReceiveMode: azservicebus.ReceiveModeReceiveAndDelete})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	seen := map[string]int{}
	total := 0
	for total < want {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ms, err := r.ReceiveMessages(ctx, servicebus.MaxReceive, &azservicebus.ReceiveMessagesOptions{TimeAfterFirstMessage: 50 * time.Millisecond})
		cancel()
		if len(ms) == 0 {
			t.Fatalf("after %d messages: %v", total, err)
		}
		for _, m := range ms {
			seen[m.MessageID]++
		}
		total += len(ms)
	}
	return seen
}

func TestSendTooLarge(t *testing.T) {
	const max = 64 * 1024
	c := start(t, procs.ServiceBusOptions{MaxMessageSize: max})
	s, r, _ := open(t, c)
	big := queue.Message{ID: "big-one", Body: []byte(strings.Repeat("x", max+1))}
	err := s.Send(timeout(t, 10*time.Second), msg("before"), big, msg("after"))
	var tooLarge *servicebus.MessageTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.ID != "big-one" || !errors.Is(err, azservicebus.ErrMessageTooLarge) {
		t.Fatalf("send of a %d-byte message: %v, want *MessageTooLargeError for big-one", max+1, err)
	}
	if !strings.Contains(err.Error(), `"big-one"`) {
		t.Fatalf("error does not name the message: %v", err)
	}
	if ds, _ := r.Receive(timeout(t, 500*time.Millisecond), 10); len(ds) > 0 {
		t.Fatalf("%s was sent although the call failed", ds[0].ID)
	}
	// A message just under the limit goes through.
	fits := queue.Message{ID: "fits", Body: []byte(strings.Repeat("y", max-1024))}
	if err := s.Send(timeout(t, 10*time.Second), fits); err != nil {
		t.Fatal(err)
	}
	ds, err := r.Receive(timeout(t, 10*time.Second), 1)
	if err != nil || ds[0].ID != "fits" || len(ds[0].Body) != len(fits.Body) {
		t.Fatalf("receive: %v %v", err, ds)
	}
}

// TestScheduledNotEarly sends two scheduled messages and one for now in one
// call: each arrives, in time order, and not before its time.
func TestScheduledNotEarly(t *testing.T) {
	c := start(t, procs.ServiceBusOptions{})
	s, r, _ := open(t, c)
	now := time.Now()
	late, soon := msg("late"), msg("soon")
	late.ScheduledAt, soon.ScheduledAt = now.Add(1200*time.Millisecond), now.Add(600*time.Millisecond)
	if err := s.Send(timeout(t, 10*time.Second), late, msg("now"), soon); err != nil {
		t.Fatal(err)
	}
	for _, want := range []queue.Message{msg("now"), soon, late} {
		ds, err := r.Receive(timeout(t, 10*time.Second), 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("want %s alone: %v %d messages", want.ID, err, len(ds))
		}
		d := ds[0]
		at := want.ScheduledAt.Truncate(time.Millisecond) // AMQP timestamps are in milliseconds
		if d.ID != want.ID || time.Now().Before(at) || !d.ScheduledAt.Equal(at) {
			t.Fatalf("got %s at %v (scheduled %v), want %s scheduled %v", d.ID, time.Now(), d.ScheduledAt, want.ID, want.ScheduledAt)
		}
		if err := r.Complete(timeout(t, 10*time.Second), d); err != nil {
			t.Fatal(err)
		}
	}
}
