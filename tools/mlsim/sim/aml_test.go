package sim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// names returns the "name" of each document, sorted.
func names(t *testing.T, docs []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, d := range docs {
		out = append(out, field(t, d, "name"))
	}
	sort.Strings(out)
	return out
}

// wantNames fails unless the listed documents are exactly the names.
func wantNames(t *testing.T, what string, docs []json.RawMessage, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := names(t, docs); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: listed %v, want %v", what, got, want)
	}
}

func TestListViewType(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 2})
	jobs := "/arm" + amlWS + "/jobs?" + apiAML
	active := []string{"alice-train-1", "alice-train-2", "bob-train-1", "bob-train-2", "carol-train-1", "carol-train-2", "admin-cleanup-1", "alice2-train-1"}
	archived := []string{"alice-train-3", "bob-train-3", "carol-train-3"}
	wantNames(t, "jobs, default view", e.followNextLinks(jobs, "$skipToken"), active...)
	wantNames(t, "jobs, ActiveOnly", e.followNextLinks(jobs+"&listViewType=ActiveOnly", "$skipToken"), active...)
	wantNames(t, "jobs, ArchivedOnly", e.followNextLinks(jobs+"&listViewType=ArchivedOnly", "$skipToken"), archived...)
	wantNames(t, "jobs, All", e.followNextLinks(jobs+"&listViewType=all", "$skipToken"), append(active, archived...)...)
	r := e.get(jobs + "&listViewType=EnabledOnly")
	wantStatus(t, r, http.StatusBadRequest, "jobs with a schedule view")

	// The nextLink keeps the view on every page.
	var p page
	e.get(jobs+"&listViewType=ArchivedOnly").json(t, &p)
	u, err := url.Parse(p.NextLink)
	if err != nil || u.Query().Get("listViewType") != "ArchivedOnly" || u.Query().Get("$skipToken") == "" || u.Query().Get("api-version") != "2024-04-01" {
		t.Errorf("nextLink %q should carry api-version, listViewType and $skipToken", p.NextLink)
	}
	// $skip and $skiptoken are read as well.
	tok := url.QueryEscape(u.Query().Get("$skipToken"))
	for _, name := range []string{"$skip", "$skiptoken", "$skipToken"} {
		var next page
		e.get(jobs+"&listViewType=ArchivedOnly&"+name+"="+tok).json(t, &next)
		if len(next.Value) != 1 || field(t, next.Value[0], "name") != "carol-train-3" {
			t.Errorf("second page by %s: %s", name, names(t, next.Value))
		}
	}

	// Assets: containers and versions.
	data := "/arm" + amlWS + "/data/alice-data/versions?" + apiAML
	wantNames(t, "data versions, default", e.followNextLinks(data, "$skipToken"), "2")
	wantNames(t, "data versions, ArchivedOnly", e.followNextLinks(data+"&listViewType=ArchivedOnly", "$skipToken"), "1")
	wantNames(t, "data versions, All", e.followNextLinks(data+"&listViewType=All", "$skipToken"), "1", "2")
	wantNames(t, "data containers", e.followNextLinks("/arm"+amlWS+"/data?"+apiAML, "$skipToken"), "alice-data", "bob-data", "carol-data")
	wantNames(t, "model containers, ArchivedOnly", e.followNextLinks("/arm"+amlWS+"/models?"+apiAML+"&listViewType=ArchivedOnly", "$skipToken"))

	// Schedules: EnabledOnly by default.
	schedules := "/arm" + amlWS + "/schedules?" + apiAML
	enabled := []string{"alice-nightly", "bob-nightly", "carol-nightly"}
	wantNames(t, "schedules, default", e.followNextLinks(schedules, "$skipToken"), enabled...)
	wantNames(t, "schedules, DisabledOnly", e.followNextLinks(schedules+"&listViewType=DisabledOnly", "$skipToken"))
	off := amlWS + "/schedules/paused"
	doc, _ := json.Marshal(map[string]any{"id": off, "name": "paused", "properties": map[string]any{"isEnabled": false}})
	if err := e.srv.Put(sim.KindAMLSchedule, off, doc); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "schedules, default, with a disabled one", e.followNextLinks(schedules, "$skipToken"), enabled...)
	wantNames(t, "schedules, DisabledOnly", e.followNextLinks(schedules+"&listViewType=DisabledOnly", "$skipToken"), "paused")
	wantNames(t, "schedules, All", e.followNextLinks(schedules+"&listViewType=All", "$skipToken"), append(enabled, "paused")...)
	wantStatus(t, e.get(schedules+"&listViewType=ArchivedOnly"), http.StatusBadRequest, "schedules with an asset view")
}

func TestCurrentAPIVersions(t *testing.T) {
	e := seeded(t, sim.Options{})
	for _, tc := range []struct {
		target string
		want   int
	}{
		{amlProv + "/workspaces?" + apiAML, http.StatusOK},
		{amlProv + "/workspaces?" + apiMLS, http.StatusOK},
		{amlWS + "?" + apiMLS, http.StatusOK},
		{amlWS + "/computes/cpu-cluster?" + apiMLS, http.StatusOK},
		{amlWS + "/jobs?" + apiMLS, http.StatusBadRequest},
		{amlWS + "/models?api-version=2023-10-01", http.StatusBadRequest},
		{amlReg + "?" + apiMLS, http.StatusBadRequest},
		{sub + "/providers/Microsoft.MachineLearningServices/registries?" + apiAML, http.StatusOK},
		{amlReg + "/models/reg-model/versions/1?" + apiAML, http.StatusOK},
		{amlWS + "/models/nope/versions?" + apiAML, http.StatusNotFound},
	} {
		wantStatus(t, e.get("/arm"+tc.target), tc.want, tc.target)
	}
	// The 2018 and 2024 answers are the same stored document.
	a, b := e.get("/arm"+amlWS+"?"+apiAML), e.get("/arm"+mlsWS+"?"+apiAML)
	if canon(t, a.body) != canon(t, e.get("/arm"+amlWS+"?"+apiMLS).body) || canon(t, b.body) != canon(t, e.get("/arm"+mlsWS+"?"+apiMLS).body) {
		t.Error("2018-03-01-preview and 2024-04-01 answer different workspace documents")
	}
}

// pollDone polls an operation URL until it completes and returns the
// number of in-progress answers.
func (e *env) pollDone(u string) int {
	e.t.Helper()
	n, final := e.pollLocation(u)
	wantStatus(e.t, final, http.StatusOK, "final poll of "+u)
	return n
}

// under returns the resources whose path is path or lies below it.
func (e *env) under(path string) []sim.Resource {
	e.t.Helper()
	var out []sim.Resource
	for _, r := range e.resources("", false) {
		if strings.EqualFold(r.Path, path) || strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(path+"/")) {
			out = append(out, r)
		}
	}
	return out
}

func TestWorkspacePurgeCascades(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 2})
	ws := "/arm" + amlWS + "?" + apiAML
	if n := len(e.under(amlWS)); n < 70 {
		t.Fatalf("only %d resources in ws-shared", n)
	}
	wantStatus(t, e.del(ws+"&forceToPurge=maybe"), http.StatusBadRequest, "forceToPurge not a boolean")
	r := e.del(ws + "&forceToPurge=true")
	wantStatus(t, r, http.StatusAccepted, "purge ws-shared")
	loc := r.header.Get("Location")
	e.wantOperationURL("Location", loc)
	if r.header.Get("Retry-After") != "1" || !strings.Contains(loc, "api-version=2024-04-01") {
		t.Errorf("202: Retry-After %q, Location %q", r.header.Get("Retry-After"), loc)
	}
	wantStatus(t, e.get("/arm"+amlWS+"/jobs/alice-train-1?"+apiAML), http.StatusOK, "a job while the purge runs")
	if n := e.pollDone(loc); n != 2 {
		t.Errorf("%d polls in progress, want 2", n)
	}
	wantStatus(t, e.get(ws), http.StatusNotFound, "purged workspace")
	r = e.get("/arm" + amlWS + "/jobs?" + apiAML)
	wantStatus(t, r, http.StatusNotFound, "jobs of the purged workspace")
	if c := r.armCode(t); c != "ParentResourceNotFound" {
		t.Errorf("code %q, want ParentResourceNotFound", c)
	}
	if left := e.under(amlWS); len(left) != 0 {
		t.Errorf("%d resources left under the purged workspace, e.g. %s", len(left), left[0].Path)
	}
	wantStatus(t, e.get("/arm"+amlReg+"?"+apiAML), http.StatusOK, "the registry")
	wantStatus(t, e.del(ws), http.StatusNoContent, "delete of the absent workspace")

	// Without forceToPurge: a soft delete, gone from GET and lists all the
	// same; the log's query tells the two apart.
	other := "/arm" + strings.ReplaceAll(mlsWS, "target", "other") + "?" + apiAML
	r = e.del(other)
	wantStatus(t, r, http.StatusAccepted, "soft delete")
	e.pollDone(r.header.Get("Location"))
	wantStatus(t, e.get(other), http.StatusNotFound, "soft-deleted workspace")
	var purge, soft []string
	for _, c := range e.srv.Log(0) {
		if c.Method != http.MethodDelete || c.Status != http.StatusAccepted {
			continue
		}
		if strings.HasSuffix(c.Path, "/ws-shared") {
			purge = append(purge, c.Query)
		} else {
			soft = append(soft, c.Query)
		}
	}
	if len(purge) != 1 || !strings.Contains(purge[0], "forceToPurge=true") || len(soft) != 1 || strings.Contains(soft[0], "forceToPurge") {
		t.Errorf("logged DELETE queries: purge %q, soft %q", purge, soft)
	}
}

func TestCurrentComputeDelete(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 1})
	ci := "/arm" + amlWS + "/computes/bob-ci?" + apiAML
	for _, q := range []string{"", "&underlyingResourceAction=", "&underlyingResourceAction=Destroy"} {
		wantStatus(t, e.del(ci+q), http.StatusBadRequest, "compute delete with "+q)
	}
	wantStatus(t, e.get(ci), http.StatusOK, "compute after refused deletes")
	r := e.del(ci + "&underlyingResourceAction=Detach")
	wantStatus(t, r, http.StatusAccepted, "compute delete")
	status, loc := r.header.Get("Azure-AsyncOperation"), r.header.Get("Location")
	e.wantOperationURL("Azure-AsyncOperation", status)
	e.wantOperationURL("Location", loc)
	var st struct{ Status string }
	e.get(status).json(t, &st)
	if st.Status != "InProgress" {
		t.Errorf("first status %q", st.Status)
	}
	e.get(status).json(t, &st)
	if st.Status != "Succeeded" {
		t.Errorf("second status %q", st.Status)
	}
	wantStatus(t, e.get(ci), http.StatusNotFound, "deleted compute")
	wantStatus(t, e.del(ci+"&underlyingResourceAction=Delete"), http.StatusNoContent, "absent compute")
	wantStatus(t, e.get("/arm"+amlWS+"/computes/alice-ci?"+apiAML), http.StatusOK, "another compute")
	// The seed's 2018 compute delete needs no underlyingResourceAction.
	wantStatus(t, e.del("/arm"+mlsWS+"/computes/aks-01?"+apiMLS), http.StatusAccepted, "2018 compute delete")
}

func TestContainerWithVersions(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 1})
	model := "/arm" + amlWS + "/models/alice-model"
	r := e.del(model + "?" + apiAML)
	wantStatus(t, r, http.StatusConflict, "container with versions")
	if c := r.armCode(t); c != "Conflict" {
		t.Errorf("code %q", c)
	}
	wantNames(t, "versions after the refused delete", e.followNextLinks(model+"/versions?"+apiAML, "$skipToken"), "1", "2")
	for _, v := range []string{"1", "2"} {
		wantStatus(t, e.del(model+"/versions/"+v+"?"+apiAML), http.StatusOK, "version "+v)
		wantStatus(t, e.del(model+"/versions/"+v+"?"+apiAML), http.StatusNoContent, "version "+v+" again")
	}
	wantStatus(t, e.del(model+"?"+apiAML), http.StatusOK, "empty container")
	wantStatus(t, e.del(model+"?"+apiAML), http.StatusNoContent, "absent container")

	// Registry containers too.
	reg := "/arm" + amlReg + "/models/reg-model?" + apiAML
	wantStatus(t, e.del(reg), http.StatusConflict, "registry container with versions")
	wantStatus(t, e.get(reg), http.StatusOK, "registry container after the refused delete")
}

func TestRegistryAssetDeleteIsLongRunning(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 2})
	versions := "/arm" + amlReg + "/models/reg-model/versions"
	v1 := versions + "/1?" + apiAML
	r := e.del(v1)
	wantStatus(t, r, http.StatusAccepted, "registry model version delete")
	for _, h := range []string{"Location", "Retry-After", "x-ms-async-operation-timeout"} {
		if r.header.Get(h) == "" {
			t.Errorf("202 without %s", h)
		}
	}
	wantStatus(t, e.get(v1), http.StatusOK, "version while its delete runs")
	if again := e.del(v1); again.header.Get("Location") != r.header.Get("Location") {
		t.Error("a second delete started another operation")
	}
	if n := e.pollDone(r.header.Get("Location")); n != 2 {
		t.Errorf("%d polls in progress, want 2", n)
	}
	wantStatus(t, e.get(v1), http.StatusNotFound, "deleted version")
	wantStatus(t, e.del(v1), http.StatusNoContent, "absent version")
	wantNames(t, "versions left", e.followNextLinks(versions+"?"+apiAML, "$skipToken"), "2")

	// The registry goes with everything in it.
	r = e.del("/arm" + amlReg + "?" + apiAML)
	wantStatus(t, r, http.StatusAccepted, "registry delete")
	e.pollDone(r.header.Get("Location"))
	if left := e.under(amlReg); len(left) != 0 {
		t.Errorf("%d resources left in the deleted registry", len(left))
	}
}

func TestEndpointDeleteCascades(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 1})
	ep := "/arm" + amlWS + "/batchEndpoints/alice-batch"
	r := e.del(ep + "?" + apiAML)
	wantStatus(t, r, http.StatusAccepted, "batch endpoint delete")
	if r.header.Get("Location") == "" || r.header.Get("Retry-After") == "" {
		t.Errorf("202 headers %v", r.header)
	}
	e.pollDone(r.header.Get("Location"))
	wantStatus(t, e.get(ep+"/deployments/alice-batch-dep?"+apiAML), http.StatusNotFound, "deployment of the deleted endpoint")
	if left := e.under(amlWS + "/batchEndpoints/alice-batch"); len(left) != 0 {
		t.Errorf("left after the endpoint delete: %v", left)
	}
	// A deployment alone.
	dep := "/arm" + amlWS + "/onlineEndpoints/bob-endpoint/deployments/blue?" + apiAML
	r = e.del(dep)
	wantStatus(t, r, http.StatusAccepted, "online deployment delete")
	e.pollDone(r.header.Get("Location"))
	wantStatus(t, e.get(dep), http.StatusNotFound, "deleted deployment")
	wantStatus(t, e.get("/arm"+amlWS+"/onlineEndpoints/bob-endpoint?"+apiAML), http.StatusOK, "its endpoint")
}

func TestJobAndScheduleDelete(t *testing.T) {
	s := sim.New(sim.Options{LROPolls: 1})
	e := newEnv(t, s)
	// The 202 names its poll URL in a lower-case "location" header, as
	// Job/delete.json; read the raw header map, which an HTTP client
	// canonicalizes.
	for _, path := range []string{amlWS + "/jobs/carol-train-3", amlWS + "/schedules/carol-nightly"} {
		req := httptest.NewRequest(http.MethodDelete, "https://sim/arm"+path+"?"+apiAML, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted || len(rec.Header()["location"]) != 1 || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: %d, headers %v", path, rec.Code, rec.Header())
		}
		e.pollDone(strings.Replace(rec.Header()["location"][0], "https://sim", e.ts.URL, 1))
		wantStatus(t, e.get("/arm"+path+"?"+apiAML), http.StatusNotFound, "deleted "+path)
		wantStatus(t, e.del("/arm"+path+"?"+apiAML), http.StatusNoContent, "absent "+path)
	}
}

func TestSystemDataOnEveryCurrentItem(t *testing.T) {
	e := seeded(t, sim.Options{})
	n := 0
	for _, r := range e.resources("", false) {
		if !strings.HasPrefix(r.Kind, "aml.") {
			continue
		}
		n++
		var d struct {
			ID, Name, Type string
			Properties     map[string]any
			SystemData     map[string]string
		}
		if err := json.Unmarshal(r.Document, &d); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(d.ID, r.Path) || d.Name == "" || d.Type == "" || d.Properties == nil {
			t.Errorf("%s: envelope id %q name %q type %q", r.Path, d.ID, d.Name, d.Type)
		}
		for _, f := range []string{"createdAt", "createdBy", "createdByType", "lastModifiedAt", "lastModifiedBy", "lastModifiedByType"} {
			if d.SystemData[f] == "" {
				t.Errorf("%s: systemData.%s missing", r.Path, f)
			}
		}
		if r.Owner == "" {
			t.Errorf("%s: no owner", r.Path)
		}
	}
	if want := sum(amlCounts) - 1 + 2 + 6; n != want { // rg-aml without its resource group, plus the seed's workspaces and computes
		t.Errorf("%d aml resources, want %d", n, want)
	}
}

// personCounts are the rg-aml resources each person created (systemData),
// by kind.
var personCounts = map[string]map[string]int{
	"alice": {
		sim.KindAMLJob: 3, sim.KindAMLSchedule: 1, sim.KindAMLModel: 1, sim.KindAMLModelVersion: 3,
		sim.KindAMLData: 1, sim.KindAMLDataVersion: 2, sim.KindAMLEnvironment: 1, sim.KindAMLEnvironmentVersion: 1,
		sim.KindAMLComponent: 1, sim.KindAMLComponentVersion: 1, sim.KindAMLCode: 1, sim.KindAMLCodeVersion: 1,
		sim.KindAMLOnlineEndpoint: 1, sim.KindAMLOnlineDeployment: 1, sim.KindAMLBatchEndpoint: 1, sim.KindAMLBatchDeployment: 1,
		sim.KindAMLRegModelVersion: 1,
	},
	"bob": {
		sim.KindAMLJob: 3, sim.KindAMLSchedule: 1, sim.KindAMLModel: 1, sim.KindAMLModelVersion: 3,
		sim.KindAMLData: 1, sim.KindAMLDataVersion: 2, sim.KindAMLEnvironment: 1, sim.KindAMLEnvironmentVersion: 1,
		sim.KindAMLComponent: 1, sim.KindAMLComponentVersion: 1, sim.KindAMLCode: 1, sim.KindAMLCodeVersion: 1,
		sim.KindAMLOnlineEndpoint: 1, sim.KindAMLOnlineDeployment: 1, sim.KindAMLDatastore: 1,
		sim.KindAMLRegModelVersion: 1,
	},
	"carol": {
		sim.KindAMLJob: 3, sim.KindAMLSchedule: 1, sim.KindAMLModel: 1, sim.KindAMLModelVersion: 3,
		sim.KindAMLData: 1, sim.KindAMLDataVersion: 2, sim.KindAMLEnvironment: 1, sim.KindAMLEnvironmentVersion: 1,
		sim.KindAMLComponent: 1, sim.KindAMLComponentVersion: 1, sim.KindAMLCode: 1, sim.KindAMLCodeVersion: 1,
		sim.KindAMLOnlineEndpoint: 1, sim.KindAMLOnlineDeployment: 1, sim.KindAMLConnection: 1,
		sim.KindAMLRegEnvironmentVersion: 1,
	},
	"admin": {
		sim.KindAMLWorkspace: 1, sim.KindAMLCompute: 4, sim.KindAMLJob: 1, sim.KindAMLModel: 1, sim.KindAMLModelVersion: 1,
		sim.KindAMLEnvironment: 1, sim.KindAMLEnvironmentVersion: 1, sim.KindAMLDatastore: 1, sim.KindAMLConnection: 1,
		sim.KindAMLRegistry: 1, sim.KindAMLRegModel: 1, sim.KindAMLRegEnvironment: 1, sim.KindAMLRegCode: 1, sim.KindAMLRegCodeVersion: 1,
	},
	"pipeline-sp": {sim.KindAMLModelVersion: 1},
	"alice2":      {sim.KindAMLJob: 1},
}

func TestDataSetPerPerson(t *testing.T) {
	e := seeded(t, sim.Options{})
	got := map[string]map[string]int{}
	spelling := map[string]map[string]bool{} // person -> createdBy values
	docs := map[string]json.RawMessage{}     // by path
	for _, r := range e.resources("", false) {
		if !strings.HasPrefix(r.Kind, "aml.") {
			continue
		}
		if !strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(rgAML+"/")) {
			if r.Owner != "admin" {
				t.Errorf("seed resource %s: owner %q, want admin", r.Path, r.Owner)
			}
			continue
		}
		docs[strings.TrimPrefix(r.Path, amlWS)] = r.Document
		if got[r.Owner] == nil {
			got[r.Owner], spelling[r.Owner] = map[string]int{}, map[string]bool{}
		}
		got[r.Owner][r.Kind]++
		var d struct {
			SystemData struct{ CreatedBy, CreatedByType string }
		}
		_ = json.Unmarshal(r.Document, &d)
		spelling[r.Owner][d.SystemData.CreatedBy+"/"+d.SystemData.CreatedByType] = true
	}
	for who, want := range personCounts {
		for k, n := range want {
			if got[who][k] != n {
				t.Errorf("%s: %d %s, want %d", who, got[who][k], k, n)
			}
		}
		for k, n := range got[who] {
			if want[k] == 0 {
				t.Errorf("%s: %d unexpected %s", who, n, k)
			}
		}
	}
	if len(got) != len(personCounts) {
		t.Errorf("owners %v", got)
	}
	for who, want := range map[string][]string{
		"alice":       {sim.AliceName + "/User"},
		"bob":         {sim.BobName + "/User"},
		"carol":       {sim.CarolName + "/User"},
		"admin":       {sim.AdminName + "/User"},
		"pipeline-sp": {sim.PipelineSPObjectID + "/Application"},
		"alice2":      {sim.AliceName + "/User"},
	} {
		if len(spelling[who]) != len(want) {
			t.Errorf("%s named as %v, want %v", who, spelling[who], want)
		}
		for _, w := range want {
			if !spelling[who][w] {
				t.Errorf("%s never named as %s", who, w)
			}
		}
	}

	// Owned through another field than systemData.
	var jobout struct{ Properties struct{ JobName string } }
	_ = json.Unmarshal(docs["/models/shared-model/versions/jobout-alice"], &jobout)
	if jobout.Properties.JobName != "alice-train-1" {
		t.Errorf("jobout-alice jobName %q", jobout.Properties.JobName)
	}
	for _, p := range []sim.Person{sim.People[0], sim.People[1], sim.People[2]} {
		var ci struct {
			Properties struct {
				Properties struct {
					PersonalComputeInstanceSettings struct{ AssignedUser struct{ ObjectID string } }
					CreatedBy                       struct{ UserID string }
				}
			}
		}
		_ = json.Unmarshal(docs["/computes/"+p.Key+"-ci"], &ci)
		inner := ci.Properties.Properties
		if inner.PersonalComputeInstanceSettings.AssignedUser.ObjectID != p.ObjectID || inner.CreatedBy.UserID != sim.AdminObjectID {
			t.Errorf("%s-ci: assigned to %q, created by %q", p.Key, inner.PersonalComputeInstanceSettings.AssignedUser.ObjectID, inner.CreatedBy.UserID)
		}
	}
	// The deliberate secrets.
	if !strings.Contains(string(docs["/datastores/bob-store"]), `"key":"sim-secret-key-DO-NOT-EXPORT"`) ||
		strings.Contains(string(docs["/datastores/workspaceblobstore"]), `"key"`) {
		t.Error("only bob-store should carry the account key")
	}
	if !strings.Contains(string(docs["/connections/carol-conn"]), `"pat":"sim-secret-pat-DO-NOT-EXPORT"`) ||
		strings.Contains(string(docs["/connections/admin-conn"]), `"pat"`) {
		t.Error("only carol-conn should carry the PAT")
	}
}
