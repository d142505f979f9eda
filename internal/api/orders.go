package api

import (
	"errors"
	"net/http"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/orders"
	"amldsr/internal/store"
)

// Standing orders (package orders): PUT creates (201) or replaces (200),
// GET reads one or lists all, DELETE removes (204). An order's request is
// validated as a submitted one, DSR_ALLOWED_SCOPES included.

func (s *Server) putOrder(w http.ResponseWriter, r *http.Request) {
	name, ok := s.orderName(w, r)
	if !ok {
		return
	}
	if !jsonBody(w, r, "order") {
		return
	}
	now := time.Now().UTC()
	o, err := orders.Decode(http.MaxBytesReader(w, r.Body, dsr.MaxBody), name, s.Callbacks, now)
	if p := bodyProblem(err, "Invalid order", "the body is not a valid standing order"); p != nil {
		writeProblem(w, *p)
		return
	}
	if p := s.scopeProblem(o.Request.Targets, "request."); p != nil {
		writeProblem(w, *p)
		return
	}
	st := s.Ledger.Store()
	prev, err := orders.Get(r.Context(), st, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.unavailable(w, err)
		return
	}
	code := http.StatusCreated
	o.CreatedAt, o.UpdatedAt = now, now
	if prev != nil {
		code, o.CreatedAt, o.LastRun = http.StatusOK, prev.CreatedAt, prev.LastRun
	}
	if err := orders.Put(r.Context(), st, o); err != nil {
		s.unavailable(w, err)
		return
	}
	s.Log.Info("standing order written", "order", name, "op", string(o.Request.Operation), "every", o.Schedule.Every, "created", code == http.StatusCreated)
	writeJSON(w, code, o.Redacted())
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	list, err := orders.List(r.Context(), s.Ledger.Store())
	if err != nil {
		s.unavailable(w, err)
		return
	}
	for i := range list {
		list[i] = list[i].Redacted()
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": list})
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	name, ok := s.orderName(w, r)
	if !ok {
		return
	}
	o, err := orders.Get(r.Context(), s.Ledger.Store(), name)
	if s.orderMissing(w, name, err) {
		return
	}
	writeJSON(w, http.StatusOK, o.Redacted())
}

func (s *Server) deleteOrder(w http.ResponseWriter, r *http.Request) {
	name, ok := s.orderName(w, r)
	if !ok {
		return
	}
	if s.orderMissing(w, name, orders.Delete(r.Context(), s.Ledger.Store(), name)) {
		return
	}
	s.Log.Info("standing order removed", "order", name)
	w.WriteHeader(http.StatusNoContent)
}

// orderName answers 400 for a name that cannot name an order.
func (s *Server) orderName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if orders.ValidName(name) {
		return name, true
	}
	writeProblem(w, Problem{Type: ProblemValidation, Title: "Invalid order name", Status: http.StatusBadRequest,
		Errors: []dsr.FieldError{{Field: "name", Message: "must match ^[a-z0-9][a-z0-9-]{0,31}$"}}})
	return "", false
}

// orderMissing answers 404 or 503 for err, and reports whether it did.
func (s *Server) orderMissing(w http.ResponseWriter, name string, err error) bool {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, Problem{Type: ProblemNotFound, Title: "Unknown order", Status: http.StatusNotFound, Detail: "no standing order " + name})
	case err != nil:
		s.unavailable(w, err)
	default:
		return false
	}
	return true
}
