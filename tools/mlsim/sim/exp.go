package sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// expPath is a parsed experimentation data-plane path:
// /{history|artifact|notification}/v1.0{P}/{tail...} where P is the project's
// ARM path.
type expPath struct {
	service string   // "history", "artifact" or "notification" (lower case)
	project string   // P as requested
	base    string   // /{service}/v1.0{P} as requested
	tail    []string // segments after P
}

// account is the ARM catalog path of the owning experimentation account.
func (e *expPath) account() string {
	segs := splitPath(e.project)
	return "/" + strings.Join(segs[:8], "/")
}

// parseExp parses a path after /exp/{location}; ok is false when it is not
// below a project of one of the three services.
func parseExp(p string) (*expPath, bool) {
	segs := splitPath(p)
	if len(segs) < 15 || !eq(segs[1], "v1.0") || !isProjectPath(segs[2:14]) {
		return nil, false
	}
	svc := strings.ToLower(segs[0])
	if svc != "history" && svc != "artifact" && svc != "notification" {
		return nil, false
	}
	proj := "/" + strings.Join(segs[2:14], "/")
	return &expPath{service: svc, project: proj, base: "/" + segs[0] + "/" + segs[1] + proj, tail: segs[14:]}, true
}

// exp answers a call under /exp/{location}: 404 for an unknown path, a
// missing account or project, or a location that is not the account's;
// then the GET of the addressed list or document.
func (s *Server) exp(r *http.Request, c call) *response {
	e, ok := parseExp(c.path)
	if !ok {
		return notFound(planeExp, "NotFound", "no experimentation endpoint at "+c.path)
	}
	acct := s.st.get(e.account(), KindExpAccount)
	if acct == nil || docLocation(acct.doc) != c.location {
		return notFound(planeExp, "AccountNotFound", "experimentation account not found in "+c.location)
	}
	if s.st.get(e.project, KindProject) == nil {
		return notFound(planeExp, "ProjectNotFound", "project '"+e.project+"' not found")
	}
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeExp, r)
	}
	switch e.service {
	case "history":
		return s.history(r, c, e)
	case "artifact":
		return s.artifactService(r, c, e)
	}
	return s.notification(r, c, e)
}

// history serves runs, runs/{id}, runs/{id}/artifacts, runs/{id}/artifacturi,
// experiments, experiments/{id} and runmetrics.
func (s *Server) history(r *http.Request, c call, e *expPath) *response {
	t := e.tail
	switch {
	case len(t) == 1 && eq(t[0], "runs"):
		return s.contList(r, c, e.base+"/runs", e.base+"/runs/", KindRun, "$continuationtoken", true)
	case len(t) == 2 && eq(t[0], "runs"):
		return s.expGet(r, e.base+"/runs/"+t[1], KindRun, "run")
	case len(t) == 3 && eq(t[0], "runs") && eq(t[2], "artifacts"):
		if s.st.get(e.base+"/runs/"+t[1], KindRun) == nil {
			return notFound(planeExp, "RunNotFound", "run '"+t[1]+"' not found")
		}
		return s.contList(r, c, e.base+"/runs/"+t[1]+"/artifacts", e.base+"/runs/"+t[1]+"/artifacts/", KindRunArtifact, "$continuationtoken", true)
	case len(t) == 3 && eq(t[0], "runs") && eq(t[2], "artifacturi"):
		name, _ := queryGet(r, "name")
		if name == "" {
			return badRequest(planeExp, "BadRequest", "the name query parameter is required")
		}
		return s.expGet(r, e.base+"/runs/"+t[1]+"/artifacturi/"+name, KindArtifactURI, "artifact")
	case len(t) == 1 && eq(t[0], "experiments"):
		return s.contList(r, c, e.base+"/experiments", e.base+"/experiments/", KindExperiment, "$continuationtoken", true)
	case len(t) == 2 && eq(t[0], "experiments"):
		return s.expGet(r, e.base+"/experiments/"+t[1], KindExperiment, "experiment")
	case len(t) == 1 && eq(t[0], "runmetrics"):
		return s.contList(r, c, e.base+"/runmetrics", e.base+"/runmetrics/", KindRunMetric, "$continuationtoken", true)
	}
	return notFound(planeExp, "NotFound", "no history endpoint at "+c.path)
}

// artifactService serves assets, assets/name/{name},
// artifacts/origins/{origin}/containers/{runId} and
// artifacts/contentinfo/{origin}/{runId}/{path...}. Its lists carry only a
// continuationToken (no nextLink), taken back as continuationToken.
func (s *Server) artifactService(r *http.Request, c call, e *expPath) *response {
	t := e.tail
	switch {
	case len(t) == 1 && eq(t[0], "assets"):
		return s.contList(r, c, e.base+"/assets", e.base+"/assets/name/", KindAsset, "continuationToken", false)
	case len(t) == 3 && eq(t[0], "assets") && eq(t[1], "name"):
		return s.expGet(r, e.base+"/assets/name/"+t[2], KindAsset, "asset")
	case len(t) == 5 && eq(t[0], "artifacts") && eq(t[1], "origins") && eq(t[3], "containers"):
		return s.runArtifacts(r, c, e, t[2], t[4])
	case len(t) >= 5 && eq(t[0], "artifacts") && eq(t[1], "contentinfo"):
		return s.expGet(r, e.base+"/"+strings.Join(t, "/"), KindArtifact, "artifact")
	}
	return notFound(planeExp, "NotFound", "no artifact endpoint at "+c.path)
}

// runArtifacts lists the Artifact documents of a run (the same documents as
// the history list runs/{id}/artifacts). Only the ExperimentRun origin holds
// artifacts; another origin lists nothing.
func (s *Server) runArtifacts(r *http.Request, c call, e *expPath, origin, runID string) *response {
	hist := "/history/v1.0" + e.project + "/runs/" + runID
	if s.st.get(hist, KindRun) == nil {
		return notFound(planeExp, "RunNotFound", "container '"+runID+"' not found")
	}
	prefix := hist + "/artifacts/"
	if !strings.EqualFold(origin, "ExperimentRun") {
		prefix = hist + "/no-such-origin/"
	}
	return s.contList(r, c, c.path, prefix, KindRunArtifact, "continuationToken", false)
}

// notification serves users/{objectId}/jobs: empty for an unknown user.
func (s *Server) notification(r *http.Request, c call, e *expPath) *response {
	t := e.tail
	if len(t) == 3 && eq(t[0], "users") && eq(t[2], "jobs") {
		coll := e.base + "/users/" + t[1] + "/jobs"
		return s.contList(r, c, coll, coll+"/", KindNotification, "$continuationtoken", true)
	}
	return notFound(planeExp, "NotFound", "no notification endpoint at "+c.path)
}

// expGet answers the document at path, or 404.
func (s *Server) expGet(r *http.Request, path, kind, what string) *response {
	it := s.st.get(path, kind)
	if it == nil {
		return notFound(planeExp, "NotFound", "the "+what+" was not found")
	}
	return rawResponse(http.StatusOK, s.render(it, s.base(r)))
}

// contPage is a list page of the experimentation planes.
type contPage struct {
	Value             []json.RawMessage `json:"value"`
	ContinuationToken string            `json:"continuationToken,omitempty"`
	NextLink          string            `json:"nextLink,omitempty"`
}

// tokenParams are the continuation parameters of the experimentation lists;
// a list refuses the one that is not its own, so that a client following
// the wrong convention fails instead of looping on the first page.
var tokenParams = []string{"$continuationtoken", "continuationToken", "$skiptoken"}

// contList answers one page of the items of kind under prefix. The token
// goes back in param; withNext adds a nextLink (the request path with only
// that parameter).
func (s *Server) contList(r *http.Request, c call, coll, prefix, kind, param string, withNext bool) *response {
	for _, p := range tokenParams {
		if _, ok := queryGet(r, p); ok && !strings.EqualFold(p, param) {
			return badRequest(planeExp, "BadRequest", "this list takes its continuation token as "+param+", not "+p)
		}
	}
	tok, _ := queryGet(r, param)
	items, next, err := s.page(prefix, kind, tok, s.opts.PageSize, nil)
	if err != nil {
		return badRequest(planeExp, "BadRequest", "the continuation token is not valid for this list")
	}
	page := contPage{Value: make([]json.RawMessage, 0, len(items)), ContinuationToken: next}
	for _, it := range items {
		page.Value = append(page.Value, s.render(it, s.base(r)))
	}
	if next != "" && withNext {
		page.NextLink = s.base(r) + c.prefix + coll + "?" + param + "=" + next
	}
	return jsonResponse(http.StatusOK, page)
}
