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
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
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
}

// DefaultLimits are used for zero fields.
var DefaultLimits = Limits{
	MaxAttempts: 12, MaxBackoff: 5 * time.Minute, BarrierTimeout: 6 * time.Hour,
	ConfirmTimeout: 15 * time.Minute, FirstBarrierWait: time.Second,
}

// Worker runs steps.
type Worker struct {
	API    API
	Ledger *ledger.Ledger
	Queue  queue.Sender
	Log    *slog.Logger
	Limits Limits
	now    func() time.Time
}

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
	jobs     map[string]string // job path -> why it is the subject's ("" if not)
}

// Handle runs the step in body. deliveryCount is the queue's (1 on the
// first delivery).
func (w *Worker) Handle(ctx context.Context, body []byte, deliveryCount int) error {
	step, err := Decode(body)
	if err != nil {
		return err
	}
	done, err := w.Ledger.HasRecord(ctx, step.RequestID, step.Op)
	if err != nil {
		return err
	}
	if done { // a redelivery of a step that finished
		return w.Ledger.Done(ctx, step.RequestID, step.Op)
	}
	req, err := w.Ledger.Request(ctx, step.RequestID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &PoisonError{Reason: "UnknownRequest", Description: "no request " + step.RequestID, Step: step}
		}
		return err
	}
	ref, _ := catalog.NewRef(step.Res, step.Path) // validated by Decode
	r := &run{Worker: w, step: step, ref: ref, req: req, attempts: step.Attempt + max(deliveryCount, 1), started: w.now().UTC()}
	w.Log.Debug("step", "request_id", step.RequestID, "op", step.Op, "kind", step.Kind, "phase", step.Phase, "resource_id", step.Path)
	return r.dispatch(ctx)
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
// throttling and transient errors (until the attempts run out), a failed
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

// reschedule rewrites the step's marker and sends it again, scheduled.
func (r *run) reschedule(ctx context.Context, next Step, after time.Duration) error {
	at := r.now().Add(after)
	if err := r.spawn(ctx, at, next); err != nil {
		return err
	}
	r.Log.Info("rescheduled", "request_id", next.RequestID, "op", next.Op, "phase", next.Phase, "attempt", next.Attempt, "after", after.Round(time.Millisecond).String())
	return nil
}

// spawn makes steps durable (their pending markers) and then sends them;
// at is when they are due (zero: now).
func (r *run) spawn(ctx context.Context, at time.Time, steps ...Step) error {
	return Spawn(ctx, r.Ledger, r.Queue, at, steps...)
}

// Spawn writes the pending markers of steps, then sends them. It is how
// submit, the worker and the sweep start work.
func Spawn(ctx context.Context, l *ledger.Ledger, q queue.Sender, at time.Time, steps ...Step) error {
	if len(steps) == 0 {
		return nil
	}
	markers := make([]ledger.Marker, len(steps))
	msgs := make([]queue.Message, len(steps))
	for i, s := range steps {
		s.V = Version
		msgs[i] = s.Message()
		msgs[i].ScheduledAt = at
		markers[i] = ledger.Marker{OpKey: s.Op, MessageID: msgs[i].ID, Body: msgs[i].Body, Properties: msgs[i].Properties, NotBefore: at}
	}
	if err := l.Pend(ctx, steps[0].RequestID, markers...); err != nil {
		return err
	}
	return q.Send(ctx, msgs...)
}

// record writes the result record of the step's operation and clears its
// marker.
func (r *run) record(ctx context.Context, rec dsr.Record) error {
	rec.RequestID = r.step.RequestID
	if rec.Kind == "" {
		rec.Kind = r.ref.Kind.Name
	}
	if rec.Resource == "" {
		rec.Resource = r.ref.Path
	}
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
	if _, err := r.Ledger.Record(ctx, r.step.Op, rec); err != nil {
		return err
	}
	return r.Ledger.Done(ctx, r.step.RequestID, r.step.Op)
}

// fail records the step's operation as failed for good.
func (r *run) fail(ctx context.Context, status int, upstream, code, msg string) error {
	r.Log.Warn("step failed", "request_id", r.step.RequestID, "op", r.step.Op, "resource_id", r.ref.Path, "code", code, "error", msg)
	return r.record(ctx, dsr.Record{
		Operation: r.operation(), Outcome: dsr.Failed, HTTPStatus: status, UpstreamRequestID: upstream,
		Error: &dsr.RecordError{Code: code, Message: msg},
	})
}

// operation is the record operation of the step.
func (r *run) operation() dsr.Step {
	switch {
	case r.step.Kind == KindDiscover:
		return dsr.StepDiscover
	case r.step.Mode == dsr.Delete && r.ref.Kind.Role != catalog.Scope:
		return dsr.StepDelete
	case r.ref.Kind.Role == catalog.Scope:
		return dsr.StepDiscover
	default:
		return dsr.StepExport
	}
}

// fresh starts a new operation's step under the same request.
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
		kind, op := KindExport, dsr.StepExport
		if req.Operation == dsr.Delete {
			kind, op = KindDelete, dsr.StepDelete
		}
		if ref.Kind.Role == catalog.Scope {
			op = dsr.StepDiscover
		}
		steps = append(steps, Step{V: Version, Kind: kind, RequestID: req.RequestID, Mode: req.Operation,
			Res: ref.Kind.Name, Path: ref.Path, Op: dsr.OpKey(op, ref.Kind.Name, ref.Path, 0)})
	}
	return steps, nil
}
