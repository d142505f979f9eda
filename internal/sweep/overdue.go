package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/metrics"
	"amldsr/internal/store"
)

// overduePrefix holds one note per overdue request, outside the request's
// bundle: overdue/{id}.json, the time of its last warning, so that the
// warning is logged once per UTC day across sweeps and instances.
const overduePrefix = "overdue/"

// overdueNote is the body of overdue/{id}.json.
type overdueNote struct {
	V         int       `json:"v"`
	RequestID string    `json:"requestId"`
	DueAt     time.Time `json:"dueAt"`
	WarnedAt  time.Time `json:"warnedAt"`
}

// overdue counts (in rep.Overdue) the requests still active after their
// deadline (createdAt plus DueDays), warns about each once per UTC day,
// and drops the notes of requests that are no longer active. It runs after
// the requests were finalized, so a request that ended in this sweep is
// not counted.
func (s *Sweeper) overdue(ctx context.Context, rep *Report) error {
	ids, err := s.Ledger.Active(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	active := make(map[string]bool, len(ids))
	var errs []error
	for _, id := range ids {
		active[id] = true
		ar, err := s.Ledger.Request(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // an orphan index entry: request() drops it
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		due := dsr.DueAt(ar.AcceptedAt, s.DueDays)
		if !now.After(due) {
			continue
		}
		rep.Overdue++
		errs = append(errs, s.warnOverdue(ctx, id, due, now))
	}
	metrics.Overdue(ctx, rep.Overdue)
	errs = append(errs, s.dropOverdueNotes(ctx, active))
	return errors.Join(errs...)
}

// warnOverdue logs that id is overdue unless its note says it was warned
// about today (UTC), then notes the warning.
func (s *Sweeper) warnOverdue(ctx context.Context, id string, due, now time.Time) error {
	key := overduePrefix + id + ".json"
	var note overdueNote
	if b, err := store.ReadAll(ctx, s.Ledger.Store(), key); err == nil && json.Unmarshal(b, &note) == nil &&
		sameDay(note.WarnedAt, now) {
		return nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.Log.Warn("request overdue", "request_id", id, "due_at", due.Format(time.RFC3339),
		"days_overdue", int(now.Sub(due)/(24*time.Hour)))
	b, err := json.Marshal(overdueNote{V: 1, RequestID: id, DueAt: due, WarnedAt: now})
	if err != nil {
		return err
	}
	return s.Ledger.Store().Put(ctx, key, bytes.NewReader(b), store.PutOptions{ContentType: "application/json"})
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// dropOverdueNotes deletes the notes of requests that are not active (they
// finished, whoever finalized them).
func (s *Sweeper) dropOverdueNotes(ctx context.Context, active map[string]bool) error {
	var stale []string
	err := store.Walk(ctx, s.Ledger.Store(), overduePrefix, func(info store.Info) error {
		id := strings.TrimSuffix(strings.TrimPrefix(info.Key, overduePrefix), ".json")
		if !active[id] {
			stale = append(stale, info.Key)
		}
		return nil
	})
	for _, key := range stale {
		err = errors.Join(err, s.Ledger.Store().Delete(ctx, key))
	}
	return err
}
