package servicebus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/test/procs"
)

// TestStandinManagement checks the stand-in's $management operations the
// adapter does not use, through the SDK: schedule, peek and cancel.
func TestStandinManagement(t *testing.T) {
	c := start(t, procs.ServiceBusOptions{})
	name := queueName(t)
	s, err := c.NewSender(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	r, err := c.NewReceiverForQueue(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	id := "later"
	seqs, err := s.ScheduleMessages(timeout(t, 10*time.Second), []*azservicebus.Message{{MessageID: &id, Body: []byte("x")}}, at, nil)
	if err != nil || len(seqs) != 1 {
		t.Fatalf("schedule: %v %v", seqs, err)
	}
	peeked, err := r.PeekMessages(timeout(t, 10*time.Second), 10, nil)
	if err != nil || len(peeked) != 1 {
		t.Fatalf("peek: %v, %d messages", err, len(peeked))
	}
	p := peeked[0]
	if p.MessageID != id || p.State != azservicebus.MessageStateScheduled || p.ScheduledEnqueueTime == nil ||
		!p.ScheduledEnqueueTime.Equal(at) || p.SequenceNumber == nil || *p.SequenceNumber != seqs[0] {
		t.Fatalf("peeked %+v", p)
	}
	if err := s.CancelScheduledMessages(timeout(t, 10*time.Second), seqs, nil); err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	peeked, err = r.PeekMessages(timeout(t, 10*time.Second), 10, &azservicebus.PeekMessagesOptions{FromSequenceNumber: &zero})
	if err != nil || len(peeked) != 0 {
		t.Fatalf("peek after cancel: %v, %d messages", err, len(peeked))
	}
}

// TestStandinSettleByLockToken settles with only a lock token, on another
// receiver: the SDK goes through $management update-disposition.
func TestStandinSettleByLockToken(t *testing.T) {
	c := start(t, procs.ServiceBusOptions{})
	s, r, dlq, name := openNamed(t, c)
	if err := s.Send(timeout(t, 10*time.Second), msg("tok")); err != nil {
		t.Fatal(err)
	}
	ds, err := r.Receive(timeout(t, 10*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.NewReceiverForQueue(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	tokenOnly := &azservicebus.ReceivedMessage{LockToken: ds[0].Handle.(*azservicebus.ReceivedMessage).LockToken}
	reason := "ByToken"
	if err := other.DeadLetterMessage(timeout(t, 10*time.Second), tokenOnly, &azservicebus.DeadLetterOptions{Reason: &reason}); err != nil {
		t.Fatal(err)
	}
	dd, err := dlq.Receive(timeout(t, 10*time.Second), 1)
	if err != nil || dd[0].ID != "tok" || dd[0].DeadLetterReason != reason {
		t.Fatalf("dead letter: %v %+v", err, dd)
	}
	err = other.CompleteMessage(timeout(t, 10*time.Second), tokenOnly, nil)
	var sbErr *azservicebus.Error
	if !errors.As(err, &sbErr) || sbErr.Code != azservicebus.CodeLockLost {
		t.Fatalf("completing a settled token: %v, want CodeLockLost", err)
	}
}

// TestStandinKeepsTypes sends application properties of several AMQP types
// and reads them back with their Go types, from the queue and, after
// dead-lettering, from the dead-letter queue (where the stand-in adds the
// dead-letter properties to the original bytes).
func TestStandinKeepsTypes(t *testing.T) {
	c := start(t, procs.ServiceBusOptions{})
	_, r, dlq, name := openNamed(t, c)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC)
	props := map[string]any{"s": "x", "i64": int64(1 << 40), "i32": int32(-7), "b": true, "f": 1.5, "t": at}
	sender, err := c.NewSender(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close(context.Background())
	id := "typed"
	if err := sender.SendMessage(timeout(t, 10*time.Second), &azservicebus.Message{MessageID: &id, ApplicationProperties: props}, nil); err != nil {
		t.Fatal(err)
	}
	check := func(where string, got map[string]any) {
		t.Helper()
		for k, want := range props {
			g, ok := got[k]
			if tm, isTime := g.(time.Time); isTime && k == "t" && tm.Equal(at) {
				continue
			}
			if !ok || g != want {
				t.Errorf("%s: %s = %#v (%T), want %#v (%T)", where, k, g, g, want, want)
			}
		}
	}
	ds, err := r.Receive(timeout(t, 10*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	check("queue", ds[0].Handle.(*azservicebus.ReceivedMessage).ApplicationProperties)
	if err := r.DeadLetter(timeout(t, 10*time.Second), ds[0], "R", "D"); err != nil {
		t.Fatal(err)
	}
	dd, err := dlq.Receive(timeout(t, 10*time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	check("dead-letter queue", dd[0].Handle.(*azservicebus.ReceivedMessage).ApplicationProperties)
	if dd[0].DeadLetterReason != "R" || dd[0].DeadLetterDescription != "D" {
		t.Errorf("dead letter %+v", dd[0])
	}
}
