package dsr

import "time"

// State is where a request stands.
type State string

const (
	StateAccepted  State = "accepted"
	StateRunning   State = "running"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
)

// Terminal reports whether no more work will happen.
func (s State) Terminal() bool { return s == StateSucceeded || s == StateFailed || s == StateCancelled }

// Counts tallies the resource-level operations of a request.
type Counts struct {
	Discovered int `json:"discovered"`
	Succeeded  int `json:"succeeded"`
	Failed     int `json:"failed"`
	Skipped    int `json:"skipped"`
	Pending    int `json:"pending"`
}

// Output says where the request's blobs are.
type Output struct {
	Container string `json:"container"`
	Prefix    string `json:"prefix"`
}

// StatusError is one failed operation in a status document.
type StatusError struct {
	ResourceID string `json:"resourceId"`
	Operation  Step   `json:"operation"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// MaxStatusErrors bounds Status.Errors.
const MaxStatusErrors = 20

// Status is the status document of the HTTP API.
type Status struct {
	RequestID   string        `json:"requestId"`
	Operation   Operation     `json:"operation"`
	DryRun      bool          `json:"dryRun"`
	State       State         `json:"state"`
	CreatedAt   time.Time     `json:"createdAt"`
	UpdatedAt   time.Time     `json:"updatedAt"`
	CompletedAt *time.Time    `json:"completedAt"`
	Targets     []string      `json:"targets"`
	Subject     *Subject      `json:"subject,omitempty"`
	Counts      Counts        `json:"counts"`
	Output      Output        `json:"output"`
	Errors      []StatusError `json:"errors"`
	// ManifestSHA256 is the SHA-256 of the bytes of the request's
	// manifest.json; only a terminal request's status (its summary.json)
	// carries it.
	ManifestSHA256 string `json:"manifestSha256,omitempty"`
	// DueAt is createdAt plus DSR_DUE_DAYS; Overdue is true while the
	// request is not terminal after DueAt (see SetDue).
	DueAt   time.Time `json:"dueAt"`
	Overdue bool      `json:"overdue"`
}

// AcceptedRequest is the request document written once at submit.
type AcceptedRequest struct {
	Request
	AcceptedAt time.Time `json:"acceptedAt"`
	// By is the caller identity the host passed, if any.
	By string `json:"by,omitempty"`
}

// Tally adds one record's outcome to c. Absent and planned count as
// succeeded: a delete that finds nothing succeeded, and a dry run that
// planned its step did what it was asked.
func (c *Counts) Tally(o Outcome) {
	switch o {
	case Succeeded, Absent, Planned:
		c.Succeeded++
	case Failed:
		c.Failed++
	case Skipped:
		c.Skipped++
	}
}
