package sim

import (
	"net/http"
)

// Recreate puts back the item that was at path before it was deleted, as
// a pipeline that recreates a person's item would (its document and who
// created it). It reports whether there was such an item; one that is
// present is left as it is.
func (s *Server) Recreate(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(path)
	if s.st.items[k] != nil {
		return true
	}
	it := s.st.gone[k]
	if it == nil {
		return false
	}
	delete(s.st.gone, k)
	s.st.put(it)
	return true
}

// adminRecreate answers POST /_sim/recreate?path=P: 204, or 404 when
// nothing was ever deleted at P.
func (s *Server) adminRecreate(r *http.Request) *response {
	if r.Method != http.MethodPost {
		return methodNotAllowed(planeARM, r)
	}
	p := r.URL.Query().Get("path")
	if !s.Recreate(p) {
		return notFound(planeARM, "NotFound", "nothing was deleted at "+p)
	}
	return &response{status: http.StatusNoContent}
}
