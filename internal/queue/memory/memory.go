// Package memory is the embedded queue of local mode: an in-process queue
// with Service Bus semantics (peek-lock with a lock duration, delivery
// count, dead-letter queue with a reason after MaxDeliveryCount deliveries,
// scheduled messages). It keeps nothing across restarts; amldsr's pending
// markers re-drive what was in flight.
package memory

import (
	"context"
	"sync"
	"time"

	"amldsr/internal/queue"
)

// Options configure a Queue; zero values take Service Bus defaults.
type Options struct {
	LockDuration     time.Duration // default 1 minute
	MaxDeliveryCount int           // default 10
}

// Queue is a queue with its dead-letter queue.
type Queue struct {
	opts    Options
	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever state changes
	seq     int64
	main    []*entry
	dead    []*entry
}

type entry struct {
	msg                 queue.Message
	seq                 int64
	enqueued            time.Time
	visibleAt           time.Time
	deliveries          int
	lockedBy            int64 // lock generation; 0 when not locked
	lockedTill          time.Time
	reason, description string
}

// New returns an empty queue.
func New(opts Options) *Queue {
	if opts.LockDuration <= 0 {
		opts.LockDuration = time.Minute
	}
	if opts.MaxDeliveryCount <= 0 {
		opts.MaxDeliveryCount = 10
	}
	return &Queue{opts: opts, changed: make(chan struct{})}
}

var _ queue.Sender = (*Queue)(nil)

func (q *Queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// Send enqueues msgs (scheduled ones become visible at ScheduledAt).
func (q *Queue) Send(ctx context.Context, msgs ...queue.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	for _, m := range msgs {
		q.seq++
		m.Body = append([]byte(nil), m.Body...)
		e := &entry{msg: m, seq: q.seq, enqueued: now, visibleAt: now}
		if m.ScheduledAt.After(now) {
			e.visibleAt = m.ScheduledAt
		}
		q.main = append(q.main, e)
	}
	q.notify()
	return nil
}

// Receiver returns a receiver of the queue.
func (q *Queue) Receiver() queue.Receiver { return &receiver{q: q, dead: false} }

// DeadLetterReceiver returns a receiver of the dead-letter queue.
func (q *Queue) DeadLetterReceiver() queue.Receiver { return &receiver{q: q, dead: true} }

// Len returns the number of messages in the queue (scheduled and locked
// ones included) and in its dead-letter queue.
func (q *Queue) Len() (active, dead int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.main), len(q.dead)
}
