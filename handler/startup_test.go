package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"amldsr/internal/api"
	"amldsr/internal/config"
)

// blockingOrders stands for a start-up sweep that takes its time: RunDue
// waits until release is closed.
type blockingOrders struct{ release chan struct{} }

func (o blockingOrders) RunDue(ctx context.Context) (int, error) {
	select {
	case <-o.release:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// startLocal wires local mode on a free port with a start-up sweep that
// waits until the returned release is called, and serves it.
func startLocal(t *testing.T) (base string, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg, a, addr := wireLocal(t, ctx)
	ch := make(chan struct{})
	a.sweeper.Orders = blockingOrders{release: ch}
	done := make(chan error, 1)
	go func() { done <- serveLocal(ctx, cfg, a) }()
	released := false
	release = func() {
		if !released {
			released = true
			close(ch)
		}
	}
	t.Cleanup(func() { cancel(); release(); <-done })
	return "http://" + addr, release
}

// wireLocal wires local mode (embedded queue, a fresh data dir) to listen
// on a free loopback port, addr.
func wireLocal(t *testing.T, ctx context.Context) (cfg config.Config, a *app, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	env := map[string]string{"DSR_LISTEN": addr, "DSR_DATA_DIR": t.TempDir()}
	cfg, err = config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err = wire(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, a, addr
}

// getWithin polls url until it answers, for at most 20 s.
func getWithin(t *testing.T, url string) *http.Response {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s not answered after 20 s: %v", url, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Local mode answers readiness (GET /) while its start-up sweep runs; an
// API request waits for the sweep and then gets its real answer.
func TestLocalReadyBeforeStartupSweep(t *testing.T) {
	base, release := startLocal(t)
	resp := getWithin(t, base+"/")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / during the start-up sweep: %d, want 200", resp.StatusCode)
	}
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/api/dsr/requests/nobody-asked")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	release()
	if code := <-got; code != http.StatusNotFound {
		t.Errorf("status of an unknown request across the start-up sweep: %d, want 404", code)
	}
}

// An API request that outwaits startupWait gets a 503 problem with
// Retry-After, not a wrong answer.
func TestLocalAPIUnavailableDuringLongStartupSweep(t *testing.T) {
	defer func(w time.Duration) { startupWait = w }(startupWait)
	startupWait = 50 * time.Millisecond
	base, _ := startLocal(t)
	getWithin(t, base+"/").Body.Close()
	resp, err := http.Get(base + "/api/dsr/requests/nobody-asked")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p api.Problem
	err = json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || err != nil || p.Type != api.ProblemUnavailable {
		t.Errorf("API during a long start-up sweep: %d, Retry-After %q, %s, %+v (%v); want 503 problem %s with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), p, err, api.ProblemUnavailable)
	}
}
