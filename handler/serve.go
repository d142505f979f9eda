package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"amldsr/internal/api"
	"amldsr/internal/config"
)

func serve(ctx context.Context, cfg config.Config, a *app) error {
	switch cfg.Mode {
	case config.Functions:
		return serveFunctions(ctx, cfg, a)
	case config.Worker:
		return serveWorker(ctx, cfg, a)
	default:
		return serveLocal(ctx, cfg, a)
	}
}

// serveLocal serves the API on DSR_LISTEN, consumes the queue in process
// and sweeps on a ticker, until ctx ends (SIGINT, SIGTERM): then it stops
// taking requests and messages, lets in-flight steps finish (or releases
// them), and returns. Readiness (GET /) is answered as soon as it
// listens; API requests wait for the start-up sweep (see startGate).
func serveLocal(ctx context.Context, cfg config.Config, a *app) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	started := make(chan struct{})
	srv := newServer(localHandler(cfg, startGate(started, routes(a))), localWriteTimeout)
	a.log.Info("amldsr local mode", "listen", "http://"+ln.Addr().String(), "data_dir", cfg.DataDir, "queue", queueName(cfg, a))
	if api.BeyondLoopback(cfg.Listen) {
		a.log.Warn("listening beyond loopback: the API acts with this machine's Azure login for anyone who reaches it",
			"listen", cfg.Listen, "allowed_hosts", strings.Join(api.AllowedHosts(cfg.Listen, cfg.PublicURL), ","))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	serveErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	}()
	if a.embedded {
		startupSweep(ctx, a)
	}
	close(started)
	wg.Add(2)
	go func() { defer wg.Done(); newRunner(cfg, a).Run(ctx) }()
	go func() { defer wg.Done(); sweepEvery(ctx, cfg.SweepInterval, a) }()
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	a.log.Info("shutting down: no new requests or messages; finishing steps in flight")
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	wg.Wait()
	return err
}

// startupSweep: the embedded queue starts empty, so whatever was pending
// when the last process stopped is sent again now. Its dead letters start
// empty too: the start-up sweep does not wait on them (a receive waits a
// second on an empty queue).
func startupSweep(ctx context.Context, a *app) {
	dead := a.sweeper.DeadLetters
	a.sweeper.DeadLetters = nil
	rep, err := a.sweeper.Sweep(ctx, true)
	a.sweeper.DeadLetters = dead
	if err != nil {
		a.log.Warn("start-up sweep", "error", err)
	} else if rep.Redriven > 0 || rep.Finalized > 0 {
		a.log.Info("resumed earlier work", "steps", rep.Redriven, "finalized", rep.Finalized)
	}
}

// startupWait bounds how long an API request waits for local mode's
// start-up sweep before it is answered 503.
var startupWait = 10 * time.Second

// startGate answers readiness and health (GET /, GET /healthz) at once and
// holds every other request until started is closed (the start-up sweep
// has re-sent earlier work, so a request's steps are not sent twice and
// its status is not read half-resumed). A request still waiting after
// startupWait gets 503 problem+json with Retry-After.
func startGate(started <-chan struct{}, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/healthz" && !isClosed(started) {
			t := time.NewTimer(startupWait)
			defer t.Stop()
			select {
			case <-started:
			case <-r.Context().Done():
				return
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				w.Header().Set("Content-Type", "application/problem+json")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusServiceUnavailable)
				json.NewEncoder(w).Encode(api.Problem{Type: api.ProblemUnavailable, Title: "Starting", Status: http.StatusServiceUnavailable,
					Detail: "amldsr is resuming earlier work; try again shortly"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Timeouts of the servers. A request is read within serverReadTimeout
// (bodies are at most 64 KiB, invocations at most a message), and
// answered within the write timeout of its server.
const (
	serverReadHeaderTimeout = 10 * time.Second
	serverReadTimeout       = 30 * time.Second
	serverIdleTimeout       = 2 * time.Minute
	localWriteTimeout       = 2 * time.Minute
	healthWriteTimeout      = 10 * time.Second
)

// functionsWriteTimeout outlasts the longest invocation: a step
// (DSR_STEP_TIMEOUT) or the host's functionTimeout (10 minutes in host.json).
func functionsWriteTimeout(cfg config.Config) time.Duration {
	return max(cfg.StepTimeout, 10*time.Minute) + time.Minute
}

// newServer is an http.Server with every timeout set.
func newServer(h http.Handler, write time.Duration) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: serverReadHeaderTimeout, ReadTimeout: serverReadTimeout,
		WriteTimeout: write, IdleTimeout: serverIdleTimeout}
}

// localHandler serves h only to requests sent to a name local mode answers
// to (see api.AllowedHosts): local mode acts with the user's Azure login.
func localHandler(cfg config.Config, h http.Handler) http.Handler {
	return api.HostGuard(api.AllowedHosts(cfg.Listen, cfg.PublicURL), h)
}

func queueName(cfg config.Config, a *app) string {
	if a.embedded {
		return "embedded"
	}
	return cfg.Queue
}

func sweepEvery(ctx context.Context, every time.Duration, a *app) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.sweeper.Sweep(ctx, false); err != nil && ctx.Err() == nil {
				a.log.Warn("sweep", "error", err)
			}
		}
	}
}

// routes serves the API plus readiness and health.
func routes(a *app) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", a.api.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return mux
}
