package memory

import (
	"context"
	"slices"
	"time"

	"amldsr/internal/queue"
)

type receiver struct {
	q    *Queue
	dead bool
}

type handle struct {
	e   *entry
	gen int64
}

func (r *receiver) list() *[]*entry {
	if r.dead {
		return &r.q.dead
	}
	return &r.q.main
}

// Receive implements queue.Receiver.
func (r *receiver) Receive(ctx context.Context, max int) ([]*queue.Delivery, error) {
	if max <= 0 {
		max = 1
	}
	for {
		r.q.mu.Lock()
		out, wake := r.take(max)
		changed := r.q.changed
		r.q.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		if err := wait(ctx, changed, wake); err != nil {
			return nil, err
		}
	}
}

// take locks up to max visible entries; it also returns when the next
// entry becomes visible, for the caller to wait on. Caller holds the lock.
func (r *receiver) take(max int) ([]*queue.Delivery, time.Time) {
	now := time.Now()
	var out []*queue.Delivery
	var wake time.Time
	list := r.list()
	for i := 0; i < len(*list) && len(out) < max; i++ {
		e := (*list)[i]
		if e.lockedBy != 0 && now.After(e.lockedTill) {
			e.lockedBy = 0 // the lock expired: the message is available again
			if !r.dead && e.deliveries >= r.q.opts.MaxDeliveryCount {
				r.q.deadLetter(e, queue.MaxDeliveryCountExceeded, "the lock expired on the last allowed delivery")
				i--
				continue
			}
		}
		next := e.visibleAt
		if e.lockedBy != 0 {
			next = e.lockedTill
		}
		if e.lockedBy != 0 || e.visibleAt.After(now) {
			if wake.IsZero() || next.Before(wake) {
				wake = next
			}
			continue
		}
		r.q.seq++
		e.lockedBy = r.q.seq
		e.lockedTill = now.Add(r.q.opts.LockDuration)
		e.deliveries++
		out = append(out, &queue.Delivery{
			Message:          e.msg,
			DeliveryCount:    e.deliveries,
			EnqueuedAt:       e.enqueued,
			LockedUntil:      e.lockedTill,
			DeadLetterReason: e.reason, DeadLetterDescription: e.description,
			Handle: handle{e: e, gen: e.lockedBy},
		})
	}
	return out, wake
}

// deadLetter moves e from the main list to the dead-letter list. Caller
// holds the lock.
func (q *Queue) deadLetter(e *entry, reason, description string) {
	q.main = slices.DeleteFunc(q.main, func(x *entry) bool { return x == e })
	e.reason, e.description = reason, description
	e.lockedBy, e.deliveries, e.visibleAt = 0, 0, time.Now()
	q.dead = append(q.dead, e)
	q.notify()
}

// locked checks that d still holds its lock. Caller holds the lock.
func (r *receiver) locked(d *queue.Delivery) (*entry, error) {
	h, ok := d.Handle.(handle)
	if !ok || h.e.lockedBy != h.gen || time.Now().After(h.e.lockedTill) || !slices.Contains(*r.list(), h.e) {
		return nil, queue.ErrLockLost
	}
	return h.e, nil
}

// Complete implements queue.Receiver.
func (r *receiver) Complete(ctx context.Context, d *queue.Delivery) error {
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	e, err := r.locked(d)
	if err != nil {
		return err
	}
	list := r.list()
	*list = slices.DeleteFunc(*list, func(x *entry) bool { return x == e })
	r.q.notify()
	return nil
}

// Abandon implements queue.Receiver.
func (r *receiver) Abandon(ctx context.Context, d *queue.Delivery) error {
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	e, err := r.locked(d)
	if err != nil {
		return err
	}
	e.lockedBy = 0
	if !r.dead && e.deliveries >= r.q.opts.MaxDeliveryCount {
		r.q.deadLetter(e, queue.MaxDeliveryCountExceeded, "abandoned on the last allowed delivery")
		return nil
	}
	r.q.notify()
	return nil
}

// DeadLetter implements queue.Receiver.
func (r *receiver) DeadLetter(ctx context.Context, d *queue.Delivery, reason, description string) error {
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	e, err := r.locked(d)
	if err != nil {
		return err
	}
	if r.dead {
		return nil // already dead-lettered; Service Bus keeps it there
	}
	r.q.deadLetter(e, reason, description)
	return nil
}

// RenewLock implements queue.Receiver.
func (r *receiver) RenewLock(ctx context.Context, d *queue.Delivery) (time.Time, error) {
	r.q.mu.Lock()
	defer r.q.mu.Unlock()
	e, err := r.locked(d)
	if err != nil {
		return time.Time{}, err
	}
	e.lockedTill = time.Now().Add(r.q.opts.LockDuration)
	d.LockedUntil = e.lockedTill
	return e.lockedTill, nil
}

// wait blocks until the queue changes, wake passes (when set) or ctx ends.
func wait(ctx context.Context, changed <-chan struct{}, wake time.Time) error {
	var timer <-chan time.Time
	if !wake.IsZero() {
		t := time.NewTimer(time.Until(wake))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-timer:
	}
	return nil
}
