package worker

import (
	"context"
	"errors"
	"time"

	"amldsr/internal/callback"
	"amldsr/internal/dsr"
)

// ErrConflict: a different request with the same id exists (409).
var ErrConflict = errors.New("a different request with this id exists")

// Submit accepts a validated request whose id is set, as POST
// /api/dsr/requests and the standing orders do: the callback's full URL
// to callbacks/{id}.json (request.json keeps it without its query), then
// request.json, then the first steps. The same id with the same request is
// a replay and starts nothing, unless the first submit failed before its
// steps were written; a different request with the id is ErrConflict.
// started reports whether the steps were started by this call; by names
// the caller, if known.
func Submit(ctx context.Context, b Book, req dsr.Request, by string, now time.Time) (started bool, err error) {
	if full := req.Callback; full != "" {
		req.Callback = dsr.WithoutQuery(full)
		if err := callback.Save(ctx, b.Ledger.Store(), req.RequestID, full, now); err != nil {
			return false, err
		}
	}
	ar := dsr.AcceptedRequest{Request: req, AcceptedAt: now.UTC(), By: by}
	prev, created, err := b.Ledger.Accept(ctx, ar)
	if err != nil {
		return false, err
	}
	if !created && !prev.Request.Same(req) {
		return false, ErrConflict
	}
	if !created && !neverStarted(ctx, b, req.RequestID) {
		return false, nil
	}
	// A replay of a request whose first steps were never written (the
	// submit failed half-way) starts them now: it is not a second
	// fan-out. The steps are deterministic, so a race is harmless.
	return true, fanOut(ctx, b, req)
}

// neverStarted reports whether a request has neither a pending step nor a
// result record.
func neverStarted(ctx context.Context, b Book, id string) bool {
	st, err := b.Ledger.Status(ctx, id)
	return err == nil && st.Counts.Discovered == 0
}

// fanOut starts a request's first steps. When they cannot be sent, their
// markers are taken back, so that the request reads as never started and
// the client's replay starts it (or, failing that, the sweep does).
func fanOut(ctx context.Context, b Book, req dsr.Request) error {
	steps, err := RootSteps(req)
	if err != nil {
		return err
	}
	err = b.Start(ctx, time.Time{}, steps...)
	if err != nil {
		for _, st := range steps {
			b.Ledger.Done(ctx, req.RequestID, st.Op)
		}
	}
	return err
}
