// Package dsr is the domain of a data-subject request: the request and its
// validation, the outcomes of its steps, the states it moves through, and
// the deterministic keys and blob names that make every step idempotent.
// It imports no Azure SDK and no adapter.
package dsr

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"amldsr/internal/catalog"
)

// Operation is what a request does with the data it finds.
type Operation string

const (
	Export Operation = "export"
	Delete Operation = "delete"
)

// Match selects which documents under the targets a request covers.
type Match string

const (
	MatchAll     Match = "all"
	MatchSubject Match = "subject"
)

// Limits of the HTTP API contract.
const (
	MaxBody    = 64 << 10
	MaxTargets = 50
)

// Subject identifies the person a request is about. Every field is
// optional. DisplayName is not an identity (two people share names): under
// match "subject" an item whose creator is known only by display name is
// exported when it equals DisplayName, and deleted only when the request
// sets AllowDisplayName.
type Subject struct {
	ObjectID          string `json:"objectId,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
}

// Request is an accepted data-subject request, with defaults applied.
type Request struct {
	RequestID string    `json:"requestId"`
	Operation Operation `json:"operation"`
	Targets   []string  `json:"targets"`
	Subject   *Subject  `json:"subject,omitempty"`
	Match     Match     `json:"match"`
	DryRun    bool      `json:"dryRun"`
	// AllowDisplayName lets a match "subject" delete remove items matched
	// by subject.displayName alone (see Subject).
	AllowDisplayName bool `json:"allowDisplayName,omitempty"`
	// Callback is an https URL the final status document is POSTed to
	// (see callback.go). request.json keeps it without its query.
	Callback string `json:"callback,omitempty"`
}

// FieldError names one invalid field of a request body.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field; it is a 400.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// ValidRequestID reports whether id may name a request: it matches
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, checked by hand (compiled, that
// regexp's bounded repetition cost a millisecond of every start-up).
func ValidRequestID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// Decode reads a request body: JSON, unknown fields rejected, every key
// spelled exactly once as the contract spells it (see scanKeys), then
// validated. It reads r to its end: the caller bounds it (MaxBody). It never
// generates the request id; see WithDefaults.
func Decode(r io.Reader) (Request, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return Request{}, decodeError(err)
	}
	var keys ValidationError
	if err := scanKeys(body, requestType); errors.As(err, &keys) {
		return Request{}, keys
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return Request{}, decodeError(err)
	}
	if dec.More() {
		return Request{}, ValidationError{{Field: "", Message: "the body holds more than one JSON value"}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, ValidationError{{Field: "", Message: "the body holds more than one JSON value"}}
	}
	if err := req.Validate(); err != nil {
		return Request{}, err
	}
	return req, nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return ValidationError{{Field: typeErr.Field, Message: fmt.Sprintf("must be a JSON %s", jsonType(typeErr.Type.Kind().String()))}}
	case errors.As(err, &syntaxErr):
		return ValidationError{{Field: "", Message: fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return ValidationError{{Field: name, Message: "unknown field"}}
	case errors.Is(err, io.EOF):
		return ValidationError{{Field: "", Message: "the body is empty"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ValidationError{{Field: "", Message: "the JSON ends early"}}
	default:
		return err // reading the body failed (too large, connection lost)
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "slice":
		return "array"
	case "struct", "ptr", "map":
		return "object"
	case "bool":
		return "boolean"
	default:
		return goKind
	}
}

// Validate checks every field and applies the defaults (match "all"). A
// malformed target is a field error here; whether a valid target is allowed
// is decided later (403).
func (r *Request) Validate() error {
	var errs ValidationError
	add := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	if r.RequestID != "" && !ValidRequestID(r.RequestID) {
		add("requestId", "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
	}
	switch r.Operation {
	case Export, Delete:
	case "":
		add("operation", "is required: export or delete")
	default:
		add("operation", "must be export or delete")
	}
	if r.Match == "" {
		r.Match = MatchAll
	}
	switch r.Match {
	case MatchAll:
	case MatchSubject:
		if r.Subject == nil || (r.Subject.ObjectID == "" && r.Subject.UserPrincipalName == "" && r.Subject.DisplayName == "") {
			add("subject", `is required when match is "subject"`)
		}
	default:
		add("match", "must be all or subject")
	}
	if r.AllowDisplayName && (r.Match != MatchSubject || r.Subject == nil || r.Subject.DisplayName == "") {
		add("allowDisplayName", `needs match "subject" and subject.displayName`)
	}
	if r.DryRun && r.Operation == Export {
		add("dryRun", "applies to delete only")
	}
	errs = append(errs, validateTargets(r.Targets)...)
	errs = append(errs, validateSubject(r.Subject)...)
	errs = append(errs, validateCallbackURL(r.Callback)...)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func validateTargets(targets []string) ValidationError {
	var errs ValidationError
	switch {
	case len(targets) == 0:
		return ValidationError{{Field: "targets", Message: "1 to 50 ARM resource ids are required"}}
	case len(targets) > MaxTargets:
		return ValidationError{{Field: "targets", Message: fmt.Sprintf("at most %d targets", MaxTargets)}}
	}
	seen := map[string]int{}
	for i, t := range targets {
		field := fmt.Sprintf("targets[%d]", i)
		ref, err := catalog.ParseTarget(t)
		if err != nil {
			errs = append(errs, FieldError{Field: field, Message: err.Error()})
			continue
		}
		key := strings.ToLower(ref.Path)
		if j, dup := seen[key]; dup {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("repeats targets[%d]", j)})
		}
		seen[key] = i
	}
	return errs
}

func validateSubject(s *Subject) ValidationError {
	if s == nil {
		return nil
	}
	var errs ValidationError
	if s.ObjectID != "" && !catalog.ValidGUID(s.ObjectID) {
		errs = append(errs, FieldError{Field: "subject.objectId", Message: "must be a GUID"})
	}
	if u := s.UserPrincipalName; u != "" && !validUPN(u) {
		errs = append(errs, FieldError{Field: "subject.userPrincipalName", Message: "must be a user principal name such as user@contoso.com"})
	}
	if n := s.DisplayName; n != "" && !validDisplayName(n) {
		errs = append(errs, FieldError{Field: "subject.displayName", Message: "must be 1 to 256 characters without control characters or surrounding spaces"})
	}
	return errs
}

func validDisplayName(n string) bool {
	if len([]rune(n)) > 256 || strings.TrimSpace(n) != n || !utf8.ValidString(n) {
		return false
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validUPN(u string) bool {
	at := strings.LastIndexByte(u, '@')
	if len(u) > 256 || at < 1 || at == len(u)-1 || strings.Count(u, "@") != 1 {
		return false
	}
	for _, r := range u {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// WithDefaults fills in a generated request id when none was given.
func (r Request) WithDefaults() Request {
	if r.RequestID == "" {
		r.RequestID = NewID()
	}
	return r
}

// Same reports whether two requests ask for the same thing (a replay).
func (r Request) Same(o Request) bool {
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(o)
	return bytes.Equal(a, b)
}

// NewID returns a random (version 4) UUID.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
