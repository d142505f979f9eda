package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"amldsr/internal/queue"
	"amldsr/internal/store"
)

// The queue head watermark: how the sweep tells a message that is lost
// from one that is only queued behind a backlog, with data-plane rights
// only (a queue's message counts need the management plane).
//
// The consumers (the runner, the Functions queue trigger) sample the
// enqueue time of the first deliveries they receive, at most once per
// HeadEvery per process, into HeadBlob. Service Bus hands out messages
// roughly in enqueue order, so the watermark says how far the consumers
// have got. A stale marker (older than DSR_REDRIVE_AFTER) whose message
// was due after the watermark minus HeadMargin may still be in the queue:
// it is not re-driven. A marker due well before the watermark was passed
// over: its message is lost and is sent again. A watermark that has not
// been refreshed for DSR_REDRIVE_AFTER says nothing (an idle queue, or no
// consumer at all): stale markers are re-driven as before.

// HeadBlob holds the latest sample.
const HeadBlob = "sweep/queuehead.json"

// HeadEvery is how often one process writes a sample at most.
const HeadEvery = 10 * time.Second

// HeadMargin absorbs clock differences between the writers of markers
// and the queue, out-of-order delivery and the sampling interval.
const HeadMargin = time.Minute

// head is HeadBlob's body.
type head struct {
	// EnqueuedAt is when the sampled message became available: its
	// enqueue time, or its scheduled time when later.
	EnqueuedAt time.Time `json:"enqueuedAt"`
	// SeenAt is when a consumer received it (the consumer's clock).
	SeenAt time.Time `json:"seenAt"`
}

// HeadMark samples what the consumers of one process receive. Its zero
// value with Store set is ready; a nil *HeadMark samples nothing.
type HeadMark struct {
	Store store.Store
	now   func() time.Time

	mu   sync.Mutex
	last time.Time
}

// Saw notes a received message. Only first deliveries count (a
// redelivered message keeps its old enqueue time). Writing the sample
// fails quietly: it is advice, never a reason to fail a step.
func (h *HeadMark) Saw(ctx context.Context, d *queue.Delivery) {
	if h == nil || h.Store == nil || d == nil || d.DeliveryCount > 1 || d.EnqueuedAt.IsZero() {
		return
	}
	now := time.Now
	if h.now != nil {
		now = h.now
	}
	t := now()
	h.mu.Lock()
	if !h.last.IsZero() && t.Sub(h.last) < HeadEvery {
		h.mu.Unlock()
		return
	}
	h.last = t
	h.mu.Unlock()
	at := d.EnqueuedAt
	if d.ScheduledAt.After(at) {
		at = d.ScheduledAt
	}
	b, _ := json.Marshal(head{EnqueuedAt: at.UTC(), SeenAt: t.UTC()})
	h.Store.Put(ctx, HeadBlob, bytes.NewReader(b), store.PutOptions{ContentType: "application/json"})
}

// readHead reads the watermark; nil when there is none (or it is
// unreadable: then stale markers are re-driven as before).
func readHead(ctx context.Context, s store.Store) (*head, error) {
	b, err := store.ReadAll(ctx, s, HeadBlob)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h head
	if json.Unmarshal(b, &h) != nil || h.EnqueuedAt.IsZero() {
		return nil, nil
	}
	return &h, nil
}

// behind reports whether a message due at due may still be queued: the
// watermark is fresh (sampled within fresh of now) and has not passed
// due by HeadMargin.
func (h *head) behind(now, due time.Time, fresh time.Duration) bool {
	if h == nil || now.Sub(h.SeenAt) > fresh {
		return false
	}
	return h.EnqueuedAt.Before(due.Add(HeadMargin))
}
