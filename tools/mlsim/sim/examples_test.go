package sim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// The official examples checked, by spec folder (read in place from
// ../shared/azure-specs; never copied into the project).
var officialExamples = map[string][]string{
	"machinelearningexperimentation-2017-05-01-preview": {
		"GetAccount.json", "ListAccountResourceGroup.json", "ListAccount.json", "DeleteAccount.json",
		"WorkspaceGet.json", "ListWorkspacesByAccounts.json", "WorkspaceDelete.json",
		"GetProject.json", "ProjectListByWorkspaces.json", "DeleteProject.json",
	},
	"machinelearningcompute-2017-06-01-preview": {
		"OperationalizationClusters_Get.json", "OperationalizationClusters_ListByResourceGroup.json",
		"OperationalizationClusters_ListBySubscription.json", "OperationalizationClusters_Delete.json",
	},
	"machinelearningservices-2018-03-01-preview": {
		"getWorkspace.json", "getWorkspacesByResourceGroup.json", "getWorkspacesBySubscription.json",
		"getComputes.json", "getAKSCompute.json", "getBatchAICompute.json", "deleteCompute.json",
	},
}

// kindOfType maps an ARM resource type to the simulator's kind.
var kindOfType = map[string]string{
	"microsoft.machinelearningexperimentation/accounts":                     sim.KindExpAccount,
	"microsoft.machinelearningexperimentation/accounts/workspaces":          sim.KindWorkspace,
	"microsoft.machinelearningexperimentation/accounts/workspaces/projects": sim.KindProject,
	"microsoft.machinelearningservices/workspaces":                          sim.KindMLSWorkspace,
	"microsoft.machinelearningservices/workspaces/computes":                 sim.KindCompute,
	"microsoft.machinelearningcompute/operationalizationclusters":           sim.KindCluster,
}

// specsDir returns ../shared/azure-specs beside the repository root (the
// directory holding go.mod), or skips the test.
func specsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("../shared/azure-specs not found: official-example checks need the shared folder")
		}
		dir = parent
	}
	specs := filepath.Join(dir, "..", "shared", "azure-specs")
	if fi, err := os.Stat(specs); err != nil || !fi.IsDir() {
		t.Skip("../shared/azure-specs not found: official-example checks need the shared folder")
	}
	return specs
}

// example is one x-ms-example with the operation that references it.
type example struct {
	file     string
	method   string // GET or DELETE, from the spec
	template string // the spec's path template
	pageable bool   // x-ms-pageable: a list
	doc      struct {
		Parameters map[string]any `json:"parameters"`
		Responses  map[string]struct {
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
}

// loadExamples reads the swagger of a folder and returns the wanted
// examples with the operation (method, path) that references each.
func loadExamples(t *testing.T, dir string, wanted []string) []*example {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "machineLearning*.json"))
	if len(matches) != 1 {
		t.Fatalf("%s: want one swagger, found %v", dir, matches)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Examples map[string]struct {
				Ref string `json:"$ref"`
			} `json:"x-ms-examples"`
			Pageable json.RawMessage `json:"x-ms-pageable"`
		} `json:"paths"`
	}
	readJSON(t, matches[0], &spec)
	byFile := map[string]*example{}
	for tmpl, ops := range spec.Paths {
		for method, op := range ops {
			for _, ex := range op.Examples {
				byFile[filepath.Base(ex.Ref)] = &example{
					file: filepath.Base(ex.Ref), method: strings.ToUpper(method), template: tmpl, pageable: op.Pageable != nil,
				}
			}
		}
	}
	var out []*example
	for _, f := range wanted {
		ex := byFile[f]
		if ex == nil {
			t.Fatalf("%s: no operation of the swagger references %s", dir, f)
		}
		readJSON(t, filepath.Join(dir, f), &ex.doc)
		out = append(out, ex)
	}
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// requestPath fills the path template with the example's parameters.
func (ex *example) requestPath(t *testing.T) string {
	p := ex.template
	for name, v := range ex.doc.Parameters {
		if s, ok := v.(string); ok {
			p = strings.ReplaceAll(p, "{"+name+"}", s)
		}
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s: unfilled template %s", ex.file, p)
	}
	return p
}

// statuses lists the status codes the example names.
func (ex *example) statuses() []int {
	var out []int
	for code := range ex.doc.Responses {
		n, _ := strconv.Atoi(code)
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// resourceKind returns the kind of the resource (or collection) a path
// addresses, and whether it addresses a collection.
func resourceKind(t *testing.T, path string) (string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	i := 0
	for i < len(segs) && !strings.EqualFold(segs[i], "providers") {
		i++
	}
	if i+2 >= len(segs) {
		t.Fatalf("no resource type in %s", path)
	}
	tail := segs[i+2:]
	typ := segs[i+1]
	for j := 0; j < len(tail); j += 2 {
		typ += "/" + tail[j]
	}
	kind := kindOfType[strings.ToLower(typ)]
	if kind == "" {
		t.Fatalf("unknown resource type %s", typ)
	}
	return kind, len(tail)%2 == 1
}

// parentPaths returns the paths of the resource group and of the parent
// resources of an ARM resource path, outermost first.
func parentPaths(path string) (rg string, parents []string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	rg = "/" + strings.Join(segs[:4], "/")
	for n := 8; n < len(segs)-1; n += 2 {
		parents = append(parents, "/"+strings.Join(segs[:n], "/"))
	}
	return rg, parents
}

// putMinimal stores a minimal ARM document of the kind at path.
func putMinimal(t *testing.T, s *sim.Server, path string) {
	t.Helper()
	kind := sim.KindResourceGroup
	if strings.Contains(strings.ToLower(path), "/providers/") {
		kind, _ = resourceKind(t, path)
	}
	segs := strings.Split(path, "/")
	doc, _ := json.Marshal(map[string]any{"id": path, "name": segs[len(segs)-1], "location": "eastus"})
	if err := s.Put(kind, path, doc); err != nil {
		t.Fatal(err)
	}
}

// putWithParents stores doc at path after a minimal resource group and
// minimal parents.
func putWithParents(t *testing.T, s *sim.Server, path string, doc json.RawMessage) {
	t.Helper()
	rg, parents := parentPaths(path)
	putMinimal(t, s, rg)
	for _, p := range parents {
		putMinimal(t, s, p)
	}
	kind, _ := resourceKind(t, path)
	if err := s.Put(kind, path, doc); err != nil {
		t.Fatal(err)
	}
}

// TestOfficialExamples loads each official example's documents into an
// empty simulator, issues the example's request and checks the answer.
func TestOfficialExamples(t *testing.T) {
	specs := specsDir(t)
	for folder, files := range officialExamples {
		for _, ex := range loadExamples(t, filepath.Join(specs, folder), files) {
			t.Run(strings.TrimSuffix(ex.file, ".json"), func(t *testing.T) {
				s := sim.NewEmpty(sim.Options{LROPolls: 1})
				e := newEnv(t, s)
				switch {
				case ex.method == http.MethodDelete:
					checkDeleteExample(t, e, ex)
				case ex.pageable:
					checkListExample(t, e, ex)
				default:
					checkGetExample(t, e, ex)
				}
			})
		}
	}
}

// target is the simulator URL of the example's request.
func (ex *example) target(t *testing.T) string {
	return "/arm" + ex.requestPath(t) + "?api-version=" + ex.doc.Parameters["api-version"].(string)
}

// wantListed fails unless status is one of the example's.
func (ex *example) wantListed(t *testing.T, r result) {
	t.Helper()
	for _, s := range ex.statuses() {
		if s == r.status {
			return
		}
	}
	t.Fatalf("%s: status %d, the example lists %v; body %s", ex.file, r.status, ex.statuses(), r.body)
}

func checkGetExample(t *testing.T, e *env, ex *example) {
	body := ex.doc.Responses["200"].Body
	id := field(t, body, "id")
	if !strings.EqualFold(id, ex.requestPath(t)) {
		t.Fatalf("%s: document id %s is not the request path %s", ex.file, id, ex.requestPath(t))
	}
	putWithParents(t, e.srv, id, body)
	r := e.get(ex.target(t))
	ex.wantListed(t, r)
	if canon(t, r.body) != canon(t, body) {
		t.Errorf("%s: answered\n%s\nthe example has\n%s", ex.file, r.body, body)
	}
}

func checkListExample(t *testing.T, e *env, ex *example) {
	var want struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(ex.doc.Responses["200"].Body, &want); err != nil || len(want.Value) == 0 {
		t.Fatalf("%s: no value in the example", ex.file)
	}
	coll := ex.requestPath(t)
	bySubscription := !strings.Contains(strings.ToLower(coll), "/resourcegroups/")
	if !bySubscription {
		rg, parents := parentPaths(coll + "/x")
		putMinimal(t, e.srv, rg)
		for _, p := range parents {
			putMinimal(t, e.srv, p)
		}
	}
	for _, d := range want.Value {
		// Items go where their ids say. Some examples (ListWorkspacesByAccounts,
		// ProjectListByWorkspaces) list items whose ids lie under another
		// account or resource group than the request's parameters; those are
		// stored under the requested collection, by name, as the service
		// would have answered them.
		path := field(t, d, "id")
		parent := path[:strings.LastIndex(path, "/")]
		if !bySubscription && !strings.EqualFold(parent, coll) {
			path = coll + "/" + field(t, d, "name")
		}
		kind, _ := resourceKind(t, path)
		if err := e.srv.Put(kind, path, d); err != nil {
			t.Fatal(err)
		}
	}
	r := e.get(ex.target(t))
	ex.wantListed(t, r)
	// The examples' nextLink values ("nextLink", "https://the.next/link")
	// are placeholders: the pages are followed and only value is compared.
	got := e.followNextLinks(ex.target(t), "$skiptoken")
	if !reflect.DeepEqual(canonSet(t, got), canonSet(t, want.Value)) {
		t.Errorf("%s: listed\n%s\nthe example has\n%s", ex.file, got, want.Value)
	}
}

// canonSet returns the sorted canonical forms of documents.
func canonSet(t *testing.T, docs []json.RawMessage) []string {
	var out []string
	for _, d := range docs {
		out = append(out, canon(t, d))
	}
	sort.Strings(out)
	return out
}

func checkDeleteExample(t *testing.T, e *env, ex *example) {
	path := ex.requestPath(t)
	doc, _ := json.Marshal(map[string]any{"id": path, "name": path[strings.LastIndex(path, "/")+1:], "location": "West US"})
	putWithParents(t, e.srv, path, doc)
	r := e.del(ex.target(t))
	ex.wantListed(t, r)
	for h := range ex.doc.Responses[strconv.Itoa(r.status)].Headers {
		if r.header.Get(h) == "" {
			t.Errorf("%s: %d without the %s header the example names", ex.file, r.status, h)
		}
	}
	if r.status == http.StatusAccepted {
		poll := r.header.Get("Azure-AsyncOperation")
		if poll == "" {
			poll = r.header.Get("Location")
		}
		for range 10 {
			p := e.get(poll)
			if p.status == http.StatusOK && !strings.Contains(string(p.body), "InProgress") {
				break
			}
		}
	}
	wantStatus(t, e.get(ex.target(t)), http.StatusNotFound, ex.file+": GET after the delete")
	if _, ok := ex.doc.Responses["204"]; ok {
		wantStatus(t, e.del(ex.target(t)), http.StatusNoContent, ex.file+": second delete")
	}
}

// fieldPaths adds the JSON field paths of v under prefix to out; arrays
// add "[]" and their elements' paths; tags (user-defined keys) are leaves.
func fieldPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			if k != "tags" {
				fieldPaths(p, c, out)
			}
		}
	case []any:
		for _, c := range x {
			fieldPaths(prefix+"[]", c, out)
		}
	}
}

// TestSeededShapes checks that every seeded document of a kind that has an
// official example holds every field path of the example's documents
// (computes compared within their computeType).
func TestSeededShapes(t *testing.T) {
	specs := specsDir(t)
	seededDocs := sim.New(sim.Options{}).Resources("https://h", "", false)
	checked := map[string]bool{}
	for folder, files := range officialExamples {
		for _, ex := range loadExamples(t, filepath.Join(specs, folder), files) {
			body := ex.doc.Responses["200"].Body
			if body == nil {
				continue
			}
			var list struct {
				Value []json.RawMessage `json:"value"`
			}
			docs := []json.RawMessage{body}
			if json.Unmarshal(body, &list) == nil && list.Value != nil {
				docs = list.Value
			}
			for _, d := range docs {
				checkShape(t, ex.file, d, seededDocs, checked)
			}
		}
	}
	for _, k := range []string{sim.KindExpAccount, sim.KindWorkspace, sim.KindProject, sim.KindMLSWorkspace, sim.KindCompute + "/AKS", sim.KindCompute + "/BatchAI", sim.KindCluster} {
		if !checked[k] {
			t.Errorf("no seeded document of %s was compared with an example", k)
		}
	}
}

// checkShape compares one example document with the seeded documents of its
// kind.
func checkShape(t *testing.T, file string, example json.RawMessage, seeded []sim.Resource, checked map[string]bool) {
	var ex map[string]any
	if err := json.Unmarshal(example, &ex); err != nil {
		t.Fatal(err)
	}
	kind := kindOfType[strings.ToLower(ex["type"].(string))]
	computeType := computeTypeOf(ex)
	want := map[string]bool{}
	fieldPaths("", ex, want)
	for _, r := range seeded {
		if r.Kind != kind {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(r.Document, &doc); err != nil {
			t.Fatal(err)
		}
		if computeTypeOf(doc) != computeType {
			continue
		}
		checked[kind+map[bool]string{true: "/" + computeType, false: ""}[computeType != ""]] = true
		have := map[string]bool{}
		fieldPaths("", doc, have)
		for p := range want {
			if !have[p] {
				t.Errorf("%s: seeded %s lacks %s (example %s)", r.Path, kind, p, file)
			}
		}
	}
}

// computeTypeOf returns properties.computeType of a compute document.
func computeTypeOf(doc map[string]any) string {
	props, _ := doc["properties"].(map[string]any)
	ct, _ := props["computeType"].(string)
	return ct
}
