package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/queue"
)

// Message kinds (the "kind" of the queue message contract).
const (
	KindDiscover = "discover" // list one page of a collection
	KindExport   = "export"   // export one document
	KindDelete   = "delete"   // delete one resource, in phases
	KindBarrier  = "barrier"  // a delete waiting for a group of children to be gone
)

// Phases of a delete.
const (
	PhaseStart   = ""        // look at the resource, start deleting its children
	PhaseSelf    = "self"    // send DELETE
	PhasePoll    = "poll"    // poll a long-running delete
	PhaseConfirm = "confirm" // GET until 404
)

// Version is the message schema version.
const Version = 1

// Step is the body of every queue message: one resource-level step.
type Step struct {
	V         int    `json:"v"`
	Kind      string `json:"kind"`
	RequestID string `json:"requestId"`
	// Op is the deterministic key of the operation the step belongs to;
	// every phase of one delete shares it.
	Op string `json:"op"`
	// Mode is the request's operation (export or delete).
	Mode dsr.Operation `json:"mode"`
	// Res and Path name the resource: a catalog kind and a catalog path
	// (for a discover step, the parent whose collection is listed).
	Res  string `json:"res"`
	Path string `json:"path"`
	// Child is the kind listed by a discover step; Link its page URL
	// after the first; Page the page number.
	Child string `json:"child,omitempty"`
	Link  string `json:"link,omitempty"`
	Page  int    `json:"page,omitempty"`
	// Loc is the normalized {location} of the data planes below Res.
	Loc string `json:"loc,omitempty"`
	// Group is the delete-order group a barrier waits on.
	Group int    `json:"group,omitempty"`
	Phase string `json:"phase,omitempty"`
	// Token resumes a long-running delete.
	Token string `json:"token,omitempty"`
	// Status and UpstreamID carry a delete's final response to its
	// confirmation.
	Status     int    `json:"status,omitempty"`
	UpstreamID string `json:"upstreamId,omitempty"`
	// Why is the reason a match "subject" request covers the resource
	// (empty for a target, which is matched when it is read).
	Why string `json:"why,omitempty"`
	// Kept counts, across a delete's groups, children left in place
	// because they belong to other people.
	Kept int `json:"kept,omitempty"`
	// Attempt counts reschedules after errors; Waits counts barrier waits
	// and polls. Since is when the operation started.
	Attempt int       `json:"attempt,omitempty"`
	Waits   int       `json:"waits,omitempty"`
	Since   time.Time `json:"since,omitempty"`
	// Round counts a barrier's rounds of starting children that discovery
	// missed (paging that shifted under deletes, items that appeared).
	Round int `json:"round,omitempty"`
	// Seen holds short hashes of the page links a listing has read, oldest
	// first and at most maxSeen of them, so that a next link back to one of
	// them ends the listing instead of looping (discover steps only).
	Seen []string `json:"seen,omitempty"`
	// Restarts counts a delete's DELETEs sent again after its long-running
	// operation failed for a transient reason.
	Restarts int `json:"restarts,omitempty"`
	// Paced counts reschedules after a refusal by local pacing, which
	// use no attempt: each is a new message (a new id), not the same one
	// sent again.
	Paced int `json:"paced,omitempty"`
}

// Operation is the result-record operation of the step, derived here only:
// a discover step and any step on a scope (a subscription or resource
// group target, which is only listed) discover; a delete request's steps
// on resources delete; the rest export.
func (s Step) Operation() dsr.Step {
	k := catalog.Lookup(s.Res)
	switch {
	case s.Kind == KindDiscover || (k != nil && k.Role == catalog.Scope):
		return dsr.StepDiscover
	case s.Mode == dsr.Delete:
		return dsr.StepDelete
	}
	return dsr.StepExport
}

// Key is the op key the step must carry: derived from its operation, its
// resource (for a discover step, the listed collection) and its page.
func (s Step) Key() string {
	kind, path := s.Res, s.Path
	if s.Kind == KindDiscover {
		kind, path = s.Resource()
	}
	return dsr.OpKey(s.Operation(), kind, path, s.Page)
}

// MessageID is deterministic and covers the whole step: the same step
// always gets the same id, and two steps that differ in any field (a
// reschedule, a later phase, another resume token) never share one, so
// duplicate detection drops only true duplicates.
func (s Step) MessageID() string {
	s.V = Version
	b, _ := json.Marshal(s)
	return messageID(b)
}

// messageID is the id of a message body.
func messageID(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:16])
}

// Message encodes s as a queue message.
func (s Step) Message() queue.Message {
	s.V = Version
	b, _ := json.Marshal(s)
	return queue.Message{
		ID: messageID(b), Body: b, ContentType: "application/json",
		Properties: map[string]string{"requestId": s.RequestID, "kind": s.Kind},
	}
}

// PoisonError marks a message that can never be processed: it is
// dead-lettered with Reason (or, in Functions mode, recorded and completed).
type PoisonError struct {
	Reason, Description string
	// Step is what could be decoded, for recording.
	Step *Step
}

func (e *PoisonError) Error() string { return e.Reason + ": " + e.Description }

// Decode parses and validates a message body. Anything that does not
// parse into a known step is a *PoisonError.
func Decode(body []byte) (*Step, error) {
	var s Step
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, &PoisonError{Reason: "MalformedBody", Description: "the body is not a JSON step: " + err.Error()}
	}
	if s.V != Version {
		return nil, &PoisonError{Reason: "UnknownVersion", Description: fmt.Sprintf("message schema v=%d; this worker knows v=%d", s.V, Version), Step: &s}
	}
	if err := s.validate(); err != nil {
		return nil, &PoisonError{Reason: "InvalidStep", Description: err.Error(), Step: &s}
	}
	return &s, nil
}

func (s *Step) validate() error {
	if !dsr.ValidRequestID(s.RequestID) {
		return fmt.Errorf("requestId %q is not valid", s.RequestID)
	}
	switch s.Kind {
	case KindDiscover, KindExport, KindDelete, KindBarrier:
	default:
		return fmt.Errorf("unknown kind %q", s.Kind)
	}
	if s.Mode != dsr.Export && s.Mode != dsr.Delete {
		return fmt.Errorf("unknown mode %q", s.Mode)
	}
	if s.Op == "" {
		return fmt.Errorf("no op key")
	}
	if _, err := catalog.NewRef(s.Res, s.Path); err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	if s.Kind == KindDiscover && catalog.Lookup(s.Child) == nil {
		return fmt.Errorf("unknown child kind %q", s.Child)
	}
	if s.Loc != "" {
		if _, err := catalog.NormalizeLocation(s.Loc); err != nil {
			return err
		}
	}
	return nil
}

// Resource is the kind and catalog path a step's result record names: the
// listed collection for a discover step, the resource otherwise.
func (s Step) Resource() (kind, path string) {
	if s.Kind != KindDiscover {
		return s.Res, s.Path
	}
	child := catalog.Lookup(s.Child)
	parent, err := catalog.NewRef(s.Res, s.Path)
	if child == nil || err != nil {
		return s.Res, s.Path
	}
	listPath, err := parent.ListPath(child, map[string]string{"objectId": "{objectId}"})
	if err != nil {
		return s.Res, s.Path
	}
	return child.Name, listPath
}
