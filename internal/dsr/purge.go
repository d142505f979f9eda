package dsr

import "time"

// ExportPrefix holds a request's exported documents and artifact content,
// which the retention purge removes.
func ExportPrefix(id string) string { return RequestPrefix(id) + "export/" }

// PurgedBlob is the record of a retention purge (Purged).
func PurgedBlob(id string) string { return RequestPrefix(id) + "purged.json" }

// Purged is requests/{id}/purged.json: written once, before the purge
// deletes anything, it lists every blob the purge removes (names relative
// to requests/{id}/, in byte order), how many and how many bytes. The
// manifest stays the proof of what was handed over; this says when it was
// taken away, and why (DSR_RETENTION_DAYS after completedAt).
type Purged struct {
	V             int       `json:"v"`
	RequestID     string    `json:"requestId"`
	PurgedAt      time.Time `json:"purgedAt"`
	RetentionDays int       `json:"retentionDays"`
	Files         []string  `json:"files"`
	Count         int       `json:"count"`
	Bytes         int64     `json:"bytes"`
}
