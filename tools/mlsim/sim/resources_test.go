package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// amlCounts are the counts of the current-API resource group rg-aml
// (README, "The data set"); -scale does not change them.
var amlCounts = map[string]int{
	sim.KindResourceGroup:            1,
	sim.KindAMLWorkspace:             1,
	sim.KindAMLCompute:               4,  // 3 compute instances + cpu-cluster
	sim.KindAMLJob:                   11, // 3 per person + 1 admin + 1 of alice2 (alice's display name)
	sim.KindAMLSchedule:              3,
	sim.KindAMLOnlineEndpoint:        3,
	sim.KindAMLOnlineDeployment:      3,
	sim.KindAMLBatchEndpoint:         1,
	sim.KindAMLBatchDeployment:       1,
	sim.KindAMLModel:                 4,  // 3 personal + shared-model
	sim.KindAMLModelVersion:          11, // 2 per person + 5 in shared-model
	sim.KindAMLData:                  3,
	sim.KindAMLDataVersion:           6,
	sim.KindAMLEnvironment:           4, // 3 personal + admin-env
	sim.KindAMLEnvironmentVersion:    4,
	sim.KindAMLComponent:             3,
	sim.KindAMLComponentVersion:      3,
	sim.KindAMLCode:                  3,
	sim.KindAMLCodeVersion:           3,
	sim.KindAMLDatastore:             2,
	sim.KindAMLConnection:            2,
	sim.KindAMLRegistry:              1,
	sim.KindAMLRegModel:              1,
	sim.KindAMLRegModelVersion:       2,
	sim.KindAMLRegEnvironment:        1,
	sim.KindAMLRegEnvironmentVersion: 1,
	sim.KindAMLRegCode:               1,
	sim.KindAMLRegCodeVersion:        1,
}

// readmeCounts are the counts of README "The data set" for the whole
// subscription (the two seed resource groups and rg-aml) at a scale.
func readmeCounts(scale int) map[string]int {
	c := seedCounts(scale)
	for k, n := range amlCounts {
		c[k] += n
	}
	return c
}

// seedCounts are the counts of the seed scenario's two resource groups.
func seedCounts(scale int) map[string]int {
	const groups, projects = 2, 2 * 2 * 2 // resource groups; projects in all (2 workspaces × 2 projects per group)
	runs := projects * 10 * scale
	return map[string]int{
		sim.KindResourceGroup: groups,
		sim.KindMMAccount:     groups,
		sim.KindModel:         groups * 12 * scale,
		sim.KindManifest:      groups * 6 * scale,
		sim.KindImage:         groups * 4 * scale,
		sim.KindService:       groups * 3 * scale,
		sim.KindExpAccount:    groups,
		sim.KindWorkspace:     groups * 2,
		sim.KindProject:       projects,
		sim.KindRun:           runs,
		sim.KindExperiment:    projects * 3 * scale,
		sim.KindRunMetric:     runs * 2,
		sim.KindRunArtifact:   runs * 2,
		sim.KindArtifactURI:   runs * 2,
		sim.KindArtifact:      runs * 2,
		sim.KindAsset:         projects * 3 * scale,
		sim.KindNotification:  projects * (4 + 2) * scale,
		sim.KindMLSWorkspace:  groups,
		sim.KindCompute:       groups * 3 * scale,
		sim.KindCluster:       groups * 2 * scale,
	}
}

func TestSeedCounts(t *testing.T) {
	for _, scale := range []int{1, 2} {
		s := sim.New(sim.Options{Scale: scale})
		got := map[string]int{}
		big := map[string]int{} // 1 MiB artifacts per project
		for _, r := range s.Resources("https://127.0.0.1:1", "", true) {
			got[r.Kind]++
			if r.Kind != sim.KindArtifact {
				continue
			}
			if !strings.Contains(r.Path, "/artifacts/contentinfo/ExperimentRun/") || strings.Count(r.Path[strings.Index(r.Path, "/ExperimentRun/"):], "/") < 4 {
				t.Errorf("artifact path %s does not hold a / in the artifact path", r.Path)
			}
			proj := r.Path[:strings.Index(r.Path, "/artifacts/contentinfo/")]
			switch n := len(r.Content); {
			case n == 1<<20:
				big[proj]++
			case n < 1 || n > 64<<10:
				t.Errorf("artifact %s holds %d bytes", r.Path, n)
			}
		}
		if want := readmeCounts(scale); !reflect.DeepEqual(got, want) {
			t.Errorf("scale %d: counts\n got %v\nwant %v", scale, got, want)
		}
		if len(big) != 8 {
			t.Errorf("scale %d: %d projects with a 1 MiB artifact, want 8", scale, len(big))
		}
		for p, n := range big {
			if n != 1 {
				t.Errorf("scale %d: project %s has %d artifacts of 1 MiB, want 1", scale, p, n)
			}
		}
	}
}

func TestSeedDeterministic(t *testing.T) {
	docs := func(seed int64) []sim.Resource {
		return sim.New(sim.Options{Seed: seed}).Resources("https://h", "", true)
	}
	a, b, c := docs(3), docs(3), docs(4)
	if !reflect.DeepEqual(a, b) {
		t.Error("two servers of the same seed hold different data")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds give the same data")
	}
}

// crawled is what the crawl found at a catalog path.
type crawled struct {
	kind    string
	doc     string // canonical JSON
	content []byte
}

// crawler walks the whole data set through the API only.
type crawler struct {
	e     *env
	found map[string]crawled // by lower-cased catalog path
}

// add records a document found at path.
func (c *crawler) add(kind, path string, doc []byte) {
	c.e.t.Helper()
	k := strings.ToLower(path)
	if _, dup := c.found[k]; dup {
		c.e.t.Errorf("found twice: %s", path)
	}
	c.found[k] = crawled{kind: kind, doc: canon(c.e.t, doc)}
}

// getSame GETs target and checks it returns the listed document.
func (c *crawler) getSame(target string, listed json.RawMessage) {
	c.e.t.Helper()
	r := c.e.get(target)
	wantStatus(c.e.t, r, http.StatusOK, "GET "+target)
	if canon(c.e.t, r.body) != canon(c.e.t, listed) {
		c.e.t.Errorf("GET %s differs from its list item", target)
	}
}

// location normalizes an ARM document's location.
func location(t *testing.T, doc json.RawMessage) string {
	return strings.ToLower(strings.ReplaceAll(field(t, doc, "location"), " ", ""))
}

func (c *crawler) run() {
	e := c.e
	for _, rg := range e.followNextLinks("/arm"+sub+"/resourcegroups?"+apiRG, "$skiptoken") {
		rgID := field(e.t, rg, "id")
		c.add(sim.KindResourceGroup, rgID, rg)
		c.modelManagement(rgID)
		c.experimentation(rgID)
		c.machineLearning(rgID)
		for _, cl := range e.followNextLinks("/arm"+rgID+"/providers/Microsoft.MachineLearningCompute/operationalizationClusters?"+apiMLC, "$skiptoken") {
			c.add(sim.KindCluster, field(e.t, cl, "id"), cl)
			c.getSame("/arm"+field(e.t, cl, "id")+"?"+apiMLC, cl)
		}
	}
}

// machineLearning crawls the Microsoft.MachineLearningServices resources
// of a resource group through 2024-04-01 (lists with listViewType=All),
// checking that the seed's 2018-03-01-preview answers the same documents
// for workspaces and computes.
func (c *crawler) machineLearning(rgID string) {
	e := c.e
	prov := "/arm" + rgID + "/providers/Microsoft.MachineLearningServices"
	both := func(kind, list string) []json.RawMessage {
		items := c.list(kind, list)
		legacy := e.followNextLinks(strings.Replace(list, apiAML, apiMLS, 1), "$skiptoken")
		if !reflect.DeepEqual(canonSet(e.t, items), canonSet(e.t, legacy)) {
			e.t.Errorf("%s: 2018-03-01-preview lists other documents than 2024-04-01", list)
		}
		for _, d := range items {
			c.getSame("/arm"+field(e.t, d, "id")+"?"+apiMLS, d)
		}
		return items
	}
	for _, ws := range both(sim.KindAMLWorkspace, prov+"/workspaces?"+apiAML) {
		w := "/arm" + field(e.t, ws, "id")
		both(sim.KindAMLCompute, w+"/computes?"+apiAML)
		c.list(sim.KindAMLJob, w+"/jobs?"+apiAML+"&listViewType=All")
		c.list(sim.KindAMLSchedule, w+"/schedules?"+apiAML+"&listViewType=All")
		c.list(sim.KindAMLDatastore, w+"/datastores?"+apiAML)
		c.list(sim.KindAMLConnection, w+"/connections?"+apiAML)
		for _, ep := range c.list(sim.KindAMLOnlineEndpoint, w+"/onlineEndpoints?"+apiAML) {
			c.list(sim.KindAMLOnlineDeployment, "/arm"+field(e.t, ep, "id")+"/deployments?"+apiAML)
		}
		for _, ep := range c.list(sim.KindAMLBatchEndpoint, w+"/batchEndpoints?"+apiAML) {
			c.list(sim.KindAMLBatchDeployment, "/arm"+field(e.t, ep, "id")+"/deployments?"+apiAML)
		}
		for coll, kinds := range wsAssetKinds {
			for _, ct := range c.list(kinds[0], w+"/"+coll+"?"+apiAML+"&listViewType=All") {
				c.list(kinds[1], "/arm"+field(e.t, ct, "id")+"/versions?"+apiAML+"&listViewType=All")
			}
		}
	}
	for _, reg := range c.list(sim.KindAMLRegistry, prov+"/registries?"+apiAML) {
		r := "/arm" + field(e.t, reg, "id")
		for coll, kinds := range regAssetKinds {
			for _, ct := range c.list(kinds[0], r+"/"+coll+"?"+apiAML+"&listViewType=All") {
				c.list(kinds[1], "/arm"+field(e.t, ct, "id")+"/versions?"+apiAML+"&listViewType=All")
			}
		}
	}
}

// wsAssetKinds and regAssetKinds are the container and version kinds of
// each asset collection of a workspace and of a registry.
var (
	wsAssetKinds = map[string][2]string{
		"models": {sim.KindAMLModel, sim.KindAMLModelVersion}, "data": {sim.KindAMLData, sim.KindAMLDataVersion},
		"environments": {sim.KindAMLEnvironment, sim.KindAMLEnvironmentVersion},
		"components":   {sim.KindAMLComponent, sim.KindAMLComponentVersion}, "codes": {sim.KindAMLCode, sim.KindAMLCodeVersion},
	}
	regAssetKinds = map[string][2]string{
		"models": {sim.KindAMLRegModel, sim.KindAMLRegModelVersion}, "data": {sim.KindAMLRegData, sim.KindAMLRegDataVersion},
		"environments": {sim.KindAMLRegEnvironment, sim.KindAMLRegEnvironmentVersion},
		"components":   {sim.KindAMLRegComponent, sim.KindAMLRegComponentVersion}, "codes": {sim.KindAMLRegCode, sim.KindAMLRegCodeVersion},
	}
)

// list follows a 2024-04-01 list, records each item of kind at its id and
// checks its GET; it returns the items.
func (c *crawler) list(kind, target string) []json.RawMessage {
	e := c.e
	items := e.followNextLinks(target, "$skipToken")
	for _, d := range items {
		id := field(e.t, d, "id")
		c.add(kind, id, d)
		c.getSame("/arm"+id+"?"+apiAML, d)
	}
	return items
}

func (c *crawler) modelManagement(rgID string) {
	e := c.e
	for _, a := range e.followNextLinks("/arm"+rgID+"/providers/Microsoft.MachineLearningModelManagement/accounts?"+apiMM, "$skiptoken") {
		id := field(e.t, a, "id")
		c.add(sim.KindMMAccount, id, a)
		segs := strings.Split(id, "/")
		data := "/api/subscriptions/" + segs[2] + "/resourceGroups/" + segs[4] + "/accounts/" + segs[8]
		for coll, kind := range map[string]string{"models": sim.KindModel, "manifests": sim.KindManifest, "images": sim.KindImage, "services": sim.KindService} {
			for _, d := range e.followNextLinks("/mm/"+location(e.t, a)+data+"/"+coll+"?"+apiMM, "$skipToken") {
				p := data + "/" + coll + "/" + field(e.t, d, "id")
				c.add(kind, p, d)
				c.getSame("/mm/"+location(e.t, a)+p+"?"+apiMM, d)
			}
		}
	}
}

func (c *crawler) experimentation(rgID string) {
	e := c.e
	for _, a := range e.followNextLinks("/arm"+rgID+"/providers/Microsoft.MachineLearningExperimentation/accounts?"+apiExp, "$skiptoken") {
		c.add(sim.KindExpAccount, field(e.t, a, "id"), a)
		for _, w := range e.followNextLinks("/arm"+field(e.t, a, "id")+"/workspaces?"+apiExp, "$skiptoken") {
			c.add(sim.KindWorkspace, field(e.t, w, "id"), w)
			for _, p := range e.followNextLinks("/arm"+field(e.t, w, "id")+"/projects?"+apiExp, "$skiptoken") {
				c.add(sim.KindProject, field(e.t, p, "id"), p)
				c.project("/exp/"+location(e.t, a), field(e.t, p, "id"))
			}
		}
	}
}

func (c *crawler) project(prefix, p string) {
	e := c.e
	hist, art := "/history/v1.0"+p, "/artifact/v1.0"+p
	for _, run := range e.followNextLinks(prefix+hist+"/runs", "$continuationtoken") {
		id := field(e.t, run, "runId")
		c.add(sim.KindRun, hist+"/runs/"+id, run)
		c.getSame(prefix+hist+"/runs/"+id, run)
		arts := e.followNextLinks(prefix+hist+"/runs/"+id+"/artifacts", "$continuationtoken")
		again := e.followTokens(prefix+art+"/artifacts/origins/ExperimentRun/containers/"+id, "continuationToken", false)
		if !reflect.DeepEqual(arts, again) {
			e.t.Errorf("run %s: the artifact service lists other artifacts than history", id)
		}
		for _, a := range arts {
			c.artifact(prefix, p, id, field(e.t, a, "path"), a)
		}
	}
	for _, x := range e.followNextLinks(prefix+hist+"/experiments", "$continuationtoken") {
		c.add(sim.KindExperiment, hist+"/experiments/"+field(e.t, x, "experimentId"), x)
		c.getSame(prefix+hist+"/experiments/"+field(e.t, x, "experimentId"), x)
	}
	for _, m := range e.followNextLinks(prefix+hist+"/runmetrics", "$continuationtoken") {
		c.add(sim.KindRunMetric, hist+"/runmetrics/"+field(e.t, m, "metricId"), m)
	}
	for _, a := range e.followTokens(prefix+art+"/assets", "continuationToken", false) {
		c.add(sim.KindAsset, art+"/assets/name/"+field(e.t, a, "name"), a)
		c.getSame(prefix+art+"/assets/name/"+field(e.t, a, "name"), a)
	}
	for _, user := range []string{sim.SubjectObjectID, sim.OtherObjectID} {
		jobs := "/notification/v1.0" + p + "/users/" + user + "/jobs"
		for _, j := range e.followNextLinks(prefix+jobs, "$continuationtoken") {
			c.add(sim.KindNotification, jobs+"/"+field(e.t, j, "id"), j)
		}
	}
}

// artifact records an artifact's Artifact document, URI and ContentInfo
// with the bytes fetched from its content URL.
func (c *crawler) artifact(prefix, p, runID, path string, doc json.RawMessage) {
	e := c.e
	hist := "/history/v1.0" + p
	c.add(sim.KindRunArtifact, hist+"/runs/"+runID+"/artifacts/"+path, doc)
	r := e.get(prefix + hist + "/runs/" + runID + "/artifacturi?name=" + url.QueryEscape(path))
	wantStatus(e.t, r, http.StatusOK, "artifacturi")
	c.add(sim.KindArtifactURI, hist+"/runs/"+runID+"/artifacturi/"+path, r.body)
	info := "/artifact/v1.0" + p + "/artifacts/contentinfo/ExperimentRun/" + runID + "/" + path
	r = e.get(prefix + info)
	wantStatus(e.t, r, http.StatusOK, "contentinfo")
	c.add(sim.KindArtifact, info, r.body)
	body := e.send(http.MethodGet, field(e.t, r.body, "contentUri"), "", nil, nil)
	wantStatus(e.t, body, http.StatusOK, "content of "+info)
	f := c.found[strings.ToLower(info)]
	f.content = body.body
	c.found[strings.ToLower(info)] = f
}

// TestResourcesListEverything crawls the seeded data set through the API
// alone and checks that /_sim/resources lists exactly what was found, with
// the same documents and content.
func TestResourcesListEverything(t *testing.T) {
	e := seeded(t, sim.Options{})
	c := &crawler{e: e, found: map[string]crawled{}}
	c.run()
	listed := e.resources("", true)
	if len(listed) != len(c.found) {
		t.Errorf("/_sim/resources lists %d resources, the API shows %d", len(listed), len(c.found))
	}
	for _, r := range listed {
		f, ok := c.found[strings.ToLower(r.Path)]
		switch {
		case !ok:
			t.Errorf("listed but not reachable through the API: %s %s", r.Kind, r.Path)
		case f.kind != r.Kind:
			t.Errorf("%s: kind %s, the crawl says %s", r.Path, r.Kind, f.kind)
		case f.doc != canon(t, r.Document):
			t.Errorf("%s: document differs from the API's", r.Path)
		case r.Kind == sim.KindArtifact && !bytes.Equal(f.content, r.Content):
			t.Errorf("%s: content differs from the content URL's", r.Path)
		case r.Kind != sim.KindArtifact && r.Content != nil:
			t.Errorf("%s: content on a %s", r.Path, r.Kind)
		}
	}
	if want := readmeCounts(1); len(listed) != sum(want) {
		t.Errorf("%d resources, README says %d", len(listed), sum(want))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
