package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// contentInfo is the ContentInfo document of the artifact service.
type contentInfo struct {
	ContentURI string `json:"contentUri"`
	Origin     string `json:"origin"`
	Container  string `json:"container"`
	Path       string `json:"path"`
}

// render returns the document of it as the API returns it. exp.artifact
// (ContentInfo) and exp.artifacturi (a JSON string) carry a content URL
// built on base; every other kind is returned as stored.
func (s *Server) render(it *item, base string) json.RawMessage {
	switch it.kind {
	case KindArtifact:
		b, _ := json.Marshal(contentInfo{
			ContentURI: s.contentURL(base, it.art),
			Origin:     it.art.origin,
			Container:  it.art.runID,
			Path:       it.art.path,
		})
		return b
	case KindArtifactURI:
		b, _ := json.Marshal(s.contentURL(base, it.art))
		return b
	}
	return it.doc
}

// contentURL is the SAS-style URL of an artifact's bytes:
// {base}/content/{opaque}?sig={signature}. It is the same on every call for
// the same base and seed.
func (s *Server) contentURL(base string, a *artifactRef) string {
	op := a.opaque()
	return base + "/content/" + op + "?sig=" + s.sign(op)
}

// sign is the signature of a content opaque.
func (s *Server) sign(opaque string) string {
	m := hmac.New(sha256.New, s.contentKey)
	m.Write([]byte(opaque))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// serveContent streams an artifact's bytes. It answers 403 when the request
// carries an Authorization header or a wrong sig, 404 when the artifact is
// gone (its project was deleted), 405 for methods other than GET.
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request) {
	s.contentResponse(r).write(w)
}

// contentResponse computes the answer of serveContent under the lock.
func (s *Server) contentResponse(r *http.Request) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := s.content(r)
	resp.header.Set("x-ms-request-id", newRequestID())
	return resp
}

// content is contentResponse without the request id.
func (s *Server) content(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeExp, r)
	}
	if r.Header.Get("Authorization") != "" {
		return errorResponse(planeExp, http.StatusForbidden, "AuthorizationFailure",
			"content URLs are pre-signed: the request must not carry an Authorization header")
	}
	op := strings.TrimPrefix(r.URL.Path, "/content/")
	sig := r.URL.Query().Get("sig")
	if !hmac.Equal([]byte(sig), []byte(s.sign(op))) {
		return errorResponse(planeExp, http.StatusForbidden, "AuthenticationFailed", "the signature of the content URL is not valid")
	}
	it := s.st.items[s.st.byOpaque[op]]
	if it == nil {
		return notFound(planeExp, "BlobNotFound", "the artifact content does not exist")
	}
	return &response{status: http.StatusOK, header: http.Header{}, body: it.content, contentType: "application/octet-stream"}
}
