package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Resource is one entry of GET /_sim/resources.
type Resource struct {
	// Kind is the catalog kind, e.g. "mm.model".
	Kind string `json:"kind"`
	// Path is the catalog path: after the endpoint prefix, no query.
	Path string `json:"path"`
	// Document is the JSON the item GET (or, for list-only kinds, the
	// list) returns for it; for exp.artifacturi a JSON string.
	Document json.RawMessage `json:"document"`
	// Content is the artifact's bytes (exp.artifact only); base64 in JSON.
	Content []byte `json:"content,omitempty"`
	// Owner is simulator metadata, not part of any document: the key of the
	// person (see People) whose identity the document's
	// systemData.createdBy names, or empty (no systemData, or someone
	// else).
	Owner string `json:"owner,omitempty"`
}

// Resources returns every resource present, sorted by lower-cased path.
// Content URLs in documents are built on base (as SetBaseURL). When kind is
// not empty only that kind is returned; withContent false leaves Content
// out.
func (s *Server) Resources(base, kind string, withContent bool) []Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Resource{}
	s.st.each("", func(_ string, it *item) bool {
		if kind != "" && it.kind != kind {
			return true
		}
		r := Resource{Kind: it.kind, Path: it.path, Document: s.render(it, base)}
		if strings.HasPrefix(it.kind, "aml.") {
			r.Owner = creatorOf(it)
		}
		if it.kind == KindArtifact && withContent {
			r.Content = it.content
			if r.Content == nil {
				r.Content = []byte{}
			}
		}
		out = append(out, r)
		return true
	})
	return out
}

// serveAdmin serves /_sim/resources, /_sim/log and /_sim/faults (no auth,
// no latency, not logged).
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	var resp *response
	switch r.URL.Path {
	case "/_sim/resources":
		resp = s.adminResources(r)
	case "/_sim/log":
		resp = s.adminLog(r)
	case "/_sim/faults":
		resp = s.adminFaults(r)
	case "/_sim/appeared":
		resp = s.adminAppeared(r)
	case "/_sim/truth":
		resp = s.adminTruth(r)
	case "/_sim/recreate":
		resp = s.adminRecreate(r)
	case "/_sim/stats":
		resp = s.adminStats(r)
	default:
		resp = notFound(planeARM, "NotFound", "no administration endpoint at "+r.URL.Path)
	}
	resp.write(w)
}

// adminResources answers GET /_sim/resources[?kind=K][&content=false].
func (s *Server) adminResources(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeARM, r)
	}
	q := r.URL.Query()
	withContent := q.Get("content") != "false"
	s.mu.Lock()
	base := s.base(r)
	s.mu.Unlock()
	return jsonResponse(http.StatusOK, s.Resources(base, q.Get("kind"), withContent))
}

// adminLog answers GET /_sim/log[?since=N].
func (s *Server) adminLog(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeARM, r)
	}
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return badRequest(planeARM, "BadRequest", "since must be an integer")
		}
		since = n
	}
	return jsonResponse(http.StatusOK, s.Log(since))
}

// faultsWire is the JSON form of Faults; absent fields keep their value.
type faultsWire struct {
	P429       *float64 `json:"p429,omitempty"`
	P503       *float64 `json:"p503,omitempty"`
	Latency    *string  `json:"latency,omitempty"`
	RetryAfter *int     `json:"retryAfter,omitempty"`
	// TokenFailFor takes the token endpoint down for a duration from now
	// (POST); GET answers what is left of it.
	TokenFailFor *string `json:"tokenFailFor,omitempty"`
}

// wire renders f in its JSON form.
func (f Faults) wire() faultsWire {
	lat := f.Latency.String()
	down := max(time.Until(f.TokenDownUntil), 0).Round(time.Millisecond).String()
	return faultsWire{P429: &f.P429, P503: &f.P503, Latency: &lat, RetryAfter: &f.RetryAfter, TokenFailFor: &down}
}

// adminFaults answers GET /_sim/faults (the settings) and POST /_sim/faults
// (body {"p429", "p503", "latency", "retryAfter", "tokenFailFor"}, each
// optional; 400 when
// malformed or out of range). Both answer the settings now in force.
func (s *Server) adminFaults(r *http.Request) *response {
	switch r.Method {
	case http.MethodGet:
		return jsonResponse(http.StatusOK, s.Faults().wire())
	case http.MethodPost:
	default:
		return methodNotAllowed(planeARM, r)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return badRequest(planeARM, "BadRequest", err.Error())
	}
	var in faultsWire
	if err := json.Unmarshal(body, &in); err != nil {
		return badRequest(planeARM, "BadRequest", "body: "+err.Error())
	}
	f := s.Faults()
	if in.P429 != nil {
		f.P429 = *in.P429
	}
	if in.P503 != nil {
		f.P503 = *in.P503
	}
	if in.RetryAfter != nil {
		f.RetryAfter = *in.RetryAfter
	}
	if in.Latency != nil {
		d, err := time.ParseDuration(*in.Latency)
		if err != nil {
			return badRequest(planeARM, "BadRequest", "latency: "+err.Error())
		}
		f.Latency = d
	}
	if in.TokenFailFor != nil {
		d, err := time.ParseDuration(*in.TokenFailFor)
		if err != nil {
			return badRequest(planeARM, "BadRequest", "tokenFailFor: "+err.Error())
		}
		f.TokenDownUntil = time.Now().Add(d)
	}
	if err := s.SetFaults(f); err != nil {
		return badRequest(planeARM, "BadRequest", err.Error())
	}
	return jsonResponse(http.StatusOK, f.wire())
}
