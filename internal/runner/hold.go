package runner

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"amldsr/internal/worker"
)

// Hold is how long, and how, a step that failed on infrastructure (the
// store, the queue, anything but the upstream API, which the worker
// reschedules itself) is retried in place while its message stays locked.
// Releasing such a message at once would spend its deliveries in seconds
// and dead-letter it during a one-minute outage.
type Hold struct {
	First, Max time.Duration // backoff: First, doubling, at most Max (with jitter)
	// For bounds the whole hold; zero releases at once.
	For time.Duration
}

// DefaultHold suits a Service Bus lock of a minute renewed in the
// background, and stays well inside the Functions timeout.
var DefaultHold = Hold{First: time.Second, Max: 30 * time.Second, For: 5 * time.Minute}

// Retryable reports whether err is worth trying again in place: not a
// poison message, not a panic (a bug does not heal by waiting).
func Retryable(err error) bool {
	var poison *worker.PoisonError
	var p *panicError
	return err != nil && !errors.As(err, &poison) && !errors.As(err, &p)
}

// Do runs attempt until it succeeds, fails in a way that is not Retryable,
// ctx ends, or h.For has passed, waiting with backoff between tries. The
// first wait grows with deliveryCount (1 on a first delivery), so that a
// message redelivered during a long outage waits longer each time. next,
// when not nil, is told each wait. It returns the last attempt's error.
func (h Hold) Do(ctx context.Context, deliveryCount int, attempt func(context.Context) error, next func(n int, err error, wait time.Duration)) error {
	end := time.Now().Add(h.For)
	wait := h.First << min(max(deliveryCount-1, 0), 10)
	for n := 1; ; n++ {
		err := attempt(ctx)
		if !Retryable(err) || ctx.Err() != nil {
			return err
		}
		wait = min(max(wait, h.First), h.Max)
		d := wait + time.Duration(rand.Int64N(int64(wait)/5+1))
		if h.For <= 0 || time.Now().Add(d).After(end) {
			return err
		}
		if next != nil {
			next(n, err, d)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// panicError is a step that panicked.
type panicError struct{ value string }

func (e *panicError) Error() string { return "panic: " + e.value }
