package sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// operation is a long-running delete. It completes (and removes its target)
// on the poll that follows Options.LROPolls "in progress" answers; polls of
// its Location and of its Azure-AsyncOperation URL count alike.
type operation struct {
	id       string
	sub      string
	ns       string
	location string // normalized location of the target
	kind     string // kind of the target
	target   string // catalog path of the target
	api      string // api-version of the DELETE that started it (its URLs carry it)
	polls    int
	done     bool
	// fail is the error code the operation ends Failed with (Options.
	// LROFailOnce, on the first operation of its target); "" succeeds.
	fail string
}

// normalizeLocation lower-cases a location and removes its spaces:
// "East US 2" -> "eastus2".
func normalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}

// docLocation returns the normalized "location" of an ARM document.
func docLocation(doc json.RawMessage) string {
	var d struct {
		Location string `json:"location"`
	}
	_ = json.Unmarshal(doc, &d)
	return normalizeLocation(d.Location)
}

// startOperation answers 202 for the delete of it (mode delLocation or
// delAsync, under api-version ver), starting an operation or, when one is
// already pending for it, repeating that operation's headers.
func (s *Server) startOperation(r *http.Request, c call, a *armPath, it *item, mode deleteMode, ver string) *response {
	var op *operation
	for _, o := range s.ops {
		if !o.done && key(o.target) == key(it.path) {
			op = o
		}
	}
	if op == nil {
		op = &operation{id: newRequestID(), sub: a.sub, ns: a.ns, location: s.locationOf(it), kind: it.kind, target: it.path, api: ver}
		if s.opts.LROFailOnce != "" && !s.failedBefore(it.path) {
			op.fail = s.opts.LROFailOnce
		}
		s.ops[key(op.id)] = op
	}
	resp := empty(http.StatusAccepted)
	loc := s.operationURL(r, c, op, "operationResults")
	if a.typ.lowerLoc && ver == a.typ.api {
		// Job/delete.json and Schedule/delete.json spell the header in lower
		// case; set it verbatim (Header.Set would canonicalize it).
		resp.header["location"] = []string{loc}
	} else {
		resp.header.Set("Location", loc)
	}
	if mode == delAsync {
		resp.header.Set("Azure-AsyncOperation", s.operationURL(r, c, op, "operationStatuses"))
	}
	resp.header.Set("Retry-After", "1")
	if a.typ.timeout && ver == a.typ.api {
		resp.header.Set("x-ms-async-operation-timeout", "PT1H")
	}
	return resp
}

// locationOf returns the normalized location of it or, when its document
// has none (jobs, assets, ...), of its nearest ancestor that has one
// (workspace, registry); "global" when none has.
func (s *Server) locationOf(it *item) string {
	if loc := docLocation(it.doc); loc != "" {
		return loc
	}
	segs := splitPath(it.path)
	for n := len(segs) - 2; n >= 2; n -= 2 {
		if anc := s.st.items[key("/"+strings.Join(segs[:n], "/"))]; anc != nil && anc.doc != nil {
			if loc := docLocation(anc.doc); loc != "" {
				return loc
			}
		}
	}
	return "global"
}

// operationURL is the absolute URL of an operation's result (Location) or
// status (Azure-AsyncOperation) endpoint.
func (s *Server) operationURL(r *http.Request, c call, op *operation, what string) string {
	return s.base(r) + c.prefix + "/subscriptions/" + op.sub + "/providers/" + op.ns +
		"/locations/" + op.location + "/" + what + "/" + op.id + "?api-version=" + op.api
}

// advance counts one poll of op and reports whether op is complete. The
// poll that completes op removes its target.
func (s *Server) advance(op *operation) bool {
	if op.done {
		return true
	}
	if op.polls < s.opts.LROPolls {
		op.polls++
		return false
	}
	op.done = true
	if op.fail == "" {
		s.removeResource(op.kind, op.target)
	}
	return true
}

// failedBefore reports whether an operation on target was made to fail.
func (s *Server) failedBefore(target string) bool {
	for _, o := range s.ops {
		if o.fail != "" && key(o.target) == key(target) {
			return true
		}
	}
	return false
}

// failedPoll answers the poll of an operation that ended Failed: the
// status endpoint 200 {"status": "Failed", "error": {...}}, the result
// (Location) endpoint the error itself, with 409 for conflict codes and
// 400 for the rest (a final status for pollers: 5xx would read as "still
// running").
func failedPoll(op *operation, status bool) *response {
	msg := "Simulated failure (LROFailOnce) of the delete of '" + op.target + "'."
	if status {
		return jsonResponse(http.StatusOK, map[string]any{"status": "Failed", "error": map[string]string{"code": op.fail, "message": msg}})
	}
	code := http.StatusBadRequest
	if strings.Contains(strings.ToLower(op.fail), "conflict") || strings.EqualFold(op.fail, "AnotherOperationInProgress") {
		code = http.StatusConflict
	}
	return errorResponse(planeARM, code, op.fail, msg)
}

// pollOperation answers a poll. operationResults (Location): 202 with
// Location and Retry-After while in progress, then 200 {}. operationStatuses
// (Azure-AsyncOperation): 200 {"status": "InProgress"}, then
// {"status": "Succeeded"}; an operation made to fail ends as failedPoll
// says. An unknown operation is 404.
func (s *Server) pollOperation(r *http.Request, c call, a *armPath) *response {
	op := s.ops[key(a.opID)]
	if op == nil || !strings.EqualFold(op.sub, a.sub) || !strings.EqualFold(op.ns, a.ns) {
		return notFound(planeARM, "OperationNotFound", "The operation '"+a.opID+"' was not found.")
	}
	done := s.advance(op)
	if done && op.fail != "" {
		return failedPoll(op, a.opKind == "operationstatuses")
	}
	if a.opKind == "operationstatuses" {
		status := "InProgress"
		if done {
			status = "Succeeded"
		}
		resp := jsonResponse(http.StatusOK, map[string]string{"status": status})
		if !done {
			resp.header.Set("Retry-After", "1")
		}
		return resp
	}
	if done {
		return rawResponse(http.StatusOK, json.RawMessage("{}"))
	}
	resp := empty(http.StatusAccepted)
	resp.header.Set("Location", s.base(r)+c.prefix+a.path+"?"+r.URL.RawQuery)
	resp.header.Set("Retry-After", "1")
	return resp
}
