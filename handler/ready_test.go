package main

import (
	"context"
	"testing"

	"amldsr/internal/queue"
)

// stuckReceiver never delivers: Receive waits until release is closed.
type stuckReceiver struct {
	queue.Receiver
	release chan struct{}
}

func (r stuckReceiver) Receive(context.Context, int) ([]*queue.Delivery, error) {
	<-r.release
	return nil, context.Canceled
}

// Local mode answers its API before the start-up sweep has waited on the
// dead-letter queue: the embedded queue, dead letters included, starts
// empty, so the start-up sweep does not drain it (it waited a second for
// nothing before the first request was served). The dead-letter receiver
// here does not answer until the test ends: before the fix GET / was never
// served.
func TestLocalServesWithoutWaitingOnDeadLetters(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, a, addr := wireLocal(t, ctx)
	if !a.embedded {
		t.Fatal("no embedded queue")
	}
	release := make(chan struct{})
	defer func() {
		if release != nil {
			close(release)
		}
	}()
	a.sweeper.DeadLetters = stuckReceiver{release: release}
	done := make(chan error, 1)
	go func() { done <- serveLocal(ctx, cfg, a) }()
	getWithin(t, "http://"+addr+"/").Body.Close()
	cancel()
	close(release)
	release = nil
	<-done
}
