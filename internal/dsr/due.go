package dsr

import "time"

// DefaultDueDays is the deadline of a request when DSR_DUE_DAYS is not
// set: the GDPR's one month (Art. 12(3)), counted as 30 days.
const DefaultDueDays = 30

// DueAt is when a request created at created falls due: days (at least 1;
// DefaultDueDays when less) after it.
func DueAt(created time.Time, days int) time.Time {
	if days < 1 {
		days = DefaultDueDays
	}
	return created.Add(time.Duration(days) * 24 * time.Hour).UTC()
}

// SetDue fills DueAt (when not set yet: a summary keeps the deadline it
// was written with) and Overdue: true while the request is not terminal
// and now is after DueAt.
func (s *Status) SetDue(days int, now time.Time) {
	if s.DueAt.IsZero() {
		s.DueAt = DueAt(s.CreatedAt, days)
	}
	s.Overdue = !s.State.Terminal() && now.After(s.DueAt)
}
