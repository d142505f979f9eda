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
	apiMLS       = "2018-03-01-preview" // the seed's ML services version
	apiAML       = "2024-04-01"         // today's stable Azure ML version
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

// viewFilter is the listViewType filter a list honours.
type viewFilter int

const (
	viewNone     viewFilter = iota
	viewArchived            // ActiveOnly (default) | ArchivedOnly | All, on properties.isArchived
	viewEnabled             // EnabledOnly (default) | DisabledOnly | All, on properties.isEnabled
)

// armType is one ARM resource type the simulator serves.
type armType struct {
	kind  string
	api   string
	del   deleteMode
	bySub bool // also listed by subscription

	// legacy is an older api-version also answered for GET and lists (the
	// same stored documents); DELETE under it behaves as legacyDel.
	legacy    string
	legacyDel deleteMode

	// Behaviours of the current API (api, not legacy):
	view       viewFilter // listViewType on lists
	lowerLoc   bool       // the 202 names its poll URL in "location" (lower case), as Job/delete.json
	timeout    bool       // the 202 carries x-ms-async-operation-timeout (mfe and registry LROs)
	container  bool       // DELETE answers 409 while versions exist below it
	purge      bool       // DELETE takes forceToPurge (boolean)
	needAction bool       // DELETE requires underlyingResourceAction=Delete|Detach
}

// armTypes are keyed by lower-case "namespace/type[/childType...]".
var armTypes = map[string]*armType{
	"microsoft.machinelearningmodelmanagement/accounts":                     {kind: KindMMAccount, api: apiMM, del: delLocation, bySub: true},
	"microsoft.machinelearningexperimentation/accounts":                     {kind: KindExpAccount, api: apiExp, del: delSync, bySub: true},
	"microsoft.machinelearningexperimentation/accounts/workspaces":          {kind: KindWorkspace, api: apiExp, del: delSync},
	"microsoft.machinelearningexperimentation/accounts/workspaces/projects": {kind: KindProject, api: apiExp, del: delSync},
	"microsoft.machinelearningcompute/operationalizationclusters":           {kind: KindCluster, api: apiMLC, del: delLocation, bySub: true},
}

func init() {
	for k, t := range amlTypes() {
		armTypes[k] = t
	}
}

// nsAPIs are the api-versions of each provider namespace (lower case)
// that its operation URLs answer; the first is the namespace's main one.
var nsAPIs = map[string][]string{
	strings.ToLower(nsMM):  {apiMM},
	strings.ToLower(nsExp): {apiExp},
	strings.ToLower(nsMLS): {apiAML, apiMLS},
	strings.ToLower(nsMLC): {apiMLC},
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

// apis are the api-versions the path answers.
func (a *armPath) apis() []string {
	switch a.shape {
	case armRGList, armRG:
		return []string{apiResources}
	case armOp:
		return nsAPIs[strings.ToLower(a.ns)]
	}
	if a.typ.legacy != "" {
		return []string{a.typ.api, a.typ.legacy}
	}
	return []string{a.typ.api}
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
		ok := (a.opKind == "operationresults" || a.opKind == "operationstatuses") && nsAPIs[strings.ToLower(a.ns)] != nil
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
	ver, resp := checkAPIVersion(r, a.apis()...)
	if resp != nil {
		return resp
	}
	if r.Method != http.MethodGet && !(r.Method == http.MethodDelete && a.shape == armItem) {
		return methodNotAllowed(planeARM, r)
	}
	switch a.shape {
	case armRGList:
		return s.armList(r, c, a, ver, "/subscriptions/"+a.sub+"/resourcegroups/", KindResourceGroup)
	case armRG:
		return s.armGet(a.rgPath(), KindResourceGroup, "resource group '"+a.rg+"'")
	case armSubList:
		return s.armList(r, c, a, ver, "/subscriptions/"+a.sub+"/", a.typ.kind)
	case armOp:
		return s.pollOperation(r, c, a)
	}
	if resp := s.armAncestors(a, r.Method); resp != nil {
		return resp
	}
	if a.shape == armColl {
		return s.armList(r, c, a, ver, a.path+"/", a.typ.kind)
	}
	if r.Method == http.MethodDelete {
		return s.armDelete(r, c, a, ver)
	}
	return s.armGet(a.path, a.typ.kind, "resource '"+a.path+"'")
}

// checkAPIVersion returns the request's api-version when it is one of
// want, else a 400 answer.
func checkAPIVersion(r *http.Request, want ...string) (string, *response) {
	got, ok := queryGet(r, "api-version")
	if !ok || got == "" {
		return "", badRequest(planeARM, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	}
	for _, w := range want {
		if got == w {
			return got, nil
		}
	}
	return "", badRequest(planeARM, "InvalidApiVersionParameter",
		"The api-version '"+got+"' is invalid. The supported versions are '"+strings.Join(want, "', '")+"'.")
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

// armList answers one page of the items of kind under prefix. The
// continuation token is read from $skipToken (any case) or $skip. Under the
// current API (2024-04-01) the list honours listViewType where the type
// takes one, and the nextLink repeats the request's query with
// $skipToken; under the older versions the nextLink is api-version and
// $skiptoken, as before.
func (s *Server) armList(r *http.Request, c call, a *armPath, ver, prefix, kind string) *response {
	tok, ok := queryGet(r, "$skiptoken")
	if !ok {
		tok, _ = queryGet(r, "$skip")
	}
	var keep func(*item) bool
	var err error
	if a.typ != nil && ver == a.typ.api && a.typ.view != viewNone {
		if keep, err = viewKeep(r, a.typ.view); err != nil {
			return badRequest(planeARM, "InvalidListViewType", err.Error())
		}
	}
	items, next, err := s.page(prefix, kind, tok, s.opts.PageSize, keep)
	if err != nil {
		return badRequest(planeARM, "InvalidSkipToken", "the $skipToken is not valid for this list")
	}
	page := armPage{Value: make([]json.RawMessage, 0, len(items))}
	for _, it := range items {
		page.Value = append(page.Value, it.doc)
	}
	if next != "" {
		link := s.base(r) + c.prefix + a.path + "?api-version=" + ver
		if ver == apiAML {
			link += carriedQuery(r) + "&$skipToken=" + next
		} else {
			link += "&$skiptoken=" + next
		}
		page.NextLink = link
	}
	return jsonResponse(http.StatusOK, page)
}

// armDelete deletes one resource as its type's deleteMode (for the
// api-version ver) says.
func (s *Server) armDelete(r *http.Request, c call, a *armPath, ver string) *response {
	current := ver == a.typ.api
	mode := a.typ.del
	if !current {
		mode = a.typ.legacyDel
	}
	if mode == delNone {
		return methodNotAllowed(planeARM, r)
	}
	if current {
		if resp := checkDeleteQuery(r, a.typ); resp != nil {
			return resp
		}
	}
	it := s.st.get(a.path, a.typ.kind)
	if it == nil {
		return empty(http.StatusNoContent)
	}
	if current && a.typ.container && s.st.hasUnder(it.path+"/versions") {
		return errorResponse(planeARM, http.StatusConflict, "Conflict",
			"The container '"+it.path+"' still has versions; delete its versions first.")
	}
	s.appearBeside(it)
	if mode == delSync {
		s.removeResource(a.typ.kind, it.path)
		return empty(http.StatusOK)
	}
	return s.startOperation(r, c, a, it, mode, ver)
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
