package ledger

import "time"

// SetDueDays sets the deadline of requests, in days after their
// creation (DSR_DUE_DAYS); less than 1 means dsr.DefaultDueDays. Call it
// before the ledger is used.
func (l *Ledger) SetDueDays(days int) { l.dueDays = days }

// SetClock replaces the ledger's clock (time.Now), which dates index
// entries and markers, due dates and the age of cached statuses; tests
// share theirs with it.
func (l *Ledger) SetClock(now func() time.Time) { l.now = now }
