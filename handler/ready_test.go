package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"amldsr/internal/config"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"DSR_LISTEN": addr, "DSR_DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := wire(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
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
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get(fmt.Sprintf("http://%s/", addr))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / not answered after 20 s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	close(release)
	release = nil
	<-done
}
