// Package api serves HTTP API v1: submit a request, read its status, page
// through its result records. Errors are application/problem+json.
//
// The same handler serves local mode and the Functions host's forwarded
// requests (whose path keeps /api, and whose query may carry the function
// key "code", which is copied into every link the API returns).
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/store"
	"amldsr/internal/worker"
)

// Server is the HTTP API.
type Server struct {
	Ledger *ledger.Ledger
	Queue  queue.Sender
	Log    *slog.Logger
	// PublicURL is the base of absolute links; empty derives it from the
	// request.
	PublicURL string
	// AllowedScopes limits targets (empty: any).
	AllowedScopes []string
	// RetryAfter is the polling interval suggested while a request runs.
	RetryAfter time.Duration
	// PageSize is the number of result records per page.
	PageSize int
	// TrustCallerHeaders records the X-MS-CLIENT-PRINCIPAL-* headers as
	// the caller: set only in Functions mode, where the host (App Service
	// authentication) sets them. Anywhere else a caller could forge them.
	TrustCallerHeaders bool
	// Callbacks is what DSR_CALLBACK_HOSTS and DSR_CALLBACK_SECRET allow.
	Callbacks dsr.CallbackPolicy
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/dsr/requests", s.submit)
	mux.HandleFunc("GET /api/dsr/requests/{id}", s.status)
	mux.HandleFunc("GET /api/dsr/requests/{id}/results", s.results)
	mux.HandleFunc("PUT /api/dsr/orders/{name}", s.putOrder)
	mux.HandleFunc("GET /api/dsr/orders", s.listOrders)
	mux.HandleFunc("GET /api/dsr/orders/{name}", s.getOrder)
	mux.HandleFunc("DELETE /api/dsr/orders/{name}", s.deleteOrder)
	mux.HandleFunc("GET /api/openapi.json", s.serveOpenAPI)
	return problems(mux)
}

// problems turns the mux's plain-text 404 and 405 into problem documents.
func problems(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusOnly{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeProblem(w, Problem{Type: ProblemMethod, Title: "Method not allowed", Status: http.StatusMethodNotAllowed})
		default:
			writeProblem(w, Problem{Type: ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "no such resource: " + r.URL.Path})
		}
	})
}

type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(code int)        { s.status = code }

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r, "request") {
		return
	}
	req, err := dsr.Decode(http.MaxBytesReader(w, r.Body, dsr.MaxBody))
	if p := bodyProblem(err, "Invalid request", "the request body is not a valid data-subject request"); p != nil {
		writeProblem(w, *p)
		return
	}
	if errs := req.CheckCallback(s.Callbacks); errs != nil {
		writeProblem(w, Problem{Type: ProblemValidation, Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: "the callback cannot be accepted", Errors: errs})
		return
	}
	if p := s.scopeProblem(req.Targets, ""); p != nil {
		writeProblem(w, *p)
		return
	}
	req = req.WithDefaults()
	started, err := worker.Submit(r.Context(), worker.Book{Ledger: s.Ledger, Queue: s.Queue}, req, s.callerOf(r), time.Now())
	if errors.Is(err, worker.ErrConflict) {
		writeProblem(w, Problem{Type: ProblemConflict, Title: "Request id in use", Status: http.StatusConflict,
			Detail: "a different request with requestId " + req.RequestID + " exists"})
		return
	}
	if err != nil {
		// request.json may be written; the client's retry, or the sweep,
		// starts the request.
		s.unavailable(w, err)
		return
	}
	if started {
		s.Log.Info("request accepted", "request_id", req.RequestID, "op", string(req.Operation), "targets", len(req.Targets), "dry_run", req.DryRun)
	}
	s.writeStatus(w, r, req.RequestID)
}

// bodyProblem maps an error of decoding a body (read through
// http.MaxBytesReader) to its problem: 413 past dsr.MaxBody, 400 with the
// field errors of a dsr.ValidationError, 400 otherwise; nil for no error.
func bodyProblem(err error, title, invalidDetail string) *Problem {
	var tooLarge *http.MaxBytesError
	var invalid dsr.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return &Problem{Type: ProblemTooLarge, Title: "Body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the body must be at most %d bytes", dsr.MaxBody)}
	case errors.As(err, &invalid):
		return &Problem{Type: ProblemValidation, Title: title, Status: http.StatusBadRequest, Detail: invalidDetail, Errors: invalid}
	default:
		return &Problem{Type: ProblemValidation, Title: title, Status: http.StatusBadRequest, Detail: err.Error()}
	}
}

// scopeProblem is the 403 of a target outside DSR_ALLOWED_SCOPES (nil when
// every target is inside); prefix names where the targets sit in the body.
func (s *Server) scopeProblem(targets []string, prefix string) *Problem {
	field, target := s.outsideScopes(targets)
	if target == "" {
		return nil
	}
	return &Problem{Type: ProblemForbidden, Title: "Target not allowed", Status: http.StatusForbidden,
		Detail: "the target is outside DSR_ALLOWED_SCOPES", Errors: []dsr.FieldError{{Field: prefix + field, Message: "outside the allowed scopes"}}}
}

// jsonBody answers 415 problem+json, naming what (the request, the
// order), unless r's body is declared application/json in UTF-8.
func jsonBody(w http.ResponseWriter, r *http.Request, what string) bool {
	if isJSON(r.Header.Get("Content-Type")) {
		return true
	}
	writeProblem(w, Problem{Type: ProblemMediaType, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
		Detail: "send the " + what + " as application/json"})
	return false
}

func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// callerOf names the caller identity that App Service authentication or
// the Functions host passed, if any; none unless TrustCallerHeaders.
func (s *Server) callerOf(r *http.Request) string {
	if !s.TrustCallerHeaders {
		return ""
	}
	for _, h := range []string{"X-MS-CLIENT-PRINCIPAL-NAME", "X-MS-CLIENT-PRINCIPAL-ID"} {
		if v := r.Header.Get(h); v != "" && len(v) < 256 {
			return v
		}
	}
	return ""
}

// outsideScopes returns the first target outside AllowedScopes.
func (s *Server) outsideScopes(targets []string) (field, target string) {
	if len(s.AllowedScopes) == 0 {
		return "", ""
	}
	for i, t := range targets {
		ref, _ := catalog.ParseTarget(t)
		if !catalog.Under(ref.Path, s.AllowedScopes) {
			return fmt.Sprintf("targets[%d]", i), t
		}
	}
	return "", ""
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(w, id) {
		return
	}
	s.writeStatus(w, r, id)
}

// validID answers 400 for a request id that cannot be one.
func validID(w http.ResponseWriter, id string) bool {
	if dsr.ValidRequestID(id) {
		return true
	}
	writeProblem(w, Problem{Type: ProblemValidation, Title: "Invalid request id", Status: http.StatusBadRequest,
		Errors: []dsr.FieldError{{Field: "requestId", Message: "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}}})
	return false
}

// writeStatus answers with the status document: 202 with Location and
// Retry-After while the request runs, 200 when it is terminal.
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, id string) {
	st, err := s.Ledger.Status(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, Problem{Type: ProblemNotFound, Title: "Unknown request", Status: http.StatusNotFound, Detail: "no request " + id})
		return
	}
	if err != nil {
		s.unavailable(w, err)
		return
	}
	if st.State.Terminal() {
		writeJSON(w, http.StatusOK, st)
		return
	}
	w.Header().Set("Location", s.link(r, "/api/dsr/requests/"+id, nil))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.RetryAfter.Seconds()))))
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) results(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(w, id) {
		return
	}
	if _, err := s.Ledger.Request(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		writeProblem(w, Problem{Type: ProblemNotFound, Title: "Unknown request", Status: http.StatusNotFound, Detail: "no request " + id})
		return
	} else if err != nil {
		s.unavailable(w, err)
		return
	}
	token := r.URL.Query().Get("continuationToken")
	recs, next, err := s.Ledger.Results(r.Context(), id, token, max(1, s.PageSize))
	if errors.Is(err, ledger.ErrBadToken) {
		writeProblem(w, Problem{Type: ProblemValidation, Title: "Invalid continuation token", Status: http.StatusBadRequest,
			Errors: []dsr.FieldError{{Field: "continuationToken", Message: "not a token this API issued"}}})
		return
	}
	if err != nil {
		s.unavailable(w, err)
		return
	}
	body := map[string]any{"value": recs}
	if next != "" {
		body["nextLink"] = s.link(r, "/api/dsr/requests/"+id+"/results", url.Values{"continuationToken": {next}})
	}
	writeJSON(w, http.StatusOK, body)
}

// link builds an absolute URL on the API, carrying the function key when
// the call carried it in the query (never one sent as a header).
func (s *Server) link(r *http.Request, path string, q url.Values) string {
	base := s.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	if q == nil {
		q = url.Values{}
	}
	if code := r.URL.Query().Get("code"); code != "" {
		q.Set("code", code)
	}
	u := strings.TrimSuffix(base, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (s *Server) unavailable(w http.ResponseWriter, err error) {
	s.Log.Error("storage unavailable", "error", err)
	w.Header().Set("Retry-After", "5")
	writeProblem(w, Problem{Type: ProblemUnavailable, Title: "Temporarily unavailable", Status: http.StatusServiceUnavailable,
		Detail: "the result store could not be reached; retry"})
}
