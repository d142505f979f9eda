package api

import (
	"encoding/json"
	"net/http"

	"amldsr/internal/dsr"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string           `json:"type"`
	Title  string           `json:"title"`
	Status int              `json:"status"`
	Detail string           `json:"detail,omitempty"`
	Errors []dsr.FieldError `json:"errors,omitempty"`
}

// Problem types (tag URIs: stable identifiers, not links).
const (
	ProblemValidation  = "tag:amldsr,2026:problem:validation"
	ProblemForbidden   = "tag:amldsr,2026:problem:target-not-allowed"
	ProblemTooLarge    = "tag:amldsr,2026:problem:body-too-large"
	ProblemMediaType   = "tag:amldsr,2026:problem:unsupported-media-type"
	ProblemConflict    = "tag:amldsr,2026:problem:request-id-conflict"
	ProblemNotFound    = "tag:amldsr,2026:problem:not-found"
	ProblemMethod      = "tag:amldsr,2026:problem:method-not-allowed"
	ProblemUnavailable = "tag:amldsr,2026:problem:unavailable"
)

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
