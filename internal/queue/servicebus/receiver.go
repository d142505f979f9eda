package servicebus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
)

// sdkReceiver is the part of *azservicebus.Receiver the adapter uses.
type sdkReceiver interface {
	ReceiveMessages(ctx context.Context, n int, o *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error)
	CompleteMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.CompleteMessageOptions) error
	AbandonMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.AbandonMessageOptions) error
	DeadLetterMessage(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.DeadLetterOptions) error
	RenewMessageLock(ctx context.Context, m *azservicebus.ReceivedMessage, o *azservicebus.RenewMessageLockOptions) error
	Close(ctx context.Context) error
}

var _ sdkReceiver = (*azservicebus.Receiver)(nil)

// MaxReceive is the most messages one Receive returns (the SDK's limit).
const MaxReceive = 5000

// emptyPause is how long Receive waits before asking again when the SDK
// returned neither messages nor an error (it recovered a link).
const emptyPause = 20 * time.Millisecond

// Receiver is the peek-lock queue.Receiver of a Service Bus queue or of its
// dead-letter queue. Its methods may be called concurrently; Receive calls
// take turns, because the SDK refuses concurrent ReceiveMessages.
type Receiver struct {
	r    sdkReceiver
	turn chan struct{}
}

var _ queue.Receiver = (*Receiver)(nil)

// NewReceiver returns a peek-lock receiver of the queue queueName.
func NewReceiver(client *azservicebus.Client, queueName string) (*Receiver, error) {
	return newReceiver(client, queueName, 0)
}

// NewDeadLetterReceiver returns a peek-lock receiver of the dead-letter
// queue of queueName.
func NewDeadLetterReceiver(client *azservicebus.Client, queueName string) (*Receiver, error) {
	return newReceiver(client, queueName, azservicebus.SubQueueDeadLetter)
}

func newReceiver(client *azservicebus.Client, queueName string, sub azservicebus.SubQueue) (*Receiver, error) {
	r, err := client.NewReceiverForQueue(queueName, &azservicebus.ReceiverOptions{
		ReceiveMode: azservicebus.ReceiveModePeekLock,
		SubQueue:    sub,
	})
	if err != nil {
		return nil, fmt.Errorf("servicebus: receiver for %s: %w", queueName, err)
	}
	return wrapReceiver(r), nil
}

func wrapReceiver(r sdkReceiver) *Receiver {
	return &Receiver{r: r, turn: make(chan struct{}, 1)}
}

// Close closes the SDK receiver; locked messages stay locked until their
// locks expire.
func (r *Receiver) Close(ctx context.Context) error { return r.r.Close(ctx) }

// Receive waits until at least one message is available or ctx ends, then
// returns up to n (at least 1, at most MaxReceive) locked deliveries. When
// ctx ends first it returns ctx.Err().
func (r *Receiver) Receive(ctx context.Context, n int) ([]*queue.Delivery, error) {
	n = min(max(n, 1), MaxReceive)
	select {
	case r.turn <- struct{}{}:
		defer func() { <-r.turn }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		msgs, err := r.r.ReceiveMessages(ctx, n, nil)
		if len(msgs) > 0 {
			return toDeliveries(msgs), nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("servicebus: receive: %w", mapErr(err))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(emptyPause):
		}
	}
}

// Complete removes the message; queue.ErrLockLost if its lock is gone.
func (r *Receiver) Complete(ctx context.Context, d *queue.Delivery) error {
	m, err := handle(d)
	if err != nil {
		return err
	}
	return opErr("complete", d, r.r.CompleteMessage(ctx, m, nil))
}

// Abandon releases the message for redelivery with a higher delivery
// count; past the queue's MaxDeliveryCount Service Bus dead-letters it with
// reason queue.MaxDeliveryCountExceeded.
func (r *Receiver) Abandon(ctx context.Context, d *queue.Delivery) error {
	m, err := handle(d)
	if err != nil {
		return err
	}
	return opErr("abandon", d, r.r.AbandonMessage(ctx, m, nil))
}

// DeadLetter moves the message to the dead-letter queue with reason and
// description (DeadLetterReason and DeadLetterErrorDescription).
func (r *Receiver) DeadLetter(ctx context.Context, d *queue.Delivery, reason, description string) error {
	m, err := handle(d)
	if err != nil {
		return err
	}
	opts := &azservicebus.DeadLetterOptions{Reason: &reason, ErrorDescription: &description}
	return opErr("dead-letter", d, r.r.DeadLetterMessage(ctx, m, opts))
}

// RenewLock extends the lock by the queue's lock duration, sets
// d.LockedUntil and returns it.
func (r *Receiver) RenewLock(ctx context.Context, d *queue.Delivery) (time.Time, error) {
	m, err := handle(d)
	if err != nil {
		return time.Time{}, err
	}
	if err := r.r.RenewMessageLock(ctx, m, nil); err != nil {
		return time.Time{}, opErr("renew the lock of", d, err)
	}
	if m.LockedUntil == nil {
		return time.Time{}, fmt.Errorf("servicebus: renewed the lock of %q but got no expiry", d.ID)
	}
	d.LockedUntil = *m.LockedUntil
	return d.LockedUntil, nil
}

func handle(d *queue.Delivery) (*azservicebus.ReceivedMessage, error) {
	if d == nil {
		return nil, errors.New("servicebus: nil delivery")
	}
	m, ok := d.Handle.(*azservicebus.ReceivedMessage)
	if !ok || m == nil {
		return nil, fmt.Errorf("servicebus: delivery %q was not received by this adapter", d.ID)
	}
	return m, nil
}

func opErr(op string, d *queue.Delivery, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("servicebus: %s %q: %w", op, d.ID, mapErr(err))
}

// mapErr turns the SDK's lock-lost error into one that also matches
// queue.ErrLockLost.
func mapErr(err error) error {
	var sbErr *azservicebus.Error
	if errors.As(err, &sbErr) && sbErr.Code == azservicebus.CodeLockLost {
		return fmt.Errorf("%w: %w", queue.ErrLockLost, err)
	}
	return err
}
