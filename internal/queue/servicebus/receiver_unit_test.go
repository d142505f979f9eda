package servicebus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
)

type result struct {
	msgs []*azservicebus.ReceivedMessage
	err  error
}

// fakeReceiver answers ReceiveMessages from results (then blocks until ctx
// ends), fails settlement with err, and notices concurrent receives.
type fakeReceiver struct {
	mu         sync.Mutex
	results    []result
	active     atomic.Int32
	concurrent atomic.Bool
	err        error
	renewTo    time.Time
}

func (f *fakeReceiver) ReceiveMessages(ctx context.Context, n int, _ *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error) {
	if f.active.Add(1) > 1 {
		f.concurrent.Store(true)
	}
	defer f.active.Add(-1)
	f.mu.Lock()
	if len(f.results) > 0 {
		r := f.results[0]
		f.results = f.results[1:]
		f.mu.Unlock()
		time.Sleep(time.Millisecond)
		return r.msgs, r.err
	}
	f.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeReceiver) CompleteMessage(context.Context, *azservicebus.ReceivedMessage, *azservicebus.CompleteMessageOptions) error {
	return f.err
}

func (f *fakeReceiver) AbandonMessage(context.Context, *azservicebus.ReceivedMessage, *azservicebus.AbandonMessageOptions) error {
	return f.err
}

func (f *fakeReceiver) DeadLetterMessage(context.Context, *azservicebus.ReceivedMessage, *azservicebus.DeadLetterOptions) error {
	return f.err
}

func (f *fakeReceiver) RenewMessageLock(_ context.Context, m *azservicebus.ReceivedMessage, _ *azservicebus.RenewMessageLockOptions) error {
	if f.err == nil {
		m.LockedUntil = &f.renewTo
	}
	return f.err
}

func (f *fakeReceiver) Close(context.Context) error { return nil }

func ptr[T any](v T) *T { return &v }

func TestReceiveConverts(t *testing.T) {
	enq, locked, sched := time.Unix(100, 0), time.Unix(200, 0), time.Unix(300, 0)
	m := &azservicebus.ReceivedMessage{
		MessageID: "a", Body: []byte("b"), ContentType: ptr("application/json"), DeliveryCount: 3,
		EnqueuedTime: &enq, LockedUntil: &locked, ScheduledEnqueueTime: &sched,
		DeadLetterReason: ptr("Bad"), DeadLetterErrorDescription: ptr("why"),
		ApplicationProperties: map[string]any{"requestId": "r1", "n": int64(7), "at": enq.UTC(),
			"DeadLetterReason": "Bad", "DeadLetterErrorDescription": "why"},
	}
	r := wrapReceiver(&fakeReceiver{results: []result{{msgs: []*azservicebus.ReceivedMessage{m}}}})
	ds, err := r.Receive(context.Background(), 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("%v %v", ds, err)
	}
	d := ds[0]
	if d.ID != "a" || string(d.Body) != "b" || d.ContentType != "application/json" || d.DeliveryCount != 3 ||
		!d.EnqueuedAt.Equal(enq) || !d.LockedUntil.Equal(locked) || !d.ScheduledAt.Equal(sched) ||
		d.DeadLetterReason != "Bad" || d.DeadLetterDescription != "why" || d.Handle != m {
		t.Fatalf("delivery %+v", d)
	}
	want := map[string]string{"requestId": "r1", "n": "7", "at": "1970-01-01T00:01:40Z"}
	if len(d.Properties) != len(want) {
		t.Fatalf("properties %v, want %v", d.Properties, want)
	}
	for k, v := range want {
		if d.Properties[k] != v {
			t.Fatalf("properties %v, want %v", d.Properties, want)
		}
	}
}

func TestReceiveWaits(t *testing.T) {
	one := []*azservicebus.ReceivedMessage{{MessageID: "x"}}
	unauthorized := errors.New("unauthorized")
	for _, tc := range []struct {
		name    string
		results []result
		want    error // nil: one message
	}{
		{"empty answers are retried", []result{{}, {}, {msgs: one}}, nil},
		{"messages win over an error", []result{{msgs: one, err: errors.New("late")}}, nil},
		{"ctx ends with nothing", nil, context.DeadlineExceeded},
		{"sdk error", []result{{err: unauthorized}}, unauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := wrapReceiver(&fakeReceiver{results: tc.results})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			ds, err := r.Receive(ctx, 1)
			if tc.want == nil && (err != nil || len(ds) != 1) {
				t.Fatalf("got %v, %v; want one message", ds, err)
			}
			if tc.want != nil && (!errors.Is(err, tc.want) || len(ds) != 0) {
				t.Fatalf("got %v, %v; want %v", ds, err, tc.want)
			}
		})
	}
}

func TestReceiveTakesTurns(t *testing.T) {
	var results []result
	for range 50 {
		results = append(results, result{msgs: []*azservicebus.ReceivedMessage{{MessageID: "x"}}})
	}
	f := &fakeReceiver{results: results}
	r := wrapReceiver(f)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			for range 10 {
				if _, err := r.Receive(context.Background(), 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if f.concurrent.Load() {
		t.Fatal("ReceiveMessages was called concurrently")
	}
}

func TestSettleMapsLockLost(t *testing.T) {
	lost := &azservicebus.Error{Code: azservicebus.CodeLockLost}
	other := errors.New("connection reset")
	d := func() *queue.Delivery {
		return &queue.Delivery{Message: queue.Message{ID: "a"}, Handle: &azservicebus.ReceivedMessage{}}
	}
	ops := map[string]func(*Receiver, *queue.Delivery) error{
		"complete":    func(r *Receiver, d *queue.Delivery) error { return r.Complete(context.Background(), d) },
		"abandon":     func(r *Receiver, d *queue.Delivery) error { return r.Abandon(context.Background(), d) },
		"dead-letter": func(r *Receiver, d *queue.Delivery) error { return r.DeadLetter(context.Background(), d, "r", "d") },
		"renew": func(r *Receiver, d *queue.Delivery) error {
			_, err := r.RenewLock(context.Background(), d)
			return err
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			if err := op(wrapReceiver(&fakeReceiver{err: lost}), d()); !errors.Is(err, queue.ErrLockLost) || !errors.Is(err, lost) {
				t.Errorf("lock lost: %v", err)
			}
			if err := op(wrapReceiver(&fakeReceiver{err: other}), d()); errors.Is(err, queue.ErrLockLost) || !errors.Is(err, other) {
				t.Errorf("other error: %v", err)
			}
			if err := op(wrapReceiver(&fakeReceiver{}), &queue.Delivery{Handle: "not ours"}); err == nil {
				t.Error("a foreign delivery was accepted")
			}
		})
	}
}

func TestRenewLockUpdatesDelivery(t *testing.T) {
	until := time.Now().Add(time.Minute)
	d := &queue.Delivery{Handle: &azservicebus.ReceivedMessage{}}
	got, err := wrapReceiver(&fakeReceiver{renewTo: until}).RenewLock(context.Background(), d)
	if err != nil || !got.Equal(until) || !d.LockedUntil.Equal(until) {
		t.Fatalf("renew: %v %v, delivery %v", got, err, d.LockedUntil)
	}
}
