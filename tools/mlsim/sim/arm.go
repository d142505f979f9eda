package sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Provider namespaces and their api-versions.
const (
	nsMM  = "Microsoft.MachineLearningModelManagement"
	nsExp = "Microsoft.MachineLearningExperimentation"
	nsMLS = "Microsoft.MachineLearningServices"
	nsMLC = "Microsoft.MachineLearningCompute"

	apiResources = "2021-04-01"
	apiMM        = "2017-09-01-preview"
	apiExp       = "2017-05-01-preview"
	apiMLS       = "2018-03-01-preview"
	apiMLC       = "2017-06-01-preview"
)

// deleteMode says how DELETE of an ARM resource type behaves.
type deleteMode int

const (
	delNone     deleteMode = iota // 405
	delSync                       // 200 deleted (cascading) / 204 absent
	delLocation                   // 202 + Location, polled; 204 absent
	delAsync                      // 202 + Azure-AsyncOperation + Location; 204 absent
)

// armType is one ARM resource type the simulator serves.
type armType struct {
	kind  string
	api   string
	del   deleteMode
	bySub bool // also listed by subscription
}

// armTypes are keyed by lower-case "namespace/type[/childType...]".
var armTypes = map[string]*armType{
	"microsoft.machinelearningmodelmanagement/accounts":                     {kind: KindMMAccount, api: apiMM, del: delLocation, bySub: true},
	"microsoft.machinelearningexperimentation/accounts":                     {kind: KindExpAccount, api: apiExp, del: delSync, bySub: true},
	"microsoft.machinelearningexperimentation/accounts/workspaces":          {kind: KindWorkspace, api: apiExp, del: delSync},
	"microsoft.machinelearningexperimentation/accounts/workspaces/projects": {kind: KindProject, api: apiExp, del: delSync},
	"microsoft.machinelearningservices/workspaces":                          {kind: KindMLSWorkspace, api: apiMLS, del: delNone, bySub: true},
	"microsoft.machinelearningservices/workspaces/computes":                 {kind: KindCompute, api: apiMLS, del: delAsync},
	"microsoft.machinelearningcompute/operationalizationclusters":           {kind: KindCluster, api: apiMLC, del: delLocation, bySub: true},
}

// nsAPI is the api-version of each provider namespace (lower case), used
// by its operation URLs.
var nsAPI = map[string]string{
	strings.ToLower(nsMM):  apiMM,
	strings.ToLower(nsExp): apiExp,
	strings.ToLower(nsMLS): apiMLS,
	strings.ToLower(nsMLC): apiMLC,
}

// armShape says what an ARM path addresses.
type armShape int

const (
	armRGList  armShape = iota // /subscriptions/{s}/resourcegroups
	armRG                      // /subscriptions/{s}/resourcegroups/{rg}
	armSubList                 // /subscriptions/{s}/providers/{ns}/{type}
	armOp                      // /subscriptions/{s}/providers/{ns}/locations/{l}/operation{Results,Statuses}/{id}
	armColl                    // a collection under a resource group (or under a parent resource)
	armItem                    // one resource
)

// armPath is a parsed ARM path.
type armPath struct {
	shape  armShape
	sub    string
	rg     string
	ns     string
	typ    *armType
	path   string // the path as requested, cleaned of empty segments
	parent string // armColl/armItem: path of the parent resource; "" when top-level
	opKind string // armOp: "operationresults" or "operationstatuses"
	opID   string
}

// api is the api-version the path requires.
func (a *armPath) api() string {
	switch a.shape {
	case armRGList, armRG:
		return apiResources
	case armOp:
		return nsAPI[strings.ToLower(a.ns)]
	}
	return a.typ.api
}

// rgPath is the catalog path of the path's resource group.
func (a *armPath) rgPath() string {
	return "/subscriptions/" + a.sub + "/resourceGroups/" + a.rg
}

// parseARM parses a path after /arm; ok is false when no route matches.
func parseARM(p string) (*armPath, bool) {
	segs := splitPath(p)
	if len(segs) < 3 || !eq(segs[0], "subscriptions") {
		return nil, false
	}
	a := &armPath{sub: segs[1], path: "/" + strings.Join(segs, "/")}
	switch {
	case eq(segs[2], "resourcegroups") && len(segs) == 3:
		a.shape = armRGList
		return a, true
	case eq(segs[2], "resourcegroups") && len(segs) == 4:
		a.shape, a.rg = armRG, segs[3]
		return a, true
	case eq(segs[2], "resourcegroups") && len(segs) >= 7 && eq(segs[4], "providers"):
		a.rg, a.ns = segs[3], segs[5]
		return a.resource(segs[6:], segs)
	case eq(segs[2], "providers") && len(segs) == 5:
		a.shape, a.ns = armSubList, segs[3]
		a.typ = armTypes[strings.ToLower(segs[3]+"/"+segs[4])]
		return a, a.typ != nil && a.typ.bySub
	case eq(segs[2], "providers") && len(segs) == 8 && eq(segs[4], "locations"):
		a.shape, a.ns, a.opKind, a.opID = armOp, segs[3], strings.ToLower(segs[6]), segs[7]
		ok := (a.opKind == "operationresults" || a.opKind == "operationstatuses") && nsAPI[strings.ToLower(a.ns)] != ""
		return a, ok
	}
	return nil, false
}

// resource completes a path below .../providers/{ns}/: alternating type and
// name segments (tail), ending in a type (collection) or a name (item).
func (a *armPath) resource(tail, segs []string) (*armPath, bool) {
	var types []string
	for i := 0; i < len(tail); i += 2 {
		types = append(types, tail[i])
	}
	a.typ = armTypes[strings.ToLower(a.ns+"/"+strings.Join(types, "/"))]
	if a.typ == nil {
		return nil, false
	}
	a.shape = armColl
	if len(tail)%2 == 0 {
		a.shape = armItem
	}
	// The parent resource is the path without the last type (and name).
	cut := len(segs) - 1
	if a.shape == armItem {
		cut--
	}
	if len(types) > 1 {
		a.parent = "/" + strings.Join(segs[:cut], "/")
	}
	return a, true
}

// arm answers a call under /arm.
func (s *Server) arm(r *http.Request, c call) *response {
	a, ok := parseARM(c.path)
	if !ok {
		return notFound(planeARM, "InvalidResourceType", "the simulator serves no resource type at "+c.path)
	}
	if resp := checkAPIVersion(r, a.api()); resp != nil {
		return resp
	}
	if r.Method != http.MethodGet && !(r.Method == http.MethodDelete && a.shape == armItem) {
		return methodNotAllowed(planeARM, r)
	}
	switch a.shape {
	case armRGList:
		return s.armList(r, c, a, "/subscriptions/"+a.sub+"/resourcegroups/", KindResourceGroup)
	case armRG:
		return s.armGet(a.rgPath(), KindResourceGroup, "resource group '"+a.rg+"'")
	case armSubList:
		return s.armList(r, c, a, "/subscriptions/"+a.sub+"/", a.typ.kind)
	case armOp:
		return s.pollOperation(r, c, a)
	}
	if resp := s.armAncestors(a, r.Method); resp != nil {
		return resp
	}
	if a.shape == armColl {
		return s.armList(r, c, a, a.path+"/", a.typ.kind)
	}
	if r.Method == http.MethodDelete {
		return s.armDelete(r, c, a)
	}
	return s.armGet(a.path, a.typ.kind, "resource '"+a.path+"'")
}

// checkAPIVersion answers 400 when api-version is missing or not want.
func checkAPIVersion(r *http.Request, want string) *response {
	got, ok := queryGet(r, "api-version")
	if !ok || got == "" {
		return badRequest(planeARM, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	}
	if got != want {
		return badRequest(planeARM, "InvalidApiVersionParameter",
			"The api-version '"+got+"' is invalid. The supported versions are '"+want+"'.")
	}
	return nil
}

// armAncestors answers 404 when the resource group (ResourceGroupNotFound)
// or, for reads of nested resources, the parent (ParentResourceNotFound) is
// missing. A DELETE of a resource whose parent is gone answers 204 instead.
func (s *Server) armAncestors(a *armPath, method string) *response {
	if s.st.get(a.rgPath(), KindResourceGroup) == nil {
		return notFound(planeARM, "ResourceGroupNotFound", "Resource group '"+a.rg+"' could not be found.")
	}
	if a.parent == "" || method == http.MethodDelete {
		return nil
	}
	if it := s.st.items[key(a.parent)]; it == nil {
		return notFound(planeARM, "ParentResourceNotFound", "Can not perform requested operation on nested resource. Parent resource '"+a.parent+"' not found.")
	}
	return nil
}

// armGet answers the document at path, or 404 ResourceNotFound.
func (s *Server) armGet(path, kind, what string) *response {
	it := s.st.get(path, kind)
	if it == nil {
		return notFound(planeARM, "ResourceNotFound", "The "+what+" was not found.")
	}
	return rawResponse(http.StatusOK, it.doc)
}

// armPage is an ARM list page.
type armPage struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

// armList answers one page of the items of kind under prefix; the nextLink
// repeats the request path with api-version and $skiptoken.
func (s *Server) armList(r *http.Request, c call, a *armPath, prefix, kind string) *response {
	tok, _ := queryGet(r, "$skiptoken")
	after, err := decodeToken(tok, prefix)
	if err != nil {
		return badRequest(planeARM, "InvalidSkipToken", "the $skiptoken is not valid for this list")
	}
	items, next := s.st.scan(prefix, kind, after, s.opts.PageSize)
	page := armPage{Value: make([]json.RawMessage, 0, len(items))}
	for _, it := range items {
		page.Value = append(page.Value, it.doc)
	}
	if next != "" {
		page.NextLink = s.base(r) + c.prefix + a.path + "?api-version=" + a.api() + "&$skiptoken=" + next
	}
	return jsonResponse(http.StatusOK, page)
}

// armDelete deletes one resource as its type's deleteMode says.
func (s *Server) armDelete(r *http.Request, c call, a *armPath) *response {
	if a.typ.del == delNone {
		return methodNotAllowed(planeARM, r)
	}
	it := s.st.get(a.path, a.typ.kind)
	if it == nil {
		return empty(http.StatusNoContent)
	}
	if a.typ.del == delSync {
		s.removeResource(a.typ.kind, it.path)
		return empty(http.StatusOK)
	}
	return s.startOperation(r, c, a, it)
}

// removeResource deletes an ARM resource with everything below it: its
// child resources and, for accounts, workspaces and projects, their
// data-plane documents (and content); for a model-management account, its
// models, manifests, images and services.
func (s *Server) removeResource(kind, path string) {
	s.st.removeTree(path)
	switch kind {
	case KindExpAccount, KindWorkspace, KindProject:
		for _, svc := range []string{"/history/v1.0", "/artifact/v1.0", "/notification/v1.0"} {
			s.st.removeTree(svc + path)
		}
	case KindMMAccount:
		if segs := splitPath(path); len(segs) == 8 {
			s.st.removeTree(mmDataPath(segs[1], segs[3], segs[7]))
		}
	}
}

// mmDataPath is the model-management data-plane path of an account.
func mmDataPath(sub, rg, account string) string {
	return "/api/subscriptions/" + sub + "/resourceGroups/" + rg + "/accounts/" + account
}
