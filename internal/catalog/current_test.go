package catalog

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const (
	tS  = "00000000-1111-2222-3333-444444444444"
	tW  = "https://management.azure.com/subscriptions/" + tS + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/workspaces/ws-1"
	tR  = "https://management.azure.com/subscriptions/" + tS + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/registries/reg-1"
	tAV = "api-version=2024-04-01"
)

// currentURLs holds, for every row of today's API, the exact URLs of its
// list, its item and its delete as the 2024-04-01 spec defines them, with
// the queries amldsr sends (listViewType=All on lists that take it,
// forceToPurge and underlyingResourceAction on deletes).
var currentURLs = []struct {
	kind, list, item, del string
}{
	{"aml.workspace", "https://management.azure.com/subscriptions/" + tS + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/workspaces?" + tAV,
		tW + "?" + tAV, tW + "?" + tAV + "&forceToPurge=true"},
	{"aml.compute", tW + "/computes?" + tAV, tW + "/computes/ci-1?" + tAV, tW + "/computes/ci-1?" + tAV + "&underlyingResourceAction=Delete"},
	{"aml.job", tW + "/jobs?" + tAV + "&listViewType=All", tW + "/jobs/job-1?" + tAV, tW + "/jobs/job-1?" + tAV},
	{"aml.schedule", tW + "/schedules?" + tAV + "&listViewType=All", tW + "/schedules/sched-1?" + tAV, tW + "/schedules/sched-1?" + tAV},
	{"aml.onlineendpoint", tW + "/onlineEndpoints?" + tAV, tW + "/onlineEndpoints/ep-1?" + tAV, tW + "/onlineEndpoints/ep-1?" + tAV},
	{"aml.onlinedeployment", tW + "/onlineEndpoints/ep-1/deployments?" + tAV, tW + "/onlineEndpoints/ep-1/deployments/blue?" + tAV, tW + "/onlineEndpoints/ep-1/deployments/blue?" + tAV},
	{"aml.batchendpoint", tW + "/batchEndpoints?" + tAV, tW + "/batchEndpoints/ep-1?" + tAV, tW + "/batchEndpoints/ep-1?" + tAV},
	{"aml.batchdeployment", tW + "/batchEndpoints/ep-1/deployments?" + tAV, tW + "/batchEndpoints/ep-1/deployments/blue?" + tAV, tW + "/batchEndpoints/ep-1/deployments/blue?" + tAV},
	{"aml.model", tW + "/models?" + tAV + "&listViewType=All", tW + "/models/m-1?" + tAV, tW + "/models/m-1?" + tAV},
	{"aml.modelversion", tW + "/models/m-1/versions?" + tAV + "&listViewType=All", tW + "/models/m-1/versions/2?" + tAV, tW + "/models/m-1/versions/2?" + tAV},
	{"aml.data", tW + "/data?" + tAV + "&listViewType=All", tW + "/data/d-1?" + tAV, tW + "/data/d-1?" + tAV},
	{"aml.dataversion", tW + "/data/d-1/versions?" + tAV + "&listViewType=All", tW + "/data/d-1/versions/2?" + tAV, tW + "/data/d-1/versions/2?" + tAV},
	{"aml.environment", tW + "/environments?" + tAV + "&listViewType=All", tW + "/environments/e-1?" + tAV, tW + "/environments/e-1?" + tAV},
	{"aml.environmentversion", tW + "/environments/e-1/versions?" + tAV + "&listViewType=All", tW + "/environments/e-1/versions/2?" + tAV, tW + "/environments/e-1/versions/2?" + tAV},
	{"aml.component", tW + "/components?" + tAV + "&listViewType=All", tW + "/components/c-1?" + tAV, tW + "/components/c-1?" + tAV},
	{"aml.componentversion", tW + "/components/c-1/versions?" + tAV + "&listViewType=All", tW + "/components/c-1/versions/2?" + tAV, tW + "/components/c-1/versions/2?" + tAV},
	{"aml.code", tW + "/codes?" + tAV, tW + "/codes/c-1?" + tAV, tW + "/codes/c-1?" + tAV},
	{"aml.codeversion", tW + "/codes/c-1/versions?" + tAV, tW + "/codes/c-1/versions/2?" + tAV, tW + "/codes/c-1/versions/2?" + tAV},
	{"aml.datastore", tW + "/datastores?" + tAV, tW + "/datastores/store-1?" + tAV, ""},
	{"aml.connection", tW + "/connections?" + tAV, tW + "/connections/conn-1?" + tAV, tW + "/connections/conn-1?" + tAV},
	{"aml.registry", "https://management.azure.com/subscriptions/" + tS + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/registries?" + tAV,
		tR + "?" + tAV, tR + "?" + tAV},
	{"aml.registry.model", tR + "/models?" + tAV + "&listViewType=All", tR + "/models/m-1?" + tAV, tR + "/models/m-1?" + tAV},
	{"aml.registry.modelversion", tR + "/models/m-1/versions?" + tAV + "&listViewType=All", tR + "/models/m-1/versions/2?" + tAV, tR + "/models/m-1/versions/2?" + tAV},
	{"aml.registry.data", tR + "/data?" + tAV + "&listViewType=All", tR + "/data/d-1?" + tAV, tR + "/data/d-1?" + tAV},
	{"aml.registry.dataversion", tR + "/data/d-1/versions?" + tAV + "&listViewType=All", tR + "/data/d-1/versions/2?" + tAV, tR + "/data/d-1/versions/2?" + tAV},
	{"aml.registry.environment", tR + "/environments?" + tAV + "&listViewType=All", tR + "/environments/e-1?" + tAV, tR + "/environments/e-1?" + tAV},
	{"aml.registry.environmentversion", tR + "/environments/e-1/versions?" + tAV + "&listViewType=All", tR + "/environments/e-1/versions/2?" + tAV, tR + "/environments/e-1/versions/2?" + tAV},
	{"aml.registry.component", tR + "/components?" + tAV, tR + "/components/c-1?" + tAV, tR + "/components/c-1?" + tAV},
	{"aml.registry.componentversion", tR + "/components/c-1/versions?" + tAV, tR + "/components/c-1/versions/2?" + tAV, tR + "/components/c-1/versions/2?" + tAV},
	{"aml.registry.code", tR + "/codes?" + tAV, tR + "/codes/c-1?" + tAV, tR + "/codes/c-1?" + tAV},
	{"aml.registry.codeversion", tR + "/codes/c-1/versions?" + tAV, tR + "/codes/c-1/versions/2?" + tAV, tR + "/codes/c-1/versions/2?" + tAV},
}

func TestCurrentRowsProduceTheSpecURLs(t *testing.T) {
	e := DefaultEndpoints()
	seen := map[string]bool{}
	for _, c := range currentURLs {
		k := Lookup(c.kind)
		if k == nil {
			t.Fatalf("no row %s", c.kind)
		}
		seen[c.kind] = true
		itemURL, _ := url.Parse(c.item)
		ref, err := NewRef(k.Name, itemURL.Path)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		listPath, err := k.List.Build(ref.Params)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what, want string, got *url.URL, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s %s: %v", c.kind, what, err)
			}
			if got.String() != want {
				t.Errorf("%s %s:\n got %s\nwant %s", c.kind, what, got, want)
			}
		}
		u, err := e.URL(k, k.List, listPath, "", query(k.ListQuery))
		check("list", c.list, u, err)
		u, err = e.ItemURL(ref, "")
		check("item", c.item, u, err)
		if c.del == "" {
			if k.Delete == Direct {
				t.Errorf("%s is deleted on its own but the table has no delete URL", c.kind)
			}
			continue
		}
		u, err = e.URL(k, k.Path, ref.Path, "", query(k.DeleteQuery))
		check("delete", c.del, u, err)
	}
	for _, k := range Kinds() {
		if k.APIVersion == apiCurrent && !seen[k.Name] {
			t.Errorf("row %s has no URL test", k.Name)
		}
	}
}

func query(m map[string]string) url.Values {
	q := url.Values{}
	for k, v := range m {
		q.Set(k, v)
	}
	return q
}

// The rows agree with the official 2024-04-01 spec: every path exists
// with its operations, every query amldsr sends is a parameter of that
// operation, deletes are long-running exactly where the spec says, and the
// api-version is the spec's.
func TestCurrentRowsAgreeWithTheSpec(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "azure-specs", "machinelearningservices-2024-04-01")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/azure-specs not found: the spec cross-check needs the shared folder")
	}
	ops := map[string]map[string]specOp{}
	for _, f := range []string{"machineLearningServices.json", "mfe.json", "registries.json"} {
		var spec struct {
			Info  struct{ Version string }
			Paths map[string]map[string]json.RawMessage
		}
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &spec); err != nil {
			t.Fatal(err)
		}
		if spec.Info.Version != apiCurrent {
			t.Errorf("%s is api-version %s, the catalog says %s", f, spec.Info.Version, apiCurrent)
		}
		for p, methods := range spec.Paths {
			key := normalizePath(p)
			if ops[key] == nil {
				ops[key] = map[string]specOp{}
			}
			for m, raw := range methods {
				var op specOp
				json.Unmarshal(raw, &op)
				ops[key][strings.ToUpper(m)] = op
			}
		}
	}
	for _, k := range Kinds() {
		if k.APIVersion != apiCurrent {
			continue
		}
		list, item := ops[normalizePath(string(k.List))], ops[normalizePath(string(k.Path))]
		if _, ok := list["GET"]; !ok {
			t.Errorf("%s: the spec has no GET %s", k.Name, k.List)
		}
		if _, ok := item["GET"]; !ok {
			t.Errorf("%s: the spec has no GET %s", k.Name, k.Path)
		}
		for q := range k.ListQuery {
			if !list["GET"].has(q) {
				t.Errorf("%s: the list takes no %s", k.Name, q)
			}
		}
		if list["GET"].has("listViewType") && k.ListQuery["listViewType"] != "All" {
			t.Errorf("%s: the list takes listViewType but the catalog does not ask for All: archived items would be missed", k.Name)
		}
		if k.Delete != Direct {
			continue
		}
		del, ok := item["DELETE"]
		if !ok {
			t.Errorf("%s: the spec has no DELETE %s", k.Name, k.Path)
			continue
		}
		for q := range k.DeleteQuery {
			if !del.has(q) {
				t.Errorf("%s: DELETE takes no %s", k.Name, q)
			}
		}
		if del.LRO != k.AsyncDelete {
			t.Errorf("%s: the spec says long-running %v, the catalog %v", k.Name, del.LRO, k.AsyncDelete)
		}
		for _, p := range del.Parameters {
			if p.In == "query" && p.Required && p.Name != "api-version" && k.DeleteQuery[p.Name] == "" {
				t.Errorf("%s: DELETE requires %s", k.Name, p.Name)
			}
		}
	}
}

type specOp struct {
	LRO        bool `json:"x-ms-long-running-operation"`
	Parameters []struct {
		Name, In string
		Required bool
		Ref      string `json:"$ref"`
	} `json:"parameters"`
}

// has reports whether the operation declares query parameter name (inline,
// or through a $ref whose name says so, as PaginationParameter does).
func (o specOp) has(name string) bool {
	for _, p := range o.Parameters {
		if p.Name == name || strings.HasSuffix(strings.ToLower(p.Ref), strings.ToLower(name)+"parameter") {
			return true
		}
	}
	return false
}

var paramRE = regexp.MustCompile(`\{[^}]+\}`)

func normalizePath(p string) string { return strings.ToLower(paramRE.ReplaceAllString(p, "{}")) }
