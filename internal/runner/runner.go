// Package runner consumes a queue in process (local and worker modes):
// peek-lock receive, the lock renewed while a step runs, then complete,
// dead-letter (poison) or abandon (unexpected failure) according to the
// handler's error.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"amldsr/internal/queue"
	"amldsr/internal/worker"
)

// Handler runs one message body.
type Handler interface {
	Handle(ctx context.Context, body []byte, deliveryCount int) error
}

// Runner pulls messages and runs them, Concurrency at a time.
type Runner struct {
	Receiver    queue.Receiver
	Handler     Handler
	Concurrency int
	// StepTimeout bounds one step; Grace is how long in-flight steps may
	// finish after shutdown begins before they are cancelled and released.
	StepTimeout, Grace time.Duration
	// Hold retries a step that failed on infrastructure in place, its
	// lock renewed, before the message is released.
	Hold Hold
	Log  *slog.Logger
	// Seen, when set, is told of every delivery before it runs (the
	// sweep's queue head watermark samples them).
	Seen func(ctx context.Context, d *queue.Delivery)
}

// Run consumes until ctx ends, then lets in-flight steps finish (up to
// Grace) and returns.
func (r *Runner) Run(ctx context.Context) error {
	n := max(r.Concurrency, 1)
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, hard)
		}()
	}
	<-ctx.Done()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(r.Grace):
		r.Log.Warn("shutdown grace passed: cancelling in-flight steps; their messages are released")
		cancelHard()
		<-finished
	}
	return nil
}

func (r *Runner) loop(ctx, hard context.Context) {
	for ctx.Err() == nil {
		ds, err := r.Receiver.Receive(ctx, 1)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("receive failed", "error", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, d := range ds {
			if r.Seen != nil {
				r.Seen(ctx, d)
			}
			r.process(ctx, hard, d)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// process runs one delivery and settles it. A step that fails on
// infrastructure is tried again in place (r.Hold) while the lock holds and
// the runner is not shutting down (ctx).
func (r *Runner) process(ctx, hard context.Context, d *queue.Delivery) {
	locked, lost := context.WithCancel(hard)
	defer lost()
	stopRenew := r.renew(locked, d, lost)
	waiting, cancelWait := context.WithCancel(locked)
	stopOnShutdown := context.AfterFunc(ctx, cancelWait)
	err := r.Hold.Do(waiting, d.DeliveryCount, func(context.Context) error {
		stepCtx, cancel := context.WithTimeout(hard, r.StepTimeout)
		defer cancel()
		return r.handle(stepCtx, d)
	}, func(n int, err error, wait time.Duration) {
		r.Log.Warn("step failed on infrastructure; retrying in place", "message_id", d.ID, "delivery", d.DeliveryCount,
			"try", n, "wait", wait.Round(time.Millisecond).String(), "error", err)
	})
	stopOnShutdown()
	cancelWait()
	stopRenew()
	settle, cancelSettle := context.WithTimeout(context.WithoutCancel(hard), 30*time.Second)
	defer cancelSettle()
	var poison *worker.PoisonError
	switch {
	case err == nil:
		err = r.Receiver.Complete(settle, d)
	case errors.As(err, &poison):
		r.Log.Warn("dead-lettering a poison message", "message_id", d.ID, "reason", poison.Reason, "error", poison.Description)
		err = r.Receiver.DeadLetter(settle, d, poison.Reason, poison.Description)
	default:
		r.Log.Warn("step failed unexpectedly; abandoning for redelivery", "message_id", d.ID, "delivery", d.DeliveryCount, "error", err)
		err = r.Receiver.Abandon(settle, d)
	}
	if err != nil {
		r.Log.Warn("settling failed; the message will come back", "message_id", d.ID, "error", err)
	}
}

// handle runs the handler, turning a panic into an error (abandon, and
// after the maximum deliveries the dead-letter queue).
func (r *Runner) handle(ctx context.Context, d *queue.Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Log.Error("step panicked", "message_id", d.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = &panicError{value: fmt.Sprint(p)}
		}
	}()
	return r.Handler.Handle(ctx, d.Body, d.DeliveryCount)
}

// renew keeps d's lock while its step runs, renewing at half the lock's
// remaining time; lost is called when a renewal fails.
func (r *Runner) renew(ctx context.Context, d *queue.Delivery, lost func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			wait := time.Until(d.LockedUntil) / 2
			if wait < 100*time.Millisecond {
				wait = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if _, err := r.Receiver.RenewLock(ctx, d); err != nil {
				if ctx.Err() == nil {
					r.Log.Warn("lock renewal failed", "message_id", d.ID, "error", err)
					lost()
				}
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}
