package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

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
// them), and returns.
func serveLocal(ctx context.Context, cfg config.Config, a *app) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(a), ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("amldsr local mode", "listen", "http://"+ln.Addr().String(), "data_dir", cfg.DataDir, "queue", queueName(cfg, a))
	if a.embedded {
		// The embedded queue starts empty: whatever was pending when the
		// last process stopped is sent again now.
		if rep, err := a.sweeper.Sweep(ctx, true); err != nil {
			a.log.Warn("start-up sweep", "error", err)
		} else if rep.Redriven > 0 || rep.Finalized > 0 {
			a.log.Info("resumed earlier work", "steps", rep.Redriven, "finalized", rep.Finalized)
		}
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); newRunner(cfg, a).Run(ctx) }()
	go func() { defer wg.Done(); sweepEvery(ctx, cfg.SweepInterval, a) }()
	serveErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	}()
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
