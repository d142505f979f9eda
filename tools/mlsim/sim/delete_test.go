package sim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// mmIDs lists the ids of a model-management collection.
func (e *env) mmIDs(coll string) []string {
	e.t.Helper()
	var ids []string
	for _, d := range e.followNextLinks("/mm/eastus"+mmData+"/"+coll+"?"+apiMM, "$skipToken") {
		ids = append(ids, field(e.t, d, "id"))
	}
	return ids
}

// mmItem is the URL of one model-management document.
func mmItem(coll, id string) string {
	return "/mm/eastus" + mmData + "/" + coll + "/" + id + "?" + apiMM
}

func TestModelManagementDeleteOrder(t *testing.T) {
	e := seeded(t, sim.Options{})
	models, manifests, images, services := e.mmIDs("models"), e.mmIDs("manifests"), e.mmIDs("images"), e.mmIDs("services")
	if len(models) != 12 || len(manifests) != 6 || len(images) != 4 || len(services) != 3 {
		t.Fatalf("seeded %d models, %d manifests, %d images, %d services", len(models), len(manifests), len(images), len(services))
	}
	conflict := func(coll, id string) {
		t.Helper()
		r := e.del(mmItem(coll, id))
		wantStatus(t, r, http.StatusConflict, "delete of a referenced "+coll)
		var body struct {
			Code       string `json:"code"`
			StatusCode int    `json:"statusCode"`
		}
		r.json(t, &body)
		if body.Code != "Conflict" || body.StatusCode != http.StatusConflict {
			t.Errorf("409 body %s", r.body)
		}
		wantStatus(t, e.get(mmItem(coll, id)), http.StatusOK, "referenced "+coll+" after a refused delete")
	}
	// A model named by a manifest, a manifest named by an image and an image
	// used by a service cannot go first.
	var svc struct {
		Image struct {
			ID       string `json:"id"`
			Manifest struct {
				ID       string   `json:"id"`
				ModelIDs []string `json:"modelIds"`
			} `json:"manifest"`
		} `json:"image"`
	}
	e.get(mmItem("services", services[0])).json(t, &svc)
	conflict("models", svc.Image.Manifest.ModelIDs[0])
	conflict("manifests", svc.Image.Manifest.ID)
	conflict("images", svc.Image.ID)
	for _, step := range []struct {
		coll string
		ids  []string
	}{{"services", services}, {"images", images}, {"manifests", manifests}, {"models", models}} {
		for _, id := range step.ids {
			wantStatus(t, e.del(mmItem(step.coll, id)), http.StatusOK, "delete "+step.coll+" "+id)
			wantStatus(t, e.del(mmItem(step.coll, id)), http.StatusNoContent, "second delete "+step.coll+" "+id)
			r := e.get(mmItem(step.coll, id))
			wantStatus(t, r, http.StatusNotFound, "GET deleted "+step.coll)
			if !strings.Contains(string(r.body), `"statusCode":404`) {
				t.Errorf("404 body is not the model-management shape: %s", r.body)
			}
		}
	}
}

// pollLocation polls a Location URL until it answers something else than
// 202, returning the number of 202s and the final result.
func (e *env) pollLocation(loc string) (int, result) {
	e.t.Helper()
	for n := 0; n < 100; n++ {
		r := e.get(loc)
		if r.status != http.StatusAccepted {
			return n, r
		}
		if r.header.Get("Retry-After") == "" || r.header.Get("Location") == "" {
			e.t.Errorf("202 poll without Retry-After or Location: %v", r.header)
		}
	}
	e.t.Fatalf("%s still in progress after 100 polls", loc)
	return 0, result{}
}

// wantOperationURL fails unless u is an absolute https URL under /arm of
// the server.
func (e *env) wantOperationURL(what, u string) {
	e.t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || "https://"+p.Host != e.ts.URL || !strings.HasPrefix(p.Path, "/arm/subscriptions/") {
		e.t.Fatalf("%s %q: want an absolute https URL under %s/arm", what, u, e.ts.URL)
	}
}

func TestModelManagementAccountDelete(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 2})
	acct := "/arm" + mmAcct + "?" + apiMM
	r := e.del(acct)
	wantStatus(t, r, http.StatusAccepted, "delete account")
	loc := r.header.Get("Location")
	e.wantOperationURL("Location", loc)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	wantStatus(t, e.get(acct), http.StatusOK, "account while its delete runs")
	again := e.del(acct)
	wantStatus(t, again, http.StatusAccepted, "second delete while running")
	if again.header.Get("Location") != loc {
		t.Errorf("second delete started another operation: %q, want %q", again.header.Get("Location"), loc)
	}
	inProgress, final := e.pollLocation(loc)
	wantStatus(t, final, http.StatusOK, "final poll")
	if inProgress != 2 || canon(t, final.body) != "{}" {
		t.Errorf("%d polls in progress then %s; want 2 then {}", inProgress, final.body)
	}
	r = e.get(acct)
	wantStatus(t, r, http.StatusNotFound, "account after the operation")
	if c := r.armCode(t); c != "ResourceNotFound" {
		t.Errorf("code %q, want ResourceNotFound", c)
	}
	wantStatus(t, e.get("/mm/eastus"+mmData+"/models?"+apiMM), http.StatusNotFound, "models of the deleted account")
	if n := len(e.docsUnder(sim.KindModel, mmData+"/")); n != 0 {
		t.Errorf("%d models of the deleted account remain in /_sim/resources", n)
	}
	wantStatus(t, e.del(acct), http.StatusNoContent, "delete of an absent account")
	wantStatus(t, e.get("/arm"+strings.Replace(mmAcct, "target", "other", -1)+"?"+apiMM), http.StatusOK, "the other account")
}

func TestProjectDeleteCascades(t *testing.T) {
	e := seeded(t, sim.Options{})
	var runs page
	e.get(hist+"/runs").json(t, &runs)
	runID := field(t, runs.Value[0], "runId")
	var info struct{ ContentURI string }
	e.get(art+"/artifacts/contentinfo/ExperimentRun/"+runID+"/outputs/model.pkl").json(t, &info)
	wantStatus(t, e.send(http.MethodGet, info.ContentURI, "", nil, nil), http.StatusOK, "content before the delete")

	proj := "/arm" + expProj + "?" + apiExp
	wantStatus(t, e.del(proj), http.StatusOK, "delete project")
	r := e.get(proj)
	wantStatus(t, r, http.StatusNotFound, "GET deleted project")
	if c := r.armCode(t); c != "ResourceNotFound" {
		t.Errorf("code %q, want ResourceNotFound", c)
	}
	for _, gone := range []string{
		hist + "/runs", hist + "/runs/" + runID, hist + "/experiments", hist + "/runmetrics",
		art + "/assets", notif + "/users/" + sim.SubjectObjectID + "/jobs",
	} {
		wantStatus(t, e.get(gone), http.StatusNotFound, gone+" after the project delete")
	}
	wantStatus(t, e.send(http.MethodGet, info.ContentURI, "", nil, nil), http.StatusNotFound, "content after the delete")
	for _, res := range e.resources("", false) {
		if strings.Contains(strings.ToLower(res.Path), strings.ToLower(expProj+"/")) || strings.EqualFold(res.Path, expProj) {
			t.Errorf("left after the project delete: %s %s", res.Kind, res.Path)
		}
	}
	wantStatus(t, e.del(proj), http.StatusNoContent, "second delete")
	other := strings.Replace(hist, "proj-1", "proj-2", 1) + "/runs"
	wantStatus(t, e.get(other), http.StatusOK, "runs of the other project")
}

func TestAccountDeleteCascades(t *testing.T) {
	e := seeded(t, sim.Options{})
	wantStatus(t, e.del("/arm"+expAcct+"?"+apiExp), http.StatusOK, "delete account")
	r := e.get("/arm" + expAcct + "/workspaces?" + apiExp)
	wantStatus(t, r, http.StatusNotFound, "workspaces of a deleted account")
	if c := r.armCode(t); c != "ParentResourceNotFound" {
		t.Errorf("code %q, want ParentResourceNotFound", c)
	}
	wantStatus(t, e.get("/arm"+expProj2+"?"+apiExp), http.StatusNotFound, "project of a deleted account")
	wantStatus(t, e.get(hist+"/runs"), http.StatusNotFound, "runs of a deleted account")
	for _, res := range e.resources("", false) {
		if strings.Contains(strings.ToLower(res.Path), strings.ToLower(expAcct)) {
			t.Errorf("left after the account delete: %s %s", res.Kind, res.Path)
		}
	}
	wantStatus(t, e.del("/arm"+expWS+"?"+apiExp), http.StatusNoContent, "delete a workspace of the deleted account")
}

func TestComputeDelete(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 3})
	compute := "/arm" + mlsWS + "/computes/batchai-02?" + apiMLS
	wantStatus(t, e.get(compute), http.StatusOK, "compute")
	r := e.del(compute)
	wantStatus(t, r, http.StatusAccepted, "delete compute")
	status, loc := r.header.Get("Azure-AsyncOperation"), r.header.Get("Location")
	e.wantOperationURL("Azure-AsyncOperation", status)
	e.wantOperationURL("Location", loc)
	var states []string
	for range 10 {
		r := e.get(status)
		wantStatus(t, r, http.StatusOK, "operation status")
		var st struct{ Status string }
		r.json(t, &st)
		states = append(states, st.Status)
		if st.Status != "InProgress" {
			break
		}
	}
	if strings.Join(states, ",") != "InProgress,InProgress,InProgress,Succeeded" {
		t.Errorf("operation states %v, want 3 InProgress then Succeeded", states)
	}
	wantStatus(t, e.get(compute), http.StatusNotFound, "deleted compute")
	wantStatus(t, e.get(loc), http.StatusOK, "Location after completion")
	wantStatus(t, e.del(compute), http.StatusNoContent, "delete of an absent compute")
	wantStatus(t, e.get("/arm"+mlsWS+"/computes/aks-01?"+apiMLS), http.StatusOK, "another compute")
	wantStatus(t, e.del("/arm"+mlsWS+"?"+apiMLS), http.StatusMethodNotAllowed, "delete of an ML services workspace")
}

func TestClusterDelete(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: 1})
	cluster := "/arm" + clusters + "/opcluster-01?" + apiMLC
	r := e.del(cluster)
	wantStatus(t, r, http.StatusAccepted, "delete cluster")
	if r.header.Get("Azure-AsyncOperation") != "" {
		t.Errorf("cluster delete has Azure-AsyncOperation; the 2017-06-01-preview spec names only Location")
	}
	loc := r.header.Get("Location")
	e.wantOperationURL("Location", loc)
	n, final := e.pollLocation(loc)
	if n != 1 || final.status != http.StatusOK {
		t.Errorf("%d polls in progress then %d, want 1 then 200", n, final.status)
	}
	wantStatus(t, e.get(cluster), http.StatusNotFound, "deleted cluster")
	wantStatus(t, e.del(cluster), http.StatusNoContent, "delete of an absent cluster")
	var list page
	e.get("/arm"+clusters+"?"+apiMLC).json(t, &list)
	if len(list.Value) != 1 {
		t.Errorf("%d clusters left, want 1", len(list.Value))
	}
}

func TestUnknownOperation(t *testing.T) {
	e := seeded(t, sim.Options{})
	r := e.get("/arm" + sub + "/providers/Microsoft.MachineLearningCompute/locations/eastus/operationResults/nope?" + apiMLC)
	wantStatus(t, r, http.StatusNotFound, "unknown operation")
	if c := r.armCode(t); c != "OperationNotFound" {
		t.Errorf("code %q, want OperationNotFound", c)
	}
}
