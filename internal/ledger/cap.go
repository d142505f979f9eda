package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// The step cap: a request that has started more operations than its
// limit (DSR_MAX_STEPS_PER_REQUEST) is stopped. The sweep counts a
// request's operations anyway (records plus pending markers, for its
// status), so the count costs nothing extra; when it is over the limit the
// sweep writes the request's cap record, a failed record under CapOpKey.
// From then on every step of the request fails without running (recorded
// StepCapReached, starting nothing), so its markers drain and it ends
// failed. A request can overshoot by what runs between two sweeps.

// CapCode is the error code of the cap record and of every step it stops.
const CapCode = "StepCapReached"

// capRecheck is how long a step trusts that its request was not stopped.
const capRecheck = 30 * time.Second

// CapOpKey is the op key of the record that stops request id at its step
// cap.
func CapOpKey(id string) string { return dsr.OpKey(dsr.StepDiscover, "amldsr.stepcap", id, 0) }

// Cap stops request id, which has started count operations against a
// limit of limit: it writes the cap record. written is false when the
// request was stopped before.
func (l *Ledger) Cap(ctx context.Context, id string, limit, count int) (written bool, err error) {
	now := l.now().UTC()
	msg := fmt.Sprintf("the request started %d steps, more than its limit of %d (DSR_MAX_STEPS_PER_REQUEST); no further step runs", count, limit)
	written, err = l.Record(ctx, CapOpKey(id), dsr.Record{RequestID: id, Operation: dsr.StepDiscover, Kind: "amldsr.stepcap",
		Resource: dsr.RequestPrefix(id), Outcome: dsr.Failed, Attempts: 1, StartedAt: now, FinishedAt: now,
		Error: &dsr.RecordError{Code: CapCode, Message: msg}})
	if err == nil {
		l.caps.set(id, msg)
	}
	return written, err
}

// Capped reports whether request id was stopped at its step cap, and why.
// A stop is remembered for good; its absence is read again after
// capRecheck, so a worker reads the cap record at most that often.
func (l *Ledger) Capped(ctx context.Context, id string) (string, bool, error) {
	if msg, stopped, fresh := l.caps.get(id, l.now()); fresh {
		return msg, stopped, nil
	}
	rec, err := l.ReadRecord(ctx, id, CapOpKey(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		l.caps.clear(id, l.now())
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	msg := "the request reached its step cap"
	if rec.Error != nil {
		msg = rec.Error.Message
	}
	l.caps.set(id, msg)
	return msg, true, nil
}

// capCache remembers, per request, the cap's stop or when its absence was
// last read. Its zero value is ready.
type capCache struct {
	mu      sync.Mutex
	stopped map[string]string
	clearAt map[string]time.Time
}

func (c *capCache) get(id string, now time.Time) (msg string, stopped, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg, ok := c.stopped[id]; ok {
		return msg, true, true
	}
	at, ok := c.clearAt[id]
	return "", false, ok && now.Sub(at) < capRecheck
}

func (c *capCache) set(id, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped == nil || len(c.stopped) > 10000 {
		c.stopped = map[string]string{}
	}
	c.stopped[id] = msg
}

func (c *capCache) clear(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clearAt == nil || len(c.clearAt) > 10000 {
		c.clearAt = map[string]time.Time{}
	}
	c.clearAt[id] = now
}
