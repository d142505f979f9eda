package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Kind names: the same strings as amldsr's catalog kinds.
const (
	KindResourceGroup = "arm.resourcegroup"
	KindMMAccount     = "mm.account"
	KindModel         = "mm.model"
	KindManifest      = "mm.manifest"
	KindImage         = "mm.image"
	KindService       = "mm.service"
	KindExpAccount    = "exp.account"
	KindWorkspace     = "exp.workspace"
	KindProject       = "exp.project"
	KindRun           = "exp.run"
	KindExperiment    = "exp.experiment"
	KindRunMetric     = "exp.runmetric"
	KindRunArtifact   = "exp.runartifact"
	KindArtifactURI   = "exp.artifacturi"
	KindAsset         = "exp.asset"
	KindArtifact      = "exp.artifact"
	KindNotification  = "exp.notification"
	KindCluster       = "mlc.cluster"

	// Microsoft.MachineLearningServices, read through 2024-04-01 (the seed's
	// ML services workspaces and computes are the same ARM resources, so
	// they carry these kinds too).
	KindAMLWorkspace             = "aml.workspace"
	KindAMLCompute               = "aml.compute"
	KindAMLJob                   = "aml.job"
	KindAMLSchedule              = "aml.schedule"
	KindAMLOnlineEndpoint        = "aml.onlineendpoint"
	KindAMLOnlineDeployment      = "aml.onlinedeployment"
	KindAMLBatchEndpoint         = "aml.batchendpoint"
	KindAMLBatchDeployment       = "aml.batchdeployment"
	KindAMLModel                 = "aml.model"
	KindAMLModelVersion          = "aml.modelversion"
	KindAMLData                  = "aml.data"
	KindAMLDataVersion           = "aml.dataversion"
	KindAMLEnvironment           = "aml.environment"
	KindAMLEnvironmentVersion    = "aml.environmentversion"
	KindAMLComponent             = "aml.component"
	KindAMLComponentVersion      = "aml.componentversion"
	KindAMLCode                  = "aml.code"
	KindAMLCodeVersion           = "aml.codeversion"
	KindAMLDatastore             = "aml.datastore"
	KindAMLConnection            = "aml.connection"
	KindAMLRegistry              = "aml.registry"
	KindAMLRegModel              = "aml.registry.model"
	KindAMLRegModelVersion       = "aml.registry.modelversion"
	KindAMLRegData               = "aml.registry.data"
	KindAMLRegDataVersion        = "aml.registry.dataversion"
	KindAMLRegEnvironment        = "aml.registry.environment"
	KindAMLRegEnvironmentVersion = "aml.registry.environmentversion"
	KindAMLRegComponent          = "aml.registry.component"
	KindAMLRegComponentVersion   = "aml.registry.componentversion"
	KindAMLRegCode               = "aml.registry.code"
	KindAMLRegCodeVersion        = "aml.registry.codeversion"

	// KindMLSWorkspace and KindCompute are the former names of the seed's
	// ML services workspaces and computes (once "mls.workspace" and
	// "mls.compute"); they are now the aml kinds.
	KindMLSWorkspace = KindAMLWorkspace
	KindCompute      = KindAMLCompute
)

// AMLKinds lists the kinds of Microsoft.MachineLearningServices resources
// (2024-04-01), in catalog order.
var AMLKinds = []string{
	KindAMLWorkspace, KindAMLCompute, KindAMLJob, KindAMLSchedule,
	KindAMLOnlineEndpoint, KindAMLOnlineDeployment, KindAMLBatchEndpoint, KindAMLBatchDeployment,
	KindAMLModel, KindAMLModelVersion, KindAMLData, KindAMLDataVersion,
	KindAMLEnvironment, KindAMLEnvironmentVersion, KindAMLComponent, KindAMLComponentVersion,
	KindAMLCode, KindAMLCodeVersion, KindAMLDatastore, KindAMLConnection,
	KindAMLRegistry, KindAMLRegModel, KindAMLRegModelVersion, KindAMLRegData, KindAMLRegDataVersion,
	KindAMLRegEnvironment, KindAMLRegEnvironmentVersion, KindAMLRegComponent, KindAMLRegComponentVersion,
	KindAMLRegCode, KindAMLRegCodeVersion,
}

// Kinds lists every kind the simulator holds.
var Kinds = append([]string{
	KindResourceGroup, KindMMAccount, KindModel, KindManifest, KindImage, KindService,
	KindExpAccount, KindWorkspace, KindProject, KindRun, KindExperiment, KindRunMetric,
	KindRunArtifact, KindArtifactURI, KindAsset, KindArtifact, KindNotification,
	KindCluster,
}, AMLKinds...)

// item is one stored resource. Its catalog path is the key of the store
// (lower-cased); path keeps the spelling it was stored with.
type item struct {
	kind    string
	path    string
	doc     json.RawMessage // nil for rendered kinds (exp.artifact, exp.artifacturi)
	content []byte          // exp.artifact only
	art     *artifactRef    // exp.artifact and exp.artifacturi only
	// archived and disabled are read from the document of aml kinds:
	// properties.isArchived == true, properties.isEnabled == false. They
	// drive the listViewType filters.
	archived bool
	disabled bool
	// creator is the key of the person who created a seeded aml item (see
	// creatorOf); empty for documents loaded with Put.
	creator string
}

// artifactRef locates an artifact: the data-plane project path P, the origin
// and container (run id), and the artifact path (which may hold "/").
type artifactRef struct {
	project string
	origin  string
	runID   string
	path    string
}

// contentKey is the store key of the exp.artifact item holding the content
// of the artifact a refers to.
func (a *artifactRef) contentKey() string {
	return key("/artifact/v1.0" + a.project + "/artifacts/contentinfo/" + a.origin + "/" + a.runID + "/" + a.path)
}

// opaque is the content URL segment naming the artifact's content.
func (a *artifactRef) opaque() string {
	h := sha256.Sum256([]byte(a.contentKey()))
	return hex.EncodeToString(h[:16])
}

// store holds items by lower-cased catalog path, with a sorted key index for
// prefix scans and an index from content opaque to item key.
type store struct {
	items    map[string]*item
	keys     []string // sorted; nil when stale
	byOpaque map[string]string
	// gone holds removed items by key, for Recreate.
	gone map[string]*item
}

func newStore() *store {
	return &store{items: make(map[string]*item), byOpaque: make(map[string]string), gone: make(map[string]*item)}
}

// key is the store key of a catalog path: paths match case-insensitively.
func key(path string) string { return strings.ToLower(path) }

// put stores it, replacing any item at the same path.
func (st *store) put(it *item) {
	if strings.HasPrefix(it.kind, "aml.") {
		it.archived, it.disabled = docFlags(it.doc)
	}
	k := key(it.path)
	if _, ok := st.items[k]; !ok {
		st.keys = nil
	}
	st.items[k] = it
	if it.kind == KindArtifact {
		st.byOpaque[it.art.opaque()] = k
	}
}

// get returns the item at path if it has the given kind.
func (st *store) get(path, kind string) *item {
	it := st.items[key(path)]
	if it == nil || it.kind != kind {
		return nil
	}
	return it
}

// remove deletes the item with store key k, if any.
func (st *store) remove(k string) bool {
	it, ok := st.items[k]
	if !ok {
		return false
	}
	delete(st.items, k)
	st.gone[k] = it
	if it.kind == KindArtifact {
		delete(st.byOpaque, it.art.opaque())
	}
	st.keys = nil
	return true
}

// removeTree deletes the item at path and every item below it (keys with
// the prefix path + "/"). It returns how many items were removed.
func (st *store) removeTree(path string) int {
	k := key(path)
	n := 0
	if st.remove(k) {
		n++
	}
	var doomed []string
	st.each(k+"/", func(k string, _ *item) bool {
		doomed = append(doomed, k)
		return true
	})
	for _, d := range doomed {
		if st.remove(d) {
			n++
		}
	}
	return n
}

// sorted returns the sorted key index, rebuilding it when stale.
func (st *store) sorted() []string {
	if st.keys == nil {
		st.keys = make([]string, 0, len(st.items))
		for k := range st.items {
			st.keys = append(st.keys, k)
		}
		sort.Strings(st.keys)
	}
	return st.keys
}

// each calls fn for every item whose key starts with prefix (lower case),
// in key order, until fn returns false.
func (st *store) each(prefix string, fn func(k string, it *item) bool) {
	keys := st.sorted()
	for i := sort.SearchStrings(keys, prefix); i < len(keys) && strings.HasPrefix(keys[i], prefix); i++ {
		if !fn(keys[i], st.items[keys[i]]) {
			return
		}
	}
}

// docFlags reads properties.isArchived (true: archived) and
// properties.isEnabled (false: disabled) of a document; absent fields take
// the spec's defaults (not archived, enabled).
func docFlags(doc json.RawMessage) (archived, disabled bool) {
	var d struct {
		Properties struct {
			IsArchived *bool `json:"isArchived"`
			IsEnabled  *bool `json:"isEnabled"`
		} `json:"properties"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return false, false
	}
	p := d.Properties
	return p.IsArchived != nil && *p.IsArchived, p.IsEnabled != nil && !*p.IsEnabled
}

// hasUnder reports whether any item lies below path (keys with the prefix
// path + "/").
func (st *store) hasUnder(path string) bool {
	found := false
	st.each(key(path)+"/", func(string, *item) bool {
		found = true
		return false
	})
	return found
}

// scan returns up to limit items of kind under prefix whose keys sort after
// the key after ("" for the first page) and that keep accepts (nil: all),
// and the continuation token of the next page ("" when this is the last
// page).
func (st *store) scan(prefix, kind, after string, limit int, keep func(*item) bool) ([]*item, string) {
	prefix = key(prefix)
	var out []*item
	more := false
	st.each(prefix, func(k string, it *item) bool {
		if k <= after || it.kind != kind || (keep != nil && !keep(it)) {
			return true
		}
		if len(out) == limit {
			more = true
			return false
		}
		out = append(out, it)
		return true
	})
	if !more || len(out) == 0 {
		return out, ""
	}
	return out, encodeToken(prefix, key(out[len(out)-1].path))
}

// encodeToken makes an opaque paging token from the last key of a page (the
// part after the list's prefix, base64url).
func encodeToken(prefix, lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.TrimPrefix(lastKey, prefix)))
}

// page returns one page of the items of kind under prefix that keep
// accepts, from continuation token tok, and the next page's token. With
// Options.OffsetPaging the token is the number of items already returned,
// as many Azure lists do: items deleted between two pages shift the rest
// forward, so the next page skips some of them.
func (s *Server) page(prefix, kind, tok string, limit int, keep func(*item) bool) ([]*item, string, error) {
	if !s.opts.OffsetPaging {
		after, err := decodeToken(tok, prefix)
		if err != nil {
			return nil, "", err
		}
		items, next := s.st.scan(prefix, kind, after, limit, keep)
		return items, next, nil
	}
	offset := 0
	if tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) < 2 || b[0] != 'o' {
			return nil, "", errBadToken
		}
		if offset, err = strconv.Atoi(string(b[1:])); err != nil || offset < 0 {
			return nil, "", errBadToken
		}
	}
	all, _ := s.st.scan(prefix, kind, "", math.MaxInt, keep)
	if offset >= len(all) {
		return nil, "", nil
	}
	end := min(offset+limit, len(all))
	next := ""
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(end)))
	}
	return all[offset:end], next, nil
}

// errBadToken reports a continuation token the simulator cannot read.
var errBadToken = errors.New("invalid continuation token")

// decodeToken returns the key a token of the list under prefix continues
// after; "" for no token.
func decodeToken(tok, prefix string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", errBadToken
	}
	return key(prefix) + string(b), nil
}

// Put stores doc as the document of a resource of kind at its catalog path
// (the path after the endpoint prefix, as in GET /_sim/resources), replacing
// any document there. It is how tests load official examples into a
// NewEmpty server; no parent is created implicitly.
//
// For exp.artifact the document may carry "content" (base64), which becomes
// the artifact's bytes; its contentUri is ignored and generated. For
// exp.artifacturi the document is ignored (the URI is generated). Put
// returns an error for an unknown kind, invalid JSON, or a path the kind
// cannot have.
func (s *Server) Put(kind, path string, doc json.RawMessage) error {
	it, err := newItem(kind, path, doc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.put(it)
	return nil
}

// newItem validates and builds an item for Put.
func newItem(kind, path string, doc json.RawMessage) (*item, error) {
	known := false
	for _, k := range Kinds {
		known = known || k == kind
	}
	if !known {
		return nil, fmt.Errorf("sim: unknown kind %q", kind)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("sim: path %q does not start with /", path)
	}
	if !json.Valid(doc) {
		return nil, fmt.Errorf("sim: document of %s is not valid JSON", path)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return nil, err
	}
	it := &item{kind: kind, path: path, doc: buf.Bytes()}
	switch kind {
	case KindArtifact, KindArtifactURI:
		return artifactItem(it)
	}
	return it, nil
}

// artifactItem completes an exp.artifact or exp.artifacturi item from its
// path (and, for exp.artifact, the "content" field of its document).
func artifactItem(it *item) (*item, error) {
	ref, err := parseArtifactPath(it.kind, it.path)
	if err != nil {
		return nil, err
	}
	it.art = ref
	if it.kind == KindArtifact {
		var d struct {
			Content []byte `json:"content"`
		}
		if err := json.Unmarshal(it.doc, &d); err != nil {
			return nil, fmt.Errorf("sim: %s: %w", it.path, err)
		}
		it.content = d.Content
		if it.content == nil {
			it.content = []byte{}
		}
	}
	it.doc = nil
	return it, nil
}

// parseArtifactPath reads the artifact reference out of an exp.artifact path
// (/artifact/v1.0{P}/artifacts/contentinfo/{origin}/{runId}/{path...}) or an
// exp.artifacturi path (/history/v1.0{P}/runs/{runId}/artifacturi/{path...}).
func parseArtifactPath(kind, path string) (*artifactRef, error) {
	segs := splitPath(path)
	bad := fmt.Errorf("sim: %q is not a %s path", path, kind)
	if len(segs) < 19 || !isProjectPath(segs[2:14]) {
		return nil, bad
	}
	proj := "/" + strings.Join(segs[2:14], "/")
	tail := segs[14:]
	switch {
	case kind == KindArtifact && eq(segs[0], "artifact") && eq(tail[0], "artifacts") && eq(tail[1], "contentinfo"):
		return &artifactRef{project: proj, origin: tail[2], runID: tail[3], path: strings.Join(tail[4:], "/")}, nil
	case kind == KindArtifactURI && eq(segs[0], "history") && eq(tail[0], "runs") && eq(tail[2], "artifacturi"):
		return &artifactRef{project: proj, origin: "ExperimentRun", runID: tail[1], path: strings.Join(tail[3:], "/")}, nil
	}
	return nil, bad
}

// isProjectPath reports whether 12 segments spell
// subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningExperimentation/accounts/{a}/workspaces/{w}/projects/{p}.
func isProjectPath(segs []string) bool {
	return len(segs) == 12 && eq(segs[0], "subscriptions") && eq(segs[2], "resourceGroups") &&
		eq(segs[4], "providers") && eq(segs[5], nsExp) && eq(segs[6], "accounts") &&
		eq(segs[8], "workspaces") && eq(segs[10], "projects")
}
