// Package worker runs one queue message: one resource-level step of a
// request (list a page, export a document, delete a resource, wait for a
// delete's children). Every step is idempotent: it may run again after a
// crash or a redelivery and leaves the same blobs.
//
// Handle's error decides what happens to the message: nil completes it
// (after a step succeeded, failed for good with a result record, or was
// rescheduled as a new scheduled message); a *PoisonError dead-letters it;
// any other error (the store or the queue failing) is retried in place by
// the caller for a while (runner.Hold), then the message is released.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/callback"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/metrics"
	"amldsr/internal/queue"
	"amldsr/internal/store"
)

// API is what the worker needs of the Azure client.
type API interface {
	Get(ctx context.Context, u *url.URL) (*azureapi.Response, error)
	ListPage(ctx context.Context, u *url.URL, shape catalog.Shape, tokenParam string) (*azureapi.Page, error)
	BeginDelete(ctx context.Context, u *url.URL) (*azureapi.DeleteResult, error)
	PollDelete(ctx context.Context, token string) (*azureapi.DeleteResult, error)
	FetchContent(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)
	Endpoints() catalog.Endpoints
}

var _ API = (*azureapi.Client)(nil)

// Limits bound retries and waits.
type Limits struct {
	MaxAttempts      int           // reschedules after transient errors or throttling
	MaxBackoff       time.Duration // longest delay between attempts
	BarrierTimeout   time.Duration // how long a delete waits for its children
	ConfirmTimeout   time.Duration // how long a delete waits for its GET to answer 404
	FirstBarrierWait time.Duration
	// MaxRounds bounds a barrier's rounds of starting children that
	// discovery missed.
	MaxRounds int
	// OperationTimeout bounds how long a long-running delete is polled.
	OperationTimeout time.Duration
}

// DefaultLimits are used for zero fields.
var DefaultLimits = Limits{
	MaxAttempts: 12, MaxBackoff: 5 * time.Minute, BarrierTimeout: 6 * time.Hour,
	ConfirmTimeout: 15 * time.Minute, FirstBarrierWait: time.Second, MaxRounds: 20,
	OperationTimeout: 6 * time.Hour,
}

// Worker runs steps.
type Worker struct {
	API    API
	Ledger *ledger.Ledger
	Queue  queue.Sender
	Log    *slog.Logger
	Limits Limits
	// AllowedScopes (DSR_ALLOWED_SCOPES) bound every step, as they bound
	// submits; empty allows any.
	AllowedScopes []string
	// Callbacks delivers callback messages (kind "callback"); nil: such
	// messages are poison like any unknown kind.
	Callbacks Handler
	now       func() time.Time
}

// Handler handles one queue message.
type Handler interface {
	Handle(ctx context.Context, body []byte, deliveryCount int) error
}

// Book is the bookkeeping the worker starts and finishes operations with.
func (w *Worker) Book() Book { return Book{Ledger: w.Ledger, Queue: w.Queue} }

// New returns a worker with default limits.
func New(api API, l *ledger.Ledger, q queue.Sender, log *slog.Logger) *Worker {
	return &Worker{API: api, Ledger: l, Queue: q, Log: log, Limits: DefaultLimits, now: time.Now}
}

// run is the context of one delivery of one step.
type run struct {
	*Worker
	step     *Step
	ref      catalog.Ref
	req      *dsr.AcceptedRequest
	attempts int // tries of this step so far, this one included
	started  time.Time
	// outcome and upstream are how the step ended, for its log line and
	// metrics: a record's outcome and upstream request id, or rescheduled.
	outcome, upstream string
}

// Handle runs the step in body. deliveryCount is the queue's (1 on the
// first delivery). A step that does not fit its request is a
// *PoisonError; a message that is not its operation's current one (stale
// after a reschedule, or forged) does nothing.
func (w *Worker) Handle(ctx context.Context, body []byte, deliveryCount int) error {
	if w.Callbacks != nil && callback.IsCallback(body) {
		return w.Callbacks.Handle(ctx, body, deliveryCount)
	}
	step, err := Decode(body)
	if err != nil {
		return err
	}
	req, err := w.Ledger.Request(ctx, step.RequestID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &PoisonError{Reason: "UnknownRequest", Description: "no request " + step.RequestID, Step: step}
		}
		return err
	}
	if err := w.admit(req, step); err != nil {
		return err
	}
	done, err := w.Ledger.HasRecord(ctx, step.RequestID, step.Op)
	if err != nil {
		return err
	}
	if done { // a redelivery of a step that finished
		return w.Ledger.Done(ctx, step.RequestID, step.Op)
	}
	current, m, err := w.Book().Current(ctx, *step)
	if err != nil || !current {
		if err == nil {
			err = w.stale(ctx, step, m, deliveryCount)
		}
		return err
	}
	ref, _ := catalog.NewRef(step.Res, step.Path) // validated by Decode
	r := &run{Worker: w, step: step, ref: ref, req: req, attempts: step.Attempt + max(deliveryCount, 1), started: w.now().UTC()}
	why, stopped, err := w.Ledger.Capped(ctx, step.RequestID)
	if err != nil {
		return err
	}
	if stopped {
		err = r.fail(ctx, 0, "", ledger.CapCode, why)
	} else {
		w.Log.Debug("step", "request_id", step.RequestID, "op", step.Op, "kind", step.Kind, "phase", step.Phase, "resource_id", step.Path)
		err = r.dispatch(ctx)
	}
	r.end(ctx, err)
	return err
}

// end logs and counts a step that ran: by kind and outcome (the record's,
// rescheduled, continued to its next phase, or error when the message is
// left to the caller's retry), with its latency. The line is at info level
// for failed, rescheduled and error, at debug for the rest.
func (r *run) end(ctx context.Context, err error) {
	outcome := r.outcome
	switch {
	case err != nil:
		outcome = "error"
	case outcome == "":
		outcome = "continued"
	}
	d := r.now().Sub(r.started)
	metrics.Step(ctx, r.step.Kind, outcome, d)
	level := slog.LevelDebug
	if outcome == string(dsr.Failed) || outcome == "rescheduled" || outcome == "error" {
		level = slog.LevelInfo
	}
	r.Log.Log(ctx, level, "step ended", "requestId", r.step.RequestID, "step", r.step.Op, "kind", r.step.Kind, "phase", r.step.Phase,
		"outcome", outcome, "upstreamRequestId", r.upstream, "resource_id", r.step.Path, "duration_ms", d.Milliseconds())
}

// stale handles a message that its operation's marker does not hold: it
// is dropped. On a redelivery the marker's own message is sent again, in
// case the send that replaced this one was lost.
func (w *Worker) stale(ctx context.Context, s *Step, m *ledger.Marker, deliveryCount int) error {
	w.Log.Warn("dropping a message that is not its operation's current one", "request_id", s.RequestID, "op", s.Op, "kind", s.Kind, "phase", s.Phase)
	if m == nil || deliveryCount <= 1 {
		return nil
	}
	return w.Book().Resend(ctx, s.RequestID, *m)
}

func (r *run) dispatch(ctx context.Context) error {
	var err error
	switch r.step.Kind {
	case KindDiscover:
		err = r.discover(ctx)
	case KindExport:
		err = r.export(ctx)
	case KindDelete, KindBarrier:
		err = r.delete(ctx)
	}
	return r.settle(ctx, err)
}

// settle turns a step's error into what happens next: reschedule on
// throttling and transient errors (until the attempts run out; a refusal by
// local pacing uses no attempt), a failed
// record on a permanent error, and abandon on anything unexpected.
func (r *run) settle(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ae *azureapi.Error
	if !errors.As(err, &ae) {
		var later *retryLater
		if errors.As(err, &later) {
			return r.reschedule(ctx, *later.next, later.after)
		}
		return err // store, queue or context trouble: the caller retries in place with backoff (runner.Hold), then releases
	}
	switch ae.Class {
	case azureapi.Throttled, azureapi.Transient:
		if azureapi.PacedLocally(ae) {
			// Never sent: the same attempt again once the pacer has a token.
			next := *r.step
			next.Paced++
			return r.reschedule(ctx, next, ae.RetryAfter+time.Duration(rand.Int64N(int64(ae.RetryAfter)/5+1)))
		}
		if r.step.Attempt+1 >= r.Limits.MaxAttempts {
			return r.fail(ctx, ae.Status, ae.RequestID, "GaveUp", fmt.Sprintf("gave up after %d attempts: %v", r.attempts, ae))
		}
		next := *r.step
		next.Attempt++
		return r.reschedule(ctx, next, r.backoff(ae))
	default:
		code := ae.Code
		if code == "" {
			code = fmt.Sprintf("HTTP%d", ae.Status)
		}
		msg := ae.Message
		if msg == "" {
			msg = ae.Error()
		}
		return r.fail(ctx, ae.Status, ae.RequestID, code, msg)
	}
}

// backoff is the delay before the next attempt: exponential with jitter,
// and never shorter than the service's Retry-After (a storm of short
// Retry-After answers would spend the attempts in seconds).
func (r *run) backoff(ae *azureapi.Error) time.Duration {
	d := max(ae.RetryAfter, time.Second<<min(r.step.Attempt, 12))
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	return min(d, r.Limits.MaxBackoff)
}

// retryLater asks settle to reschedule next after a delay (a barrier
// that waits, a poll that is not done).
type retryLater struct {
	next  *Step
	after time.Duration
}

func (e *retryLater) Error() string { return "retry later" }

func later(next Step, after time.Duration) error { return &retryLater{next: &next, after: after} }

// reschedule replaces the step's message with next, due after a delay.
func (r *run) reschedule(ctx context.Context, next Step, after time.Duration) error {
	if err := r.Book().Continue(ctx, r.now().Add(after), next); err != nil {
		return err
	}
	r.outcome = "rescheduled"
	metrics.Rescheduled(ctx, next.Kind)
	r.Log.Info("rescheduled", "request_id", next.RequestID, "op", next.Op, "phase", next.Phase, "attempt", next.Attempt, "after", after.Round(time.Millisecond).String())
	return nil
}

// spawn starts new operations; at is when they are due (zero: now).
func (r *run) spawn(ctx context.Context, at time.Time, steps ...Step) error {
	return r.Book().Start(ctx, at, steps...)
}

// record finishes the step's operation with rec, after starting children.
func (r *run) record(ctx context.Context, rec dsr.Record, children ...Step) error {
	if rec.Kind == "" && r.step.Kind != KindDiscover {
		rec.Kind, rec.Resource = r.ref.Kind.Name, r.ref.Path
	}
	r.outcome, r.upstream = string(rec.Outcome), rec.UpstreamRequestID
	return r.Book().Finish(ctx, *r.step, r.stamp(rec), children...)
}

// note records an operation done inline, as the step s would have: the
// record names s's resource, not the running step's.
func (r *run) note(ctx context.Context, s Step, rec dsr.Record) error {
	return r.Book().Note(ctx, s, r.stamp(rec))
}

// stamp fills a record's attempts and times from the run.
func (r *run) stamp(rec dsr.Record) dsr.Record {
	if rec.Attempts == 0 {
		rec.Attempts = r.attempts
	}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = r.started
		if !r.step.Since.IsZero() {
			rec.StartedAt = r.step.Since
		}
	}
	rec.FinishedAt = r.now().UTC()
	return rec
}

// fail records the step's operation as failed for good; SAS signatures
// are stripped from the message.
func (r *run) fail(ctx context.Context, status int, upstream, code, msg string) error {
	msg = azureapi.StripSAS(msg)
	r.Log.Warn("step failed", "request_id", r.step.RequestID, "op", r.step.Op, "resource_id", r.ref.Path, "code", code, "error", msg)
	return r.record(ctx, dsr.Record{
		Outcome: dsr.Failed, HTTPStatus: status, UpstreamRequestID: upstream,
		Error: &dsr.RecordError{Code: code, Message: msg},
	})
}

// fresh starts a new operation's step under the same request; its op key
// is set by the caller once the step is complete (Step.Key).
func (r *run) fresh(kind, res, path string) Step {
	return Step{V: Version, Kind: kind, RequestID: r.step.RequestID, Mode: r.step.Mode, Res: res, Path: path, Loc: r.step.Loc}
}

// RootSteps are the first steps of a request: one per target. Scopes and
// resources are visited in the request's mode.
func RootSteps(req dsr.Request) ([]Step, error) {
	steps := make([]Step, 0, len(req.Targets))
	for _, t := range req.Targets {
		ref, err := catalog.ParseTarget(t)
		if err != nil {
			return nil, err
		}
		kind := KindExport
		if req.Operation == dsr.Delete {
			kind = KindDelete
		}
		s := Step{V: Version, Kind: kind, RequestID: req.RequestID, Mode: req.Operation, Res: ref.Kind.Name, Path: ref.Path}
		s.Op = s.Key()
		steps = append(steps, s)
	}
	return steps, nil
}
