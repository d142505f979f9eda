// Package queue is the port for the work queue: Service Bus semantics
// (at-least-once, peek-lock, delivery count, dead-letter queue with a
// reason, scheduled messages). Adapters: queue/memory (the embedded queue of
// local mode) and queue/servicebus (azservicebus); each passes queuetest.
package queue

import (
	"context"
	"errors"
	"time"
)

// ErrLockLost is returned when a delivery is settled or renewed after its
// lock expired (or it was settled already): the message may be delivered
// again, so the work it did must be idempotent.
var ErrLockLost = errors.New("queue: message lock lost")

// Message is one message to send.
type Message struct {
	// ID is deterministic: the same step always gets the same id.
	ID          string
	Body        []byte
	ContentType string
	// Properties are application properties (requestId, kind).
	Properties map[string]string
	// ScheduledAt delays delivery until then; zero means now.
	ScheduledAt time.Time
}

// Delivery is a received, locked message.
type Delivery struct {
	Message
	// DeliveryCount is 1 on the first delivery and grows with every
	// abandon or lock expiry.
	DeliveryCount int
	EnqueuedAt    time.Time
	LockedUntil   time.Time
	// DeadLetterReason and DeadLetterDescription are set on messages
	// received from the dead-letter queue.
	DeadLetterReason, DeadLetterDescription string
	// Handle belongs to the adapter.
	Handle any
}

// Sender sends messages, batching them as the transport needs.
type Sender interface {
	Send(ctx context.Context, msgs ...Message) error
}

// Receiver receives with peek-lock and settles what it received.
//
// Receive waits until at least one message is available or ctx ends, then
// returns up to max. Complete removes a message; Abandon releases it for
// redelivery (its delivery count grows; past the queue's maximum it goes
// to the dead-letter queue with reason MaxDeliveryCountExceeded);
// DeadLetter moves it to the dead-letter queue with a reason. RenewLock
// extends the lock and returns the new expiry.
type Receiver interface {
	Receive(ctx context.Context, max int) ([]*Delivery, error)
	Complete(ctx context.Context, d *Delivery) error
	Abandon(ctx context.Context, d *Delivery) error
	DeadLetter(ctx context.Context, d *Delivery, reason, description string) error
	RenewLock(ctx context.Context, d *Delivery) (time.Time, error)
}

// MaxDeliveryCountExceeded is the dead-letter reason Service Bus gives a
// message abandoned too often.
const MaxDeliveryCountExceeded = "MaxDeliveryCountExceeded"
