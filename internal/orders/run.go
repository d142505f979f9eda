package orders

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
	"amldsr/internal/worker"
)

// Runner submits the due runs of standing orders.
type Runner struct {
	Store store.Store
	Book  worker.Book
	Log   *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// RunDue submits, for every order, its current slot when it has not run:
// an ordinary request (worker.Submit, as POST does) with id
// order-{name}-{slot}, then lastRun. A run submitted twice (two sweeps,
// or a sweep that died before lastRun was written) is a replay. It
// returns how many runs it submitted.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	list, err := List(ctx, r.Store)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, o := range list {
		if ctx.Err() != nil {
			break
		}
		slot, due := o.Due(now)
		if !due {
			continue
		}
		if err := r.run(ctx, o, slot, now); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (r *Runner) run(ctx context.Context, o Order, slot, now time.Time) error {
	req := dsr.Request(o.Request)
	req.RequestID = RunID(o.Name, slot)
	started, err := worker.Submit(ctx, r.Book, req, "order:"+o.Name, now)
	switch {
	case errors.Is(err, worker.ErrConflict):
		// The order was replaced within the slot: its run stands.
		r.Log.Warn("standing order: this slot ran with the order's earlier request", "order", o.Name, "request_id", req.RequestID)
	case err != nil:
		return err
	case started:
		r.Log.Info("standing order run submitted", "order", o.Name, "request_id", req.RequestID, "op", string(req.Operation))
	}
	// Write lastRun unless the order was replaced or removed meanwhile
	// (its next sweep decides again; the run id keeps it idempotent).
	cur, err := Get(ctx, r.Store, o.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !cur.UpdatedAt.Equal(o.UpdatedAt) {
		return err
	}
	cur.LastRun = &Run{At: slot, RequestID: req.RequestID}
	return Put(ctx, r.Store, *cur)
}
