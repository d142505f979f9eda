package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"amldsr/internal/config"
	"amldsr/internal/funchost"
	"amldsr/internal/queue"
	"amldsr/internal/runner"
	"amldsr/internal/sweep"
	"amldsr/internal/worker"
)

// Function names: the folders under functions/ (the host calls
// POST /{FunctionName} for non-HTTP triggers).
const (
	fnProcessStep = "ProcessStep"
	fnSweep       = "Sweep"
	bindingMsg    = "msg"
	bindingTimer  = "timer"
)

// serveFunctions is Functions mode: the host forwards the API's HTTP calls
// (path with /api) and invokes the worker and the sweep with envelopes.
// GET / answers at once: the host polls it every 25 ms until the handler is
// ready.
func serveFunctions(ctx context.Context, cfg config.Config, a *app) error {
	ln, err := net.Listen("tcp", "127.0.0.1:"+cfg.FunctionsPort)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { funchost.Write(w, http.StatusOK) })
	mux.Handle("/api/", a.api.Handler())
	hold := functionsHold(cfg)
	mux.HandleFunc("POST /"+fnProcessStep, func(w http.ResponseWriter, r *http.Request) { a.processStep(w, r, cfg.StepTimeout, hold) })
	mux.HandleFunc("POST /"+fnSweep, a.sweepInvocation)
	srv := newServer(mux, functionsWriteTimeout(cfg))
	a.log.Info("amldsr functions mode", "listen", ln.Addr().String())
	return serveUntil(ctx, srv, ln, a)
}

// serveUntil serves until ctx ends, then shuts the server down: requests
// in flight (invocations included) finish first.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, a *app) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	a.log.Info("shutting down: finishing invocations in flight")
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// processStep runs one Service Bus message. 2xx completes it: after the
// step succeeded, failed for good (its record written), was rescheduled as
// a new scheduled message, or was poison (recorded, never retried). Only an
// unexpected failure answers 500, so the host abandons the message and
// Service Bus redelivers it (and dead-letters it after 10 deliveries).
//
// A step that fails on infrastructure (the store, the queue) is tried
// again in place with backoff (hold) before the handler answers: the host
// abandons on any non-2xx at once, and would spend the message's
// deliveries in seconds. The host renews the lock meanwhile
// (maxAutoLockRenewalDuration equals functionTimeout).
func (a *app) processStep(w http.ResponseWriter, r *http.Request, timeout time.Duration, hold runner.Hold) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("step panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			funchost.Write(w, http.StatusInternalServerError, "step panicked")
		}
	}()
	inv, err := funchost.Decode(r.Body)
	if err != nil {
		a.log.Warn("malformed invocation", "error", err)
		funchost.Write(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := inv.Bytes(bindingMsg)
	if err != nil {
		funchost.Write(w, http.StatusBadRequest, err.Error())
		return
	}
	count, _ := inv.MetaInt("DeliveryCount")
	a.head.Saw(r.Context(), &queue.Delivery{DeliveryCount: count, EnqueuedAt: funchost.ParseTime(inv.MetaString("EnqueuedTimeUtc"))})
	err = holdStep(r.Context(), a.worker, hold, timeout, body, count, a.log)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	var poison *worker.PoisonError
	switch {
	case err == nil:
		funchost.Write(w, http.StatusOK)
	case errors.As(err, &poison):
		a.log.Warn("poison message recorded and completed", "message_id", inv.MetaString("MessageId"), "reason", poison.Reason, "error", poison.Description)
		if err := sweep.RecordDeadLetter(ctx, a.ledger, body, poison.Reason, poison.Description, count, a.log); err != nil {
			funchost.Write(w, http.StatusInternalServerError, "recording a poison message: "+err.Error())
			return
		}
		funchost.Write(w, http.StatusOK, "poison: "+poison.Reason)
	default:
		a.log.Warn("step failed unexpectedly; the host abandons the message", "message_id", inv.MetaString("MessageId"), "delivery", count, "error", err)
		funchost.Write(w, http.StatusInternalServerError, "step failed: "+err.Error())
	}
}

// functionTimeout is host.json's functionTimeout (and its
// maxAutoLockRenewalDuration).
const functionTimeout = 10 * time.Minute

// functionsHold bounds the in-place retries so that the last try, started
// before the hold ends and lasting at most a step's timeout, answers
// before the function times out.
func functionsHold(cfg config.Config) runner.Hold {
	h := runner.DefaultHold
	h.For = max(min(cfg.OutageHold, functionTimeout-cfg.StepTimeout-30*time.Second), 0)
	return h
}

// holdStep runs one step, each try bounded by timeout, retrying in place
// as hold says while it fails on infrastructure.
func holdStep(ctx context.Context, h runner.Handler, hold runner.Hold, timeout time.Duration, body []byte, count int, log *slog.Logger) error {
	return hold.Do(ctx, count, func(context.Context) error {
		stepCtx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return h.Handle(stepCtx, body, count)
	}, func(n int, err error, wait time.Duration) {
		log.Warn("step failed on infrastructure; retrying before answering", "delivery", count, "try", n,
			"wait", wait.Round(time.Millisecond).String(), "error", err)
	})
}

// sweepInvocation runs the timer's sweep. A timer failure is only logged
// by the host; the next occurrence runs anyway.
func (a *app) sweepInvocation(w http.ResponseWriter, r *http.Request) {
	inv, err := funchost.Decode(r.Body)
	if err == nil {
		if tm, terr := inv.Timer(bindingTimer); terr == nil && tm.IsPastDue {
			a.log.Info("sweep is past due")
		}
	}
	rep, err := a.sweeper.Sweep(r.Context(), false)
	msg := fmt.Sprintf("sweep: %d finalized, %d active, %d re-driven, %d dead letters, %d overdue, %d purged",
		rep.Finalized, rep.Active, rep.Redriven, rep.DeadLettered, rep.Overdue, rep.Purged)
	if err != nil {
		a.log.Warn("sweep", "error", err)
		funchost.Write(w, http.StatusInternalServerError, msg, err.Error())
		return
	}
	funchost.Write(w, http.StatusOK, msg)
}

// serveWorker is worker mode: Service Bus consumed with peek-lock and lock
// renewal (for Container Apps or Kubernetes with KEDA), a sweep on a
// ticker, and health on DSR_LISTEN.
func serveWorker(ctx context.Context, cfg config.Config, a *app) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := newServer(mux, healthWriteTimeout)
	a.log.Info("amldsr worker mode", "queue", cfg.Queue, "health", "http://"+ln.Addr().String()+"/healthz")
	done := make(chan struct{})
	go func() { defer close(done); newRunner(cfg, a).Run(ctx) }()
	go sweepEvery(ctx, cfg.SweepInterval, a)
	err = serveUntil(ctx, srv, ln, a)
	<-done
	return err
}
