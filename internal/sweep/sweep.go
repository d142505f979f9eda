// Package sweep is the timer's work: drain the dead-letter queue into
// failed result records, finalize terminal requests (summary.json), and
// re-drive requests whose messages were lost (a crash of the embedded
// queue's process, a fan-out that failed after request.json was written).
package sweep

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/store"
	"amldsr/internal/worker"
)

// Sweeper does one sweep at a time.
type Sweeper struct {
	Ledger *ledger.Ledger
	Queue  queue.Sender
	// DeadLetters receives from the dead-letter queue; nil skips draining.
	DeadLetters queue.Receiver
	// RedriveAfter: a pending marker untouched for this long (past its
	// scheduled time) has lost its message and is sent again.
	RedriveAfter time.Duration
	// GiveUpAfter: a step dead-lettered because its deliveries ran out
	// (store or queue trouble) is sent again until this long after its
	// first dead letter, then recorded failed. Zero: 24 hours.
	GiveUpAfter time.Duration
	Log         *slog.Logger
	// MaxSteps is the step cap of a request (DSR_MAX_STEPS_PER_REQUEST);
	// zero: none. See ledger.Cap.
	MaxSteps int
	// Orders and Callbacks (nil: none) run standing orders and re-drive
	// lost callbacks (orders.go).
	Orders    Orders
	Callbacks Callbacks
	// DueDays is DSR_DUE_DAYS (zero: dsr.DefaultDueDays); see overdue.go.
	DueDays int
	// RetentionDays is DSR_RETENTION_DAYS (zero: keep); see retention.go.
	RetentionDays int
	now           func() time.Time
}

// Report says what a sweep did.
type Report struct {
	DeadLettered, Finalized, Redriven, Active int
	// Overdue counts the active requests past their deadline (overdue.go).
	Overdue int
	// Purged counts the requests whose exported data this sweep removed
	// (retention.go).
	Purged int
}

// Sweep runs once. With redriveAll, every pending marker is sent again at
// once: local mode does this at start, when the embedded queue is known to
// be empty.
func (s *Sweeper) Sweep(ctx context.Context, redriveAll bool) (Report, error) {
	if s.now == nil {
		s.now = time.Now
	}
	var rep Report
	var errs []error
	if s.DeadLetters != nil {
		n, err := s.drain(ctx)
		rep.DeadLettered = n
		errs = append(errs, err)
	}
	errs = append(errs, s.standing(ctx, redriveAll))
	ids, err := s.Ledger.Active(ctx)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		fin, redriven, err := s.request(ctx, id, redriveAll)
		if fin {
			rep.Finalized++
		} else {
			rep.Active++
		}
		rep.Redriven += redriven
		errs = append(errs, err)
	}
	errs = append(errs, s.overdue(ctx, &rep))
	errs = append(errs, s.retention(ctx, &rep))
	return rep, errors.Join(errs...)
}

// request finalizes one request or re-drives its lost work.
func (s *Sweeper) request(ctx context.Context, id string, redriveAll bool) (finalized bool, redriven int, err error) {
	st, err := s.Ledger.Status(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// An index entry without request.json: a submit that failed or
		// was killed before writing it, or one still running.
		dropped, err := s.Ledger.DropOrphan(ctx, id, s.RedriveAfter)
		return dropped, 0, err
	}
	if err != nil {
		return false, 0, err
	}
	if st.State.Terminal() {
		s.Log.Info("request finished", "request_id", id, "state", string(st.State), "succeeded", st.Counts.Succeeded, "failed", st.Counts.Failed, "skipped", st.Counts.Skipped)
		final, err := s.Ledger.Finalize(ctx, st)
		return final, 0, err
	}
	if s.MaxSteps > 0 && st.Counts.Discovered > s.MaxSteps {
		if written, err := s.Ledger.Cap(ctx, id, s.MaxSteps, st.Counts.Discovered); err != nil {
			return false, 0, err
		} else if written {
			s.Log.Warn("request stopped at its step cap", "request_id", id, "steps", st.Counts.Discovered, "limit", s.MaxSteps)
		}
	}
	markers, err := s.Ledger.Pending(ctx, id)
	if err != nil {
		return false, 0, err
	}
	now := s.now()
	if len(markers) == 0 && st.Counts.Discovered == 0 && (redriveAll || now.Sub(st.CreatedAt) > s.RedriveAfter) {
		ar, err := s.Ledger.Request(ctx, id)
		if err != nil {
			return false, 0, err
		}
		steps, err := worker.RootSteps(ar.Request)
		if err != nil {
			return false, 0, err
		}
		s.Log.Warn("re-driving a request that never fanned out", "request_id", id)
		return false, len(steps), s.book().Start(ctx, time.Time{}, steps...)
	}
	for _, m := range markers {
		due := m.WrittenAt
		if m.NotBefore.After(due) {
			due = m.NotBefore
		}
		if !redriveAll && now.Sub(due) < s.RedriveAfter {
			continue
		}
		if err := s.redrive(ctx, id, m); err != nil {
			return false, redriven, err
		}
		redriven++
	}
	if redriven > 0 {
		s.Log.Warn("re-drove pending steps whose messages were lost", "request_id", id, "steps", redriven)
	}
	return false, redriven, nil
}

func (s *Sweeper) redrive(ctx context.Context, id string, m ledger.Marker) error {
	done, err := s.Ledger.HasRecord(ctx, id, m.OpKey)
	if err != nil || done {
		if done {
			return s.Ledger.Done(ctx, id, m.OpKey)
		}
		return err
	}
	m.WrittenAt, m.NotBefore = s.now().UTC(), time.Time{}
	return s.book().Resend(ctx, id, m)
}

func (s *Sweeper) book() worker.Book { return worker.Book{Ledger: s.Ledger, Queue: s.Queue} }

// drain turns every dead-lettered message into a failed result record of
// its operation, then completes it.
func (s *Sweeper) drain(ctx context.Context) (int, error) {
	n := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		ds, err := s.DeadLetters.Receive(rctx, 100)
		cancel()
		if len(ds) == 0 {
			if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				return n, err
			}
			return n, nil
		}
		for _, d := range ds {
			again, err := s.redriveOutage(ctx, d)
			if err != nil {
				return n, err
			}
			if !again {
				if err := RecordDeadLetter(ctx, s.Ledger, d.Body, d.DeadLetterReason, d.DeadLetterDescription, d.DeliveryCount, s.Log); err != nil {
					return n, err
				}
			}
			if err := s.DeadLetters.Complete(ctx, d); err != nil {
				return n, err
			}
			n++
		}
	}
}

// outageReasons are the dead-letter reasons Service Bus gives on its own:
// the message was never refused by the worker, its deliveries or its time
// ran out, which during an outage of the store or the queue says nothing
// about the step.
var outageReasons = map[string]bool{queue.MaxDeliveryCountExceeded: true, "TTLExpiredException": true}

// redriveOutage sends a step dead-lettered for want of deliveries again,
// unless GiveUpAfter has passed since its first such dead letter (kept in
// its marker). again is false when the dead letter is to be recorded
// failed. A dead letter whose step has finished, or whose marker names
// another message (the step was sent again since), is only completed.
func (s *Sweeper) redriveOutage(ctx context.Context, d *queue.Delivery) (again bool, err error) {
	if !outageReasons[d.DeadLetterReason] {
		return false, nil
	}
	step, err := worker.Decode(d.Body)
	if err != nil {
		return false, nil
	}
	if _, err := s.Ledger.Request(ctx, step.RequestID); err != nil {
		return false, nil // RecordDeadLetter drops it
	}
	if done, err := s.Ledger.HasRecord(ctx, step.RequestID, step.Op); err != nil || done {
		return done, err
	}
	m, err := s.Ledger.Marker(ctx, step.RequestID, step.Op)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil // no operation holds it: RecordDeadLetter rejects it
	case err != nil:
		return false, err
	case m.MessageID != step.MessageID():
		return true, nil
	}
	now := s.now().UTC()
	if m.OutageSince.IsZero() {
		m.OutageSince = now
	}
	giveUp := s.GiveUpAfter
	if giveUp <= 0 {
		giveUp = 24 * time.Hour
	}
	if now.Sub(m.OutageSince) >= giveUp {
		return false, nil
	}
	m.WrittenAt, m.NotBefore = now, time.Time{}
	s.Log.Warn("re-driving a step dead-lettered for want of deliveries", "request_id", step.RequestID, "op", step.Op,
		"reason", d.DeadLetterReason, "outage_since", m.OutageSince.Format(time.RFC3339))
	return true, s.book().Resend(ctx, step.RequestID, *m)
}

// RecordDeadLetter records a message that will never run (dead-lettered,
// or poison in Functions mode). When it is its operation's current
// message, the operation fails with the reason and its marker is cleared.
// Any other message (forged, stale, or naming an op key that is not its
// own) is recorded as rejected under a key of its own, so that it can
// never take the place of the record its operation will write. A body
// that names no known request is only logged.
func RecordDeadLetter(ctx context.Context, l *ledger.Ledger, body []byte, reason, description string, deliveries int, log *slog.Logger) error {
	step, err := worker.Decode(body)
	var poison *worker.PoisonError
	if errors.As(err, &poison) {
		step = poison.Step
	}
	if step == nil || !dsr.ValidRequestID(step.RequestID) || step.Op == "" {
		log.Warn("dropping a dead-lettered message that names no request", "reason", reason, "error", description)
		return nil
	}
	if _, err := l.Request(ctx, step.RequestID); err != nil {
		log.Warn("dropping a dead-lettered message of an unknown request", "request_id", step.RequestID, "reason", reason)
		return nil
	}
	if reason == "" {
		reason = "DeadLettered"
	}
	now := time.Now().UTC()
	rec := dsr.Record{Outcome: dsr.Failed, Attempts: step.Attempt + max(deliveries, 1), StartedAt: now, FinishedAt: now,
		Error: &dsr.RecordError{Code: reason, Message: description}}
	book := worker.Book{Ledger: l}
	current, _, err := book.Current(ctx, *step)
	if err != nil {
		return err
	}
	if !current || step.Op != step.Key() {
		log.Warn("rejected message recorded", "request_id", step.RequestID, "op", step.Op, "reason", reason)
		return book.Reject(ctx, *step, body, rec)
	}
	log.Warn("dead-lettered step recorded as failed", "request_id", step.RequestID, "op", step.Op, "reason", reason)
	return book.Finish(ctx, *step, rec)
}
