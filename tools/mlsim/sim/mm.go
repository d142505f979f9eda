package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// mmCollections maps the collection segment of a model-management path to
// the kind of its items.
var mmCollections = map[string]string{
	"models":    KindModel,
	"manifests": KindManifest,
	"images":    KindImage,
	"services":  KindService,
}

// mmPath is a parsed model-management data-plane path:
// /api/subscriptions/{s}/resourceGroups/{rg}/accounts/{a}/{collection}[/{id}].
type mmPath struct {
	sub, rg, account string
	kind             string
	coll             string // collection path as requested
	id               string // "" for the collection
}

// parseMM parses a path after /mm/{location}; ok is false when no route
// matches.
func parseMM(p string) (*mmPath, bool) {
	segs := splitPath(p)
	if len(segs) < 8 || len(segs) > 9 || !eq(segs[0], "api") || !eq(segs[1], "subscriptions") ||
		!eq(segs[3], "resourceGroups") || !eq(segs[5], "accounts") {
		return nil, false
	}
	kind := mmCollections[strings.ToLower(segs[7])]
	if kind == "" {
		return nil, false
	}
	m := &mmPath{sub: segs[2], rg: segs[4], account: segs[6], kind: kind, coll: "/" + strings.Join(segs[:8], "/")}
	if len(segs) == 9 {
		m.id = segs[8]
	}
	return m, true
}

// accountPath is the ARM catalog path of the owning account.
func (m *mmPath) accountPath() string {
	return "/subscriptions/" + m.sub + "/resourceGroups/" + m.rg + "/providers/" + nsMM + "/accounts/" + m.account
}

// mm answers a call under /mm/{location}: 404 for an unknown path, an
// account that does not exist or a location that is not the account's;
// 400 for a missing or wrong api-version; then the list, GET or DELETE.
func (s *Server) mm(r *http.Request, c call) *response {
	m, ok := parseMM(c.path)
	if !ok {
		return notFound(planeMM, "NotFound", "no model-management endpoint at "+c.path)
	}
	acct := s.st.get(m.accountPath(), KindMMAccount)
	if acct == nil || docLocation(acct.doc) != c.location {
		return notFound(planeMM, "AccountNotFound", "model management account '"+m.account+"' not found in "+c.location)
	}
	switch v, _ := queryGet(r, "api-version"); v {
	case apiMM:
	case "":
		return badRequest(planeMM, "MissingApiVersionParameter", "the api-version query parameter is required")
	default:
		return badRequest(planeMM, "InvalidApiVersionParameter", "api-version must be "+apiMM)
	}
	switch {
	case r.Method == http.MethodGet && m.id == "":
		return s.mmList(r, c, m)
	case r.Method == http.MethodGet:
		it := s.st.get(m.coll+"/"+m.id, m.kind)
		if it == nil {
			return notFound(planeMM, "NotFound", "no "+m.kind+" with id '"+m.id+"'")
		}
		return rawResponse(http.StatusOK, it.doc)
	case r.Method == http.MethodDelete && m.id != "":
		return s.mmDelete(m)
	}
	return methodNotAllowed(planeMM, r)
}

// mmList answers one page: {"value", "nextLink"}; the nextLink carries
// api-version, $skipToken and count. count sets the page size, at most
// Options.PageSize.
func (s *Server) mmList(r *http.Request, c call, m *mmPath) *response {
	size := s.opts.PageSize
	if v, ok := queryGet(r, "count"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest(planeMM, "BadRequest", "count must be a positive integer")
		}
		size = min(n, size)
	}
	tok, _ := queryGet(r, "$skipToken")
	items, next, err := s.page(m.coll+"/", m.kind, tok, size, nil)
	if err != nil {
		return badRequest(planeMM, "BadRequest", "the $skipToken is not valid for this list")
	}
	page := armPage{Value: make([]json.RawMessage, 0, len(items))}
	for _, it := range items {
		page.Value = append(page.Value, it.doc)
	}
	if next != "" {
		page.NextLink = s.base(r) + c.prefix + m.coll + "?api-version=" + apiMM +
			"&$skipToken=" + next + "&count=" + strconv.Itoa(size)
	}
	return jsonResponse(http.StatusOK, page)
}

// mmDelete deletes one document: 409 while another document of the account
// refers to it (a manifest to a model, an image to a manifest, a service to
// an image), else 200, or 204 when it did not exist.
func (s *Server) mmDelete(m *mmPath) *response {
	path := m.coll + "/" + m.id
	it := s.st.get(path, m.kind)
	if it == nil {
		return empty(http.StatusNoContent)
	}
	if by := s.mmReferrer(m, it); by != nil {
		return errorResponse(planeMM, http.StatusConflict, "Conflict",
			m.kind+" '"+m.id+"' is still referenced by "+by.kind+" '"+by.path+"'")
	}
	s.st.remove(key(path))
	s.appearBeside(it)
	return empty(http.StatusOK)
}

// mmRefs are the reference fields of model-management documents.
type mmRefs struct {
	ID       string   `json:"id"`
	ModelIDs []string `json:"modelIds"`
	Manifest *struct {
		ID string `json:"id"`
	} `json:"manifest"`
	Image *struct {
		ID string `json:"id"`
	} `json:"image"`
}

// mmReferrer returns a document of the same account that refers to it, or
// nil.
func (s *Server) mmReferrer(m *mmPath, it *item) *item {
	var target mmRefs
	_ = json.Unmarshal(it.doc, &target)
	id := target.ID
	if id == "" {
		id = m.id
	}
	var referrer string
	switch m.kind {
	case KindModel:
		referrer = KindManifest
	case KindManifest:
		referrer = KindImage
	case KindImage:
		referrer = KindService
	default:
		return nil
	}
	var found *item
	s.st.each(key(mmDataPath(m.sub, m.rg, m.account))+"/", func(_ string, o *item) bool {
		if o.kind == referrer && refersTo(o, m.kind, id) {
			found = o
			return false
		}
		return true
	})
	return found
}

// refersTo reports whether document o refers to the item of kind with id.
func refersTo(o *item, kind, id string) bool {
	var d mmRefs
	if json.Unmarshal(o.doc, &d) != nil {
		return false
	}
	switch kind {
	case KindModel:
		for _, m := range d.ModelIDs {
			if strings.EqualFold(m, id) {
				return true
			}
		}
	case KindManifest:
		return d.Manifest != nil && strings.EqualFold(d.Manifest.ID, id)
	case KindImage:
		return d.Image != nil && strings.EqualFold(d.Image.ID, id)
	}
	return false
}
