package ledger

// SetDueDays sets the deadline of requests, in days after their
// creation (DSR_DUE_DAYS); less than 1 means dsr.DefaultDueDays. Call it
// before the ledger is used.
func (l *Ledger) SetDueDays(days int) { l.dueDays = days }
