package ledger

import (
	"context"
	"time"

	"amldsr/internal/dsr"
)

// finalize writes id's evidence for st (Finalize) and, when that stands,
// drops what answered for the request while it ran: the cached status and
// the snapshot.
func (l *Ledger) finalize(ctx context.Context, st *dsr.Status) (final bool, err error) {
	final, err = l.Finalize(ctx, st)
	if err == nil && final {
		l.statuses.drop(st.RequestID)
		_ = l.store.Delete(ctx, dsr.StatusSnapshotBlob(st.RequestID)) // the summary answers now; a leftover is never read
	}
	return final, err
}

// stillRunning is st, terminal by its records, answered as running: its
// evidence is not written yet, or a record landed meanwhile.
func stillRunning(st *dsr.Status, dueDays int, now time.Time) *dsr.Status {
	cp := *st
	cp.State, cp.CompletedAt, cp.ManifestSHA256 = dsr.StateRunning, nil, ""
	cp.SetDue(dueDays, now)
	return &cp
}

// finalizeWithin finalizes the terminal st in the background and waits at
// most wait for it: the status it returns is st when the evidence was
// written in time, else st answered as running (see Ledger.FinalizeWait).
// While it runs, this process's status calls answer that running status
// from the cache without deriving or finalizing again; when it ends the
// entry goes, and the next call reads the summary (or, if it failed or
// was reopened, derives again).
func (l *Ledger) finalizeWithin(id string, st *dsr.Status, wait time.Duration) (*dsr.Status, error) {
	running := stillRunning(st, l.dueDays, l.now())
	if !l.statuses.hold(id, running, l.now()) {
		return running, nil
	}
	type result struct {
		final bool
		err   error
	}
	done := make(chan result, 1)
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		final, err := l.finalize(ctx, st) // st is this goroutine's until done is sent
		l.statuses.drop(id)
		done <- result{final, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		if r.final {
			return st, nil
		}
		return running, nil
	case <-timer.C:
		return running, nil
	}
}
