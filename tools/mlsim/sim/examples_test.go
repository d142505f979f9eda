package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"

	"amldsr/internal/testenv"
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
	"microsoft.machinelearningexperimentation/accounts":                        sim.KindExpAccount,
	"microsoft.machinelearningexperimentation/accounts/workspaces":             sim.KindWorkspace,
	"microsoft.machinelearningexperimentation/accounts/workspaces/projects":    sim.KindProject,
	"microsoft.machinelearningcompute/operationalizationclusters":              sim.KindCluster,
	"microsoft.machinelearningservices/workspaces":                             sim.KindAMLWorkspace,
	"microsoft.machinelearningservices/workspaces/computes":                    sim.KindAMLCompute,
	"microsoft.machinelearningservices/workspaces/jobs":                        sim.KindAMLJob,
	"microsoft.machinelearningservices/workspaces/schedules":                   sim.KindAMLSchedule,
	"microsoft.machinelearningservices/workspaces/onlineendpoints":             sim.KindAMLOnlineEndpoint,
	"microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": sim.KindAMLOnlineDeployment,
	"microsoft.machinelearningservices/workspaces/batchendpoints":              sim.KindAMLBatchEndpoint,
	"microsoft.machinelearningservices/workspaces/batchendpoints/deployments":  sim.KindAMLBatchDeployment,
	"microsoft.machinelearningservices/workspaces/datastores":                  sim.KindAMLDatastore,
	"microsoft.machinelearningservices/workspaces/connections":                 sim.KindAMLConnection,
	"microsoft.machinelearningservices/registries":                             sim.KindAMLRegistry,
}

func init() {
	for coll, kinds := range wsAssetKinds {
		kindOfType["microsoft.machinelearningservices/workspaces/"+coll] = kinds[0]
		kindOfType["microsoft.machinelearningservices/workspaces/"+coll+"/versions"] = kinds[1]
	}
	for coll, kinds := range regAssetKinds {
		kindOfType["microsoft.machinelearningservices/registries/"+coll] = kinds[0]
		kindOfType["microsoft.machinelearningservices/registries/"+coll+"/versions"] = kinds[1]
	}
}

// specsDir returns ../shared/azure-specs, or skips the test.
func specsDir(t *testing.T) string {
	return testenv.SpecsDir(t, "the official-example checks")
}

// example is one x-ms-example with the operation that references it.
type example struct {
	file     string
	method   string   // GET or DELETE, from the spec
	template string   // the spec's path template
	pageable bool     // x-ms-pageable: a list
	query    []string // 2024-04-01: the query parameters the operation declares
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

// TestSeededShapes checks that every seeded document of the seed scenario
// (its two resource groups) of a kind that has an official example of the
// legacy versions holds every field path of the example's documents
// (computes compared within their computeType). The current-API resource
// group rg-aml is checked against the 2024-04-01 examples instead
// (TestCurrentSeededShapes).
func TestSeededShapes(t *testing.T) {
	specs := specsDir(t)
	var seededDocs []sim.Resource
	for _, r := range sim.New(sim.Options{}).Resources("https://h", "", false) {
		if !strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(rgAML+"/")) {
			seededDocs = append(seededDocs, r)
		}
	}
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

// ---- Microsoft.MachineLearningServices 2024-04-01 ----

// currentFolder holds today's stable API: three swaggers (mfe.json,
// machineLearningServices.json, registries.json) and the examples the
// spec repository had for their GET and DELETE operations (62 files;
// registries, codes and connections have none at this commit).
const currentFolder = "machinelearningservices-2024-04-01"

// currentExampleCount is the number of example files of currentFolder.
const currentExampleCount = 62

// swaggerParam is one parameter of an operation: inline, or a $ref to a
// parameters entry of a swagger of the folder (refs to common-types are
// the subscription, resource group and api-version, handled apart).
type swaggerParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// swaggerOp is a GET or DELETE operation of a swagger.
type swaggerOp struct {
	Parameters []swaggerParam `json:"parameters"`
	Examples   map[string]struct {
		Ref string `json:"$ref"`
	} `json:"x-ms-examples"`
	Pageable json.RawMessage `json:"x-ms-pageable"`
}

// loadCurrentExamples reads the three swaggers of dir and returns every
// example file under dir/examples with the operation referencing it and
// the query parameters that operation declares.
func loadCurrentExamples(t *testing.T, dir string) []*example {
	t.Helper()
	params := map[string]map[string]swaggerParam{} // swagger file -> parameter name -> parameter
	type found struct {
		file string
		op   swaggerOp
		ex   *example
	}
	byFile := map[string]found{}
	for _, sw := range []string{"mfe.json", "machineLearningServices.json", "registries.json"} {
		var spec struct {
			Paths      map[string]map[string]json.RawMessage `json:"paths"`
			Parameters map[string]swaggerParam               `json:"parameters"`
		}
		readJSON(t, filepath.Join(dir, sw), &spec)
		params[sw] = spec.Parameters
		for tmpl, ops := range spec.Paths {
			for method, raw := range ops {
				if method != "get" && method != "delete" {
					continue
				}
				var op swaggerOp
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatalf("%s %s %s: %v", sw, method, tmpl, err)
				}
				for _, x := range op.Examples {
					rel := filepath.Clean(x.Ref)
					if prev, dup := byFile[rel]; dup {
						t.Fatalf("%s is the example of two operations (%s and %s %s)", rel, prev.ex.template, method, tmpl)
					}
					byFile[rel] = found{sw, op, &example{
						file: rel, method: strings.ToUpper(method), template: tmpl, pageable: op.Pageable != nil,
					}}
				}
			}
		}
	}
	var out []*example
	err := filepath.WalkDir(filepath.Join(dir, "examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, ok := byFile[rel]
		if !ok {
			t.Errorf("%s: no GET or DELETE operation references it", rel)
			return nil
		}
		readJSON(t, p, &f.ex.doc)
		for _, prm := range f.op.Parameters {
			if prm.Ref != "" {
				file, name, _ := strings.Cut(prm.Ref, "#/parameters/")
				if file == "" {
					file = f.file
				}
				prm = params[filepath.Base(file)][name] // zero for common-types refs
			}
			if prm.In == "query" {
				f.ex.query = append(f.ex.query, prm.Name)
			}
		}
		out = append(out, f.ex)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != currentExampleCount {
		t.Fatalf("%d example files under %s/examples, want %d", len(out), dir, currentExampleCount)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

// currentPath fills the path template with the example's parameters. One
// example cannot be followed literally: Job/delete.json gives the job id
// as a URL ("http://subscriptions/{subscriptionId}/.../jobs/my-favorite-aml-job");
// a path parameter holding "/" stands for its last segment.
func (ex *example) currentPath(t *testing.T) string {
	p := ex.template
	for name, v := range ex.doc.Parameters {
		if s, ok := v.(string); ok {
			if i := strings.LastIndex(s, "/"); i >= 0 {
				s = s[i+1:]
			}
			p = strings.ReplaceAll(p, "{"+name+"}", s)
		}
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s: unfilled template %s", ex.file, p)
	}
	return p
}

// currentQuery is the query of the example's request: api-version and the
// parameters the example gives that the operation declares in its query
// (underlyingResourceAction, listViewType, $top, count, ...). The
// examples' "$skipToken" is not declared (the operations declare "$skip")
// and holds a placeholder ("string"), so it is not sent: the list is read
// from its first page.
func (ex *example) currentQuery() url.Values {
	q := url.Values{"api-version": {ex.doc.Parameters["api-version"].(string)}}
	for _, name := range ex.query {
		v, ok := ex.doc.Parameters[name]
		if !ok {
			continue
		}
		vals := []any{v}
		if arr, isArr := v.([]any); isArr {
			vals = arr
		}
		for _, x := range vals {
			q.Add(name, fmt.Sprint(x))
		}
	}
	return q
}

// currentTarget is the simulator URL of the example's request.
func (ex *example) currentTarget(t *testing.T, q url.Values) string {
	return "/arm" + ex.currentPath(t) + "?" + q.Encode()
}

// TestCurrentExamples replays every 2024-04-01 example: its response
// documents are loaded into an empty simulator at the paths their ids (or,
// for placeholder ids such as "string", the example's parameters) imply,
// the request built from its parameters is sent, and the status, the
// documents (field for field) and the headers the example names are
// checked.
func TestCurrentExamples(t *testing.T) {
	specs := specsDir(t)
	for _, ex := range loadCurrentExamples(t, filepath.Join(specs, currentFolder)) {
		t.Run(strings.TrimSuffix(filepath.ToSlash(strings.TrimPrefix(ex.file, "examples"+string(filepath.Separator))), ".json"), func(t *testing.T) {
			e := newEnv(t, sim.NewEmpty(sim.Options{LROPolls: 1}))
			switch {
			case ex.method == http.MethodDelete:
				checkCurrentDelete(t, e, ex)
			case ex.pageable:
				checkCurrentList(t, e, ex)
			default:
				checkCurrentGet(t, e, ex)
			}
		})
	}
}

// putParents stores a minimal resource group and minimal parents of an ARM
// path.
func putParents(t *testing.T, s *sim.Server, path string) {
	t.Helper()
	rg, parents := parentPaths(path)
	putMinimal(t, s, rg)
	for _, p := range parents {
		putMinimal(t, s, p)
	}
}

func checkCurrentGet(t *testing.T, e *env, ex *example) {
	body := ex.doc.Responses["200"].Body
	path := ex.currentPath(t)
	// Most mfe examples have placeholder ids ("id": "string"); the document
	// goes where the request's parameters say. Where the id is a path it is
	// the request's path.
	if id := field(t, body, "id"); strings.HasPrefix(id, "/") && !strings.EqualFold(id, path) {
		t.Fatalf("%s: document id %s is not the request path %s", ex.file, id, path)
	}
	putParents(t, e.srv, path)
	kind, _ := resourceKind(t, path)
	if err := e.srv.Put(kind, path, body); err != nil {
		t.Fatal(err)
	}
	r := e.get(ex.currentTarget(t, ex.currentQuery()))
	ex.wantListed(t, r)
	if canon(t, r.body) != canon(t, body) {
		t.Errorf("%s: answered\n%s\nthe example has\n%s", ex.file, r.body, body)
	}
}

func checkCurrentList(t *testing.T, e *env, ex *example) {
	var want struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(ex.doc.Responses["200"].Body, &want); err != nil || len(want.Value) == 0 {
		t.Fatalf("%s: no value in the example", ex.file)
	}
	coll := ex.currentPath(t)
	bySubscription := !strings.Contains(strings.ToLower(coll), "/resourcegroups/")
	if !bySubscription {
		putParents(t, e.srv, coll+"/x")
	}
	q := ex.currentQuery()
	hidden := false
	for _, d := range want.Value {
		// An item goes where its id says when the id is a path below the
		// requested collection (or, listed by subscription, anywhere);
		// otherwise (placeholder ids, or ids under another workspace, as
		// in DataContainer/list.json's names) below the collection by name.
		path := field(t, d, "id")
		if !strings.HasPrefix(path, "/") || (!bySubscription && !strings.EqualFold(path[:strings.LastIndex(path, "/")], coll)) {
			path = coll + "/" + field(t, d, "name")
		}
		kind, _ := resourceKind(t, path)
		if err := e.srv.Put(kind, path, d); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Properties struct {
				IsArchived *bool `json:"isArchived"`
				IsEnabled  *bool `json:"isEnabled"`
			} `json:"properties"`
		}
		_ = json.Unmarshal(d, &doc)
		hidden = hidden || (doc.Properties.IsArchived != nil && *doc.Properties.IsArchived) ||
			(doc.Properties.IsEnabled != nil && !*doc.Properties.IsEnabled)
	}
	// Schedule/list.json lists a schedule with isEnabled false and no
	// listViewType, although the spec's default view (EnabledOnly) hides
	// disabled schedules: where an example lists items its default view
	// would hide, the request asks for listViewType=All.
	if hidden && q.Get("listViewType") == "" && slices.Contains(ex.query, "listViewType") {
		q.Set("listViewType", "All")
	}
	target := ex.currentTarget(t, q)
	r := e.get(target)
	ex.wantListed(t, r)
	// The examples' nextLink values ("string", "nextLink") are
	// placeholders: the pages are followed and only value is compared.
	got := e.followNextLinks(target, "$skipToken")
	if !reflect.DeepEqual(canonSet(t, got), canonSet(t, want.Value)) {
		t.Errorf("%s: listed\n%s\nthe example has\n%s", ex.file, got, want.Value)
	}
}

// headerExempt are the headers an example names on a status that the
// simulator does not send, and why: Job/delete.json and
// Schedule/delete.json name "location" (the job's own URL) on 200 and 204
// too. On a delete that is already complete, a Location would send an ARM
// poller (azcore's loc poller polls when the initial response carries one)
// to the deleted resource, whose 404 it reports as a failure; the
// simulator names "location" on the 202 only.
var headerExempt = map[string]bool{
	"Job/delete.json 204 location": true, "Schedule/delete.json 204 location": true,
	"Job/delete.json 200 location": true, "Schedule/delete.json 200 location": true,
}

// wantHeaders fails unless r carries every header the example names on
// its status (names compared case-insensitively), except the exempt ones.
func (ex *example) wantHeaders(t *testing.T, r result) {
	t.Helper()
	rel := filepath.ToSlash(strings.TrimPrefix(ex.file, "examples"+string(filepath.Separator)))
	for h := range ex.doc.Responses[strconv.Itoa(r.status)].Headers {
		if headerExempt[rel+" "+strconv.Itoa(r.status)+" "+h] {
			continue
		}
		if r.header.Get(h) == "" {
			t.Errorf("%s: %d without the %s header the example names", ex.file, r.status, h)
		}
	}
}

func checkCurrentDelete(t *testing.T, e *env, ex *example) {
	path := ex.currentPath(t)
	putParents(t, e.srv, path)
	kind, _ := resourceKind(t, path)
	doc, _ := json.Marshal(map[string]any{"id": path, "name": path[strings.LastIndex(path, "/")+1:], "location": "West US"})
	if err := e.srv.Put(kind, path, doc); err != nil {
		t.Fatal(err)
	}
	target := ex.currentTarget(t, ex.currentQuery())
	r := e.del(target)
	ex.wantListed(t, r)
	ex.wantHeaders(t, r)
	if r.status == http.StatusAccepted {
		poll := r.header.Get("Azure-AsyncOperation")
		if poll == "" {
			poll = r.header.Get("Location")
		}
		done := false
		for range 10 {
			p := e.get(poll)
			if p.status == http.StatusOK && !strings.Contains(string(p.body), "InProgress") {
				done = true
				break
			}
		}
		if !done {
			t.Fatalf("%s: the operation %s did not complete", ex.file, poll)
		}
	}
	get := "/arm" + path + "?" + apiAML
	wantStatus(t, e.get(get), http.StatusNotFound, ex.file+": GET after the delete")
	if _, ok := ex.doc.Responses["204"]; ok {
		r := e.del(target)
		wantStatus(t, r, http.StatusNoContent, ex.file+": second delete")
		ex.wantHeaders(t, r)
	}
}

// currentKindsWithoutExamples are the kinds of the data set that no
// 2024-04-01 example shows (nor, for registry kinds, the example of the
// workspace kind of the same definition).
var currentKindsWithoutExamples = map[string]bool{
	sim.KindAMLCode: true, sim.KindAMLCodeVersion: true, sim.KindAMLConnection: true, sim.KindAMLRegistry: true,
	sim.KindAMLRegCode: true, sim.KindAMLRegCodeVersion: true,
}

// familyKind maps a registry asset kind to the workspace asset kind of the
// same swagger definition (ModelVersion, EnvironmentContainer, ...), whose
// examples it is compared with.
func familyKind(kind string) string {
	if rest, ok := strings.CutPrefix(kind, "aml.registry."); ok {
		return "aml." + rest
	}
	return kind
}

// discriminators are, per kind, the polymorphic parts of a document: the
// object at path P whose shape depends on the field D inside it. A seeded
// document whose D differs from the example's is not held to the example's
// fields below P (computes of another computeType, jobs of another
// jobType, a schedule that creates jobs rather than invoking a batch
// endpoint, a Kubernetes online deployment).
var discriminators = map[string][2]string{
	sim.KindAMLCompute:          {"properties", "properties.computeType"},
	sim.KindAMLJob:              {"properties", "properties.jobType"},
	sim.KindAMLSchedule:         {"properties.action", "properties.action.actionType"},
	sim.KindAMLOnlineDeployment: {"properties", "properties.endpointComputeType"},
}

// placeholderKeys are keys of user-defined maps in the examples
// (dictionaries of tags, properties, environment variables, ...): the
// shape test reads them as "any key" ("*").
var placeholderKeys = map[string]bool{
	"string": true, "tag1": true, "tag2": true, "properties1": true, "properties2": true,
	"test_var": true, "defaultInstanceType": true,
}

var guidKey = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// shapePaths adds the field paths of v (segments: keys, "[]" for array
// elements, "*" for placeholder keys) under prefix to out; tags are
// leaves.
func shapePaths(prefix []string, v any, out map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if placeholderKeys[k] || guidKey.MatchString(k) || strings.Contains(k, "/") {
				k = "*"
			}
			p := append(slices.Clone(prefix), k)
			out[strings.Join(p, ".")] = p
			if k != "tags" {
				shapePaths(p, c, out)
			}
		}
	case []any:
		for _, c := range x {
			shapePaths(append(slices.Clone(prefix), "[]"), c, out)
		}
	}
}

// hasPath reports whether doc holds the path: "*" matches any key and
// "[]" any element (at least one must exist).
func hasPath(doc any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	switch x := doc.(type) {
	case map[string]any:
		if path[0] == "*" {
			for _, c := range x {
				if hasPath(c, path[1:]) {
					return true
				}
			}
			return false
		}
		c, ok := x[path[0]]
		return ok && hasPath(c, path[1:])
	case []any:
		if path[0] != "[]" {
			return false
		}
		for _, c := range x {
			if hasPath(c, path[1:]) {
				return true
			}
		}
	}
	return false
}

// valueAt returns the value at a dotted path of plain keys.
func valueAt(doc any, dotted string) any {
	for _, k := range strings.Split(dotted, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[k]
	}
	return doc
}

// TestCurrentSeededShapes checks that every seeded document of the
// current-API resource group rg-aml of a kind that has a 2024-04-01
// example holds every field path of that kind's example documents (GET
// bodies and list items), polymorphic parts compared within their
// discriminator, and that each such kind was compared at least once.
func TestCurrentSeededShapes(t *testing.T) {
	specs := specsDir(t)
	examples := map[string][]map[string]any{} // kind -> example documents
	names := map[string][]string{}
	for _, ex := range loadCurrentExamples(t, filepath.Join(specs, currentFolder)) {
		body := ex.doc.Responses["200"].Body
		if ex.method != http.MethodGet || body == nil {
			continue
		}
		kind, _ := resourceKind(t, ex.currentPath(t))
		docs := []json.RawMessage{body}
		if ex.pageable {
			var list struct {
				Value []json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			docs = list.Value
		}
		for _, d := range docs {
			var m map[string]any
			if err := json.Unmarshal(d, &m); err != nil {
				t.Fatal(err)
			}
			examples[kind] = append(examples[kind], m)
			names[kind] = append(names[kind], ex.file)
		}
	}
	compared := map[string]bool{}
	for _, r := range sim.New(sim.Options{}).Resources("https://h", "", false) {
		if !strings.HasPrefix(r.Kind, "aml.") || !strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(rgAML+"/")) {
			continue
		}
		kind := familyKind(r.Kind)
		if len(examples[kind]) == 0 {
			if !currentKindsWithoutExamples[r.Kind] {
				t.Errorf("%s: no 2024-04-01 example of %s", r.Path, kind)
			}
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(r.Document, &doc); err != nil {
			t.Fatal(err)
		}
		disc, polymorphic := discriminators[kind]
		for i, exDoc := range examples[kind] {
			want := map[string][]string{}
			shapePaths(nil, exDoc, want)
			same := !polymorphic || valueAt(doc, disc[1]) == valueAt(exDoc, disc[1])
			if same {
				compared[r.Kind+"/"+fmt.Sprint(valueAt(doc, disc[1]))] = true
			}
			for p, segs := range want {
				if !same && strings.HasPrefix(p, disc[0]+".") && p != disc[1] {
					continue
				}
				if !hasPath(doc, segs) {
					t.Errorf("%s: seeded %s lacks %s (example %s)", r.Path, r.Kind, p, names[kind][i])
				}
			}
		}
	}
	for _, k := range []string{
		"aml.workspace", "aml.compute/ComputeInstance", "aml.compute/AmlCompute", "aml.job/Command",
		"aml.onlineendpoint", "aml.onlinedeployment/Managed", "aml.batchendpoint", "aml.batchdeployment",
		"aml.model", "aml.modelversion", "aml.data", "aml.dataversion", "aml.environment", "aml.environmentversion",
		"aml.component", "aml.componentversion", "aml.datastore",
		"aml.registry.model", "aml.registry.modelversion", "aml.registry.environment", "aml.registry.environmentversion",
	} {
		if !compared[k] && !compared[k+"/<nil>"] {
			t.Errorf("no seeded document of %s was compared with an example", k)
		}
	}
}
