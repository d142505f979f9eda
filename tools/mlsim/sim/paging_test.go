package sim_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// TestPagingARM follows nextLink ($skiptoken) on ARM lists with two items
// per page and checks that every seeded item comes exactly once.
func TestPagingARM(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 2})
	for _, tc := range []struct {
		name, list, kind, prefix string
	}{
		{"resource groups", sub + "/resourcegroups?" + apiRG, sim.KindResourceGroup, sub},
		{"experimentation accounts by subscription", sub + "/providers/Microsoft.MachineLearningExperimentation/accounts?" + apiExp, sim.KindExpAccount, sub},
		{"model management accounts by subscription", sub + "/providers/Microsoft.MachineLearningModelManagement/accounts?" + apiMM, sim.KindMMAccount, sub},
		{"ML services workspaces by subscription", sub + "/providers/Microsoft.MachineLearningServices/workspaces?" + apiMLS, sim.KindMLSWorkspace, sub},
		{"clusters by subscription", sub + "/providers/Microsoft.MachineLearningCompute/operationalizationClusters?" + apiMLC, sim.KindCluster, sub},
		{"clusters by resource group", clusters + "?" + apiMLC, sim.KindCluster, clusters},
		{"workspaces", expAcct + "/workspaces?" + apiExp, sim.KindWorkspace, expAcct},
		{"projects", expWS + "/projects?" + apiExp, sim.KindProject, expWS},
		{"computes", mlsWS + "/computes?" + apiMLS, sim.KindCompute, mlsWS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.followNextLinks("/arm"+tc.list, "$skiptoken")
			sameOnce(t, tc.name, got, e.docsUnder(tc.kind, tc.prefix))
		})
	}
	// The current API: nextLink carries $skipToken (and the list's filters).
	for _, tc := range []struct {
		name, list, kind, prefix string
	}{
		{"workspaces by subscription, 2024", sub + "/providers/Microsoft.MachineLearningServices/workspaces?" + apiAML, sim.KindAMLWorkspace, sub},
		{"workspaces by resource group, 2024", amlProv + "/workspaces?" + apiAML, sim.KindAMLWorkspace, amlProv},
		{"registries by subscription", sub + "/providers/Microsoft.MachineLearningServices/registries?" + apiAML, sim.KindAMLRegistry, sub},
		{"computes, 2024", amlWS + "/computes?" + apiAML, sim.KindAMLCompute, amlWS},
		{"jobs, All", amlWS + "/jobs?" + apiAML + "&listViewType=All", sim.KindAMLJob, amlWS},
		{"model versions, All", amlWS + "/models/shared-model/versions?" + apiAML + "&listViewType=All", sim.KindAMLModelVersion, amlWS + "/models/shared-model/"},
		{"online endpoints", amlWS + "/onlineEndpoints?" + apiAML, sim.KindAMLOnlineEndpoint, amlWS},
		{"environment containers, All", amlWS + "/environments?" + apiAML + "&listViewType=All", sim.KindAMLEnvironment, amlWS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.followNextLinks("/arm"+tc.list, "$skipToken")
			sameOnce(t, tc.name, got, e.docsUnder(tc.kind, tc.prefix))
		})
	}
}

// TestPagingModelManagement follows nextLink ($skipToken and count).
func TestPagingModelManagement(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 5})
	for _, tc := range []struct{ coll, kind string }{
		{"models", sim.KindModel}, {"manifests", sim.KindManifest}, {"images", sim.KindImage}, {"services", sim.KindService},
	} {
		t.Run(tc.coll, func(t *testing.T) {
			list := "/mm/eastus" + mmData + "/" + tc.coll + "?" + apiMM + "&count=3"
			got := e.followNextLinks(list, "$skipToken")
			sameOnce(t, tc.coll, got, e.docsUnder(tc.kind, mmData+"/"))
		})
	}
	// count sets the page size, at most the configured one.
	for _, tc := range []struct{ count, want int }{{2, 2}, {50, 5}} {
		r := e.get("/mm/eastus" + mmData + "/models?" + apiMM + "&count=" + strconv.Itoa(tc.count))
		var p page
		r.json(t, &p)
		if len(p.Value) != tc.want {
			t.Errorf("count=%d: page of %d, want %d", tc.count, len(p.Value), tc.want)
		}
		u, err := url.Parse(p.NextLink)
		if err != nil || u.Query().Get("count") != strconv.Itoa(tc.want) || u.Query().Get("api-version") == "" {
			t.Errorf("count=%d: nextLink %q should carry count=%d and api-version", tc.count, p.NextLink, tc.want)
		}
	}
	wantStatus(t, e.get("/mm/eastus"+mmData+"/models?"+apiMM+"&count=zero"), http.StatusBadRequest, "bad count")
}

// TestPagingExperimentation covers the three conventions of the
// experimentation planes.
func TestPagingExperimentation(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 2})
	runs := e.followNextLinks(hist+"/runs", "$continuationtoken")
	sameOnce(t, "runs by nextLink", runs, e.docsUnder(sim.KindRun, "/history/v1.0"+expProj+"/"))
	sameOnce(t, "runs by token", e.followTokens(hist+"/runs", "$continuationtoken", true), e.docsUnder(sim.KindRun, "/history/v1.0"+expProj+"/"))
	sameOnce(t, "experiments", e.followNextLinks(hist+"/experiments", "$continuationtoken"), e.docsUnder(sim.KindExperiment, "/history/v1.0"+expProj+"/"))
	sameOnce(t, "run metrics", e.followNextLinks(hist+"/runmetrics", "$continuationtoken"), e.docsUnder(sim.KindRunMetric, "/history/v1.0"+expProj+"/"))

	runID := field(t, runs[0], "runId")
	runPrefix := "/history/v1.0" + expProj + "/runs/" + runID + "/"
	sameOnce(t, "run artifacts", e.followNextLinks(hist+"/runs/"+runID+"/artifacts", "$continuationtoken"), e.docsUnder(sim.KindRunArtifact, runPrefix))

	// The artifact service: continuationToken only, no nextLink.
	sameOnce(t, "assets", e.followTokens(art+"/assets", "continuationToken", false), e.docsUnder(sim.KindAsset, "/artifact/v1.0"+expProj+"/"))
	e2 := seeded(t, sim.Options{PageSize: 1})
	sameOnce(t, "artifacts of a run", e2.followTokens(art+"/artifacts/origins/ExperimentRun/containers/"+runID, "continuationToken", false), e2.docsUnder(sim.KindRunArtifact, runPrefix))

	// Notifications: like history, per user.
	for _, user := range []string{sim.SubjectObjectID, sim.OtherObjectID} {
		got := e.followNextLinks(notif+"/users/"+user+"/jobs", "$continuationtoken")
		sameOnce(t, "jobs of "+user, got, e.docsUnder(sim.KindNotification, "/notification/v1.0"+expProj+"/users/"+user+"/"))
	}
	var p page
	e.get(notif+"/users/00000000-0000-0000-0000-000000000000/jobs").json(t, &p)
	if len(p.Value) != 0 || p.Value == nil || p.ContinuationToken != "" {
		t.Errorf("unknown user: %+v, want an empty value array", p)
	}
}

// TestPagingTokenMistakes checks that a list refuses a token sent under
// another plane's parameter name or a token it cannot read.
func TestPagingTokenMistakes(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 2})
	var p page
	e.get(hist+"/runs").json(t, &p)
	if p.ContinuationToken == "" {
		t.Fatal("first page of runs has no continuationToken")
	}
	tok := url.QueryEscape(p.ContinuationToken)
	wantStatus(t, e.get(hist+"/runs?continuationToken="+tok), http.StatusBadRequest, "history with the artifact parameter")
	wantStatus(t, e.get(art+"/assets?$continuationtoken="+tok), http.StatusBadRequest, "artifact with the history parameter")
	wantStatus(t, e.get(hist+"/runs?$continuationtoken=%21%21"), http.StatusBadRequest, "unreadable token")
	wantStatus(t, e.get("/arm"+sub+"/resourcegroups?"+apiRG+"&$skiptoken=%21%21"), http.StatusBadRequest, "unreadable skiptoken")
}

// TestLocationMismatch checks that a data-plane call to another region's
// prefix gets 404, and that locations compare normalized.
func TestLocationMismatch(t *testing.T) {
	e := seeded(t, sim.Options{})
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/mm/eastus" + mmData + "/models?" + apiMM, http.StatusOK},
		{"/mm/westus" + mmData + "/models?" + apiMM, http.StatusNotFound},
		{"/mm/eastus2" + mmData + "/models?" + apiMM, http.StatusNotFound},
		{hist + "/runs", http.StatusOK},
		{strings.Replace(hist, "eastus2", "EastUS2", 1) + "/runs", http.StatusOK},
		{strings.Replace(hist, "eastus2", "eastus", 1) + "/runs", http.StatusNotFound},
		{strings.Replace(art, "eastus2", "westeurope", 1) + "/assets", http.StatusNotFound},
		{strings.Replace(notif, "eastus2", "eastus", 1) + "/users/" + sim.SubjectObjectID + "/jobs", http.StatusNotFound},
	} {
		wantStatus(t, e.get(tc.target), tc.want, tc.target)
	}
}
