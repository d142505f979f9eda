package sweep

import (
	"context"
	"errors"
	"time"

	"amldsr/internal/ledger"
	"amldsr/internal/store"
)

// retention purges the exported documents and content of the requests
// completed RetentionDays ago or earlier (none when RetentionDays is 0),
// counting them in rep.Purged. It lists only the retention index's dates
// up to the cut-off (ledger.RetentionPrefix), not every request.
func (s *Sweeper) retention(ctx context.Context, rep *Report) error {
	if s.RetentionDays <= 0 {
		return nil
	}
	now := s.now().UTC()
	cutoff := now.Add(-time.Duration(s.RetentionDays) * 24 * time.Hour)
	due, err := s.Ledger.CompletedThrough(ctx, cutoff)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range due {
		if ctx.Err() != nil {
			break
		}
		purged, err := s.purge(ctx, c, cutoff, now)
		if purged {
			rep.Purged++
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// purge purges one request when its completion is before cutoff, and
// drops its index entry once done. A request without a summary (a late
// record reopened it) loses its entry: its next Finalize writes another.
func (s *Sweeper) purge(ctx context.Context, c ledger.Completion, cutoff, now time.Time) (purged bool, err error) {
	sum, err := s.Ledger.Summary(ctx, c.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		return false, s.Ledger.DropCompletion(ctx, c)
	}
	if err != nil {
		return false, err
	}
	done := sum.UpdatedAt
	if sum.CompletedAt != nil {
		done = *sum.CompletedAt
	}
	if done.After(cutoff) {
		return false, nil // due later today
	}
	p, removed, err := s.Ledger.Purge(ctx, c.RequestID, now, s.RetentionDays)
	if err != nil {
		return removed > 0, err
	}
	s.Log.Info("exported data purged", "request_id", c.RequestID, "files", p.Count, "bytes", p.Bytes,
		"removed_now", removed, "retention_days", s.RetentionDays, "completed_at", done.Format(time.RFC3339))
	return true, s.Ledger.DropCompletion(ctx, c)
}
