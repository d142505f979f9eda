// Package sweep is the timer's work: drain the dead-letter queue into
// failed result records, finalize terminal requests (summary.json), and
// re-drive requests whose messages were lost (a crash of the embedded
// queue's process, a fan-out that failed after request.json was written).
//
// A sweep is bounded: one at a time across instances (a lease on
// LockBlob), within a time budget, resuming where the last one ran out
// (CursorBlob), reading only what changed (a request whose markers are as
// at its last visit and none of them stale is skipped; only stale markers
// are read), and leaving alone a message that is only queued behind a
// backlog (head.go).
package sweep

import (
	"context"
	"errors"
	"log/slog"
	"sync"
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
	// scheduled time) has lost its message and is sent again, unless the
	// queue head watermark says it may still be queued (head.go).
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
	// Budget bounds one sweep (DSR_SWEEP_BUDGET); zero: DefaultBudget.
	// When it runs out the sweep stops between two pieces of work and the
	// next one resumes after the last request it finished (CursorBlob).
	Budget time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]fingerprint // markers of each request at its last visit
}

// DefaultBudget is well inside the Functions timeout (host.json: 10m).
const DefaultBudget = 2 * time.Minute

const (
	// LockBlob is leased by the sweep that runs: one at a time across
	// instances; another finds it held and returns at once.
	LockBlob = "sweep/lock"
	// CursorBlob holds the last request a sweep that ran out of budget
	// finished: the next sweep starts after it, round the active index.
	CursorBlob = "sweep/cursor.json"
	// clockSlack is how far the store's clock (marker listings) may be
	// ahead of ours before a stale marker is missed for a sweep.
	clockSlack = time.Minute
)

// Report says what a sweep did.
type Report struct {
	DeadLettered, Finalized, Redriven, Active int
	// Overdue counts the active requests past their deadline (overdue.go).
	Overdue int
	// Purged counts the requests whose exported data this sweep removed
	// (retention.go).
	Purged int
	// Behind counts stale markers left alone because their messages may
	// still be queued behind a backlog; Unchanged the requests skipped
	// because nothing changed since the last visit.
	Behind, Unchanged int
	// Skipped: another sweep held the lease. OutOfTime: the budget ran
	// out before every request was visited.
	Skipped, OutOfTime bool
}

// run is one sweep's state.
type run struct {
	redriveAll bool
	until      time.Time
	head       *head
	rep        Report
}

// phase is one part of a sweep. Each checks s.over(r) between pieces of
// work and returns when the budget is spent.
type phase func(ctx context.Context, r *run) error

// phases are a sweep's parts, in order. A new part is one more entry here.
func (s *Sweeper) phases() []phase {
	return []phase{s.drainPhase, s.standingPhase, s.retentionPhase, s.requestsPhase, s.overduePhase}
}

// Sweep runs once, within its budget, unless another sweep holds the
// lease (then it returns at once with Skipped). With redriveAll, every
// pending marker is sent again at once, whatever the budget: local mode
// does this at start, when the embedded queue is known to be empty.
func (s *Sweeper) Sweep(ctx context.Context, redriveAll bool) (Report, error) {
	if s.now == nil {
		s.now = time.Now
	}
	release, err := s.lock(ctx)
	if errors.Is(err, store.ErrLeased) {
		s.Log.Info("another sweep is running; this one stands down")
		return Report{Skipped: true}, nil
	}
	if err != nil {
		return Report{}, err
	}
	defer release()
	budget := s.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	r := &run{redriveAll: redriveAll, until: s.now().Add(budget)}
	if redriveAll {
		// Local mode's start: the embedded queue is empty, and what this
		// sweep leaves would wait DSR_REDRIVE_AFTER; no budget.
		r.until = time.Time{}
	}
	var errs []error
	for _, ph := range s.phases() {
		if s.over(r) {
			break
		}
		errs = append(errs, ph(ctx, r))
	}
	return r.rep, errors.Join(errs...)
}

// over reports (and notes) that the run's budget is spent.
func (s *Sweeper) over(r *run) bool {
	if !r.until.IsZero() && !s.now().Before(r.until) {
		r.rep.OutOfTime = true
	}
	return r.rep.OutOfTime
}

// lock takes the sweep's lease when the store has leases.
func (s *Sweeper) lock(ctx context.Context) (func(), error) {
	l, ok := s.Ledger.Store().(store.Leaser)
	if !ok {
		return func() {}, nil
	}
	return l.Lease(ctx, LockBlob, time.Minute)
}

// standingPhase runs the standing orders that are due and re-drives lost
// callbacks (orders.go).
func (s *Sweeper) standingPhase(ctx context.Context, r *run) error {
	return s.standing(ctx, r.redriveAll)
}

// retentionPhase purges the exported data of requests past their
// retention (retention.go).
func (s *Sweeper) retentionPhase(ctx context.Context, r *run) error {
	return s.retention(ctx, &r.rep)
}

// overduePhase counts and warns about overdue requests (overdue.go); it
// runs after the requests were visited, so one finalized now is not counted.
func (s *Sweeper) overduePhase(ctx context.Context, r *run) error {
	return s.overdue(ctx, &r.rep)
}

func (s *Sweeper) drainPhase(ctx context.Context, r *run) error {
	if s.DeadLetters == nil {
		return nil
	}
	n, err := s.drain(ctx, r)
	r.rep.DeadLettered = n
	return err
}

// requestsPhase visits the active requests round the index, starting
// after the cursor, until the budget is spent.
func (s *Sweeper) requestsPhase(ctx context.Context, r *run) error {
	ids, err := s.Ledger.Active(ctx)
	if err != nil {
		return err
	}
	h, err := readHead(ctx, s.Ledger.Store())
	if err != nil {
		return err
	}
	r.head = h
	cur := readCursor(ctx, s.Ledger.Store())
	var errs []error
	last := ""
	for _, id := range rotate(ids, cur) {
		if ctx.Err() != nil || s.over(r) {
			break
		}
		fin, err := s.request(ctx, r, id)
		if fin {
			r.rep.Finalized++
		} else {
			r.rep.Active++
		}
		errs = append(errs, err)
		last = id
	}
	if !r.rep.OutOfTime {
		last = "" // a full round: the next starts at the beginning
	}
	if last != cur {
		errs = append(errs, writeCursor(ctx, s.Ledger.Store(), last, s.now()))
	}
	return errors.Join(errs...)
}

// request finalizes one request or re-drives its lost work.
func (s *Sweeper) request(ctx context.Context, r *run, id string) (finalized bool, err error) {
	markers, err := s.Ledger.PendingList(ctx, id)
	if err != nil {
		return false, err
	}
	now := s.now()
	stale := s.stale(markers, now, r.redriveAll)
	fp := fingerprintOf(markers)
	if len(markers) > 0 && len(stale) == 0 && s.unchanged(id, fp) {
		r.rep.Unchanged++
		return false, nil
	}
	st, err := s.status(ctx, id, len(markers))
	if errors.Is(err, store.ErrNotFound) {
		// An index entry without request.json: a submit that failed or
		// was killed before writing it, or one still running.
		return s.Ledger.DropOrphan(ctx, id, s.RedriveAfter)
	}
	if err != nil {
		return false, err
	}
	if st.State.Terminal() {
		s.forget(id)
		s.Log.Info("request finished", "request_id", id, "state", string(st.State), "succeeded", st.Counts.Succeeded, "failed", st.Counts.Failed, "skipped", st.Counts.Skipped)
		return s.Ledger.Finalize(ctx, st)
	}
	if s.MaxSteps > 0 && st.Counts.Discovered > s.MaxSteps {
		if written, err := s.Ledger.Cap(ctx, id, s.MaxSteps, st.Counts.Discovered); err != nil {
			return false, err
		} else if written {
			s.Log.Warn("request stopped at its step cap", "request_id", id, "steps", st.Counts.Discovered, "limit", s.MaxSteps)
		}
	}
	if len(markers) == 0 && st.Counts.Discovered == 0 && (r.redriveAll || now.Sub(st.CreatedAt) > s.RedriveAfter) {
		ar, err := s.Ledger.Request(ctx, id)
		if err != nil {
			return false, err
		}
		steps, err := worker.RootSteps(ar.Request)
		if err != nil {
			return false, err
		}
		s.Log.Warn("re-driving a request that never fanned out", "request_id", id)
		r.rep.Redriven += len(steps)
		return false, s.book().Start(ctx, time.Time{}, steps...)
	}
	redriven, err := s.redriveStale(ctx, r, id, stale)
	if redriven > 0 {
		s.Log.Warn("re-drove pending steps whose messages were lost", "request_id", id, "steps", redriven)
	}
	if err == nil && !s.over(r) {
		s.remember(id, fp)
	}
	return false, err
}

// CountEvery is how long the sweep goes by a large running request's
// cached status (ledger.StatusCacheFrom) before it derives one again.
const CountEvery = 5 * time.Minute

// status is id's status for the sweep. A large request that still has
// markers is not terminal (a marker's step has not been recorded, or its
// record's marker is stale and re-driven below), and its status serves
// only the step cap. So the sweep counts it from the records of the
// status this process derived in the last CountEvery and the markers
// listed now: deriving one lists every record, the cost a visit must not
// pay.
func (s *Sweeper) status(ctx context.Context, id string, markers int) (*dsr.Status, error) {
	if markers > 0 {
		if st := s.Ledger.CachedStatus(id, CountEvery); st != nil {
			// its records then, and the markers now
			st.Counts.Discovered += markers - st.Counts.Pending
			st.Counts.Pending = markers
			return st, nil
		}
	}
	return s.Ledger.Status(ctx, id)
}

// stale picks the markers old enough, by the store's clock, to be read:
// all of them with redriveAll.
func (s *Sweeper) stale(markers []store.Info, now time.Time, all bool) []store.Info {
	var out []store.Info
	for _, m := range markers {
		if all || now.Sub(m.Modified) >= s.RedriveAfter-clockSlack {
			out = append(out, m)
		}
	}
	return out
}

// redriveStale reads the stale markers and sends again those whose
// messages are lost: past RedriveAfter (by their writer's clock) and not
// possibly queued behind a backlog.
func (s *Sweeper) redriveStale(ctx context.Context, r *run, id string, stale []store.Info) (redriven int, err error) {
	for _, info := range stale {
		if s.over(r) {
			return redriven, nil
		}
		m, err := s.Ledger.ReadMarker(ctx, info)
		if errors.Is(err, store.ErrNotFound) {
			continue // finished since the listing
		}
		if err != nil {
			return redriven, err
		}
		due := m.WrittenAt
		if m.NotBefore.After(due) {
			due = m.NotBefore
		}
		now := s.now()
		if !r.redriveAll {
			if now.Sub(due) < s.RedriveAfter {
				continue
			}
			if r.head.behind(now, due, s.RedriveAfter) {
				r.rep.Behind++
				continue
			}
		}
		if err := s.redrive(ctx, id, *m); err != nil {
			return redriven, err
		}
		redriven++
		r.rep.Redriven++
	}
	return redriven, nil
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
func (s *Sweeper) drain(ctx context.Context, r *run) (int, error) {
	n := 0
	for !s.over(r) {
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
	return n, nil
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
