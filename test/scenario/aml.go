package scenario

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
)

// Today's Azure ML in the simulator: one workspace holding the resources of
// alice, bob and carol (and the admin's), and a shared registry.
const (
	AMLGroup    = "rg-aml"
	AliceOID    = SubjectOID
	AliceUPN    = "alice@contoso.com"
	AliceName   = "Alice Example"
	aliceSubjct = `{"objectId":"` + AliceOID + `","userPrincipalName":"` + AliceUPN + `","displayName":"` + AliceName + `"}`
)

var (
	amlBase     = "/subscriptions/" + Subscription + "/resourceGroups/" + AMLGroup + "/providers/Microsoft.MachineLearningServices"
	WorkspaceID = amlBase + "/workspaces/ws-shared"
	RegistryID  = amlBase + "/registries/reg-shared"
)

// AMLFingerprint is what the scenario measured.
type AMLFingerprint struct {
	Durations map[string]time.Duration
	Counts    map[string]procs.Status
}

// RunAML exports alice's resources (match "subject"), deletes what is hers
// by identity (object id, from the run history and compute instances),
// then, with allowDisplayName, what only her display name attributes to
// her, and then purges the whole workspace (match "all"). The simulator
// names people in systemData by display name, as Azure ML does.
func RunAML(t *testing.T, e Env) AMLFingerprint {
	fp := AMLFingerprint{Durations: map[string]time.Duration{}, Counts: map[string]procs.Status{}}
	before := underAML(e.Sim.Resources(t))
	mine := aliceItems(before)
	if len(mine) < 20 {
		t.Fatalf("the simulator holds only %d of alice's resources", len(mine))
	}
	// A job of another person named like alice in systemData: only its run
	// history's object id says it is not hers; the checks below keep it out
	// of her export and her deletes.
	homonyms := 0
	for _, r := range before {
		var d struct{ SystemData struct{ CreatedBy string } }
		json.Unmarshal(r.Document, &d)
		if r.Kind == "aml.job" && d.SystemData.CreatedBy == AliceName && r.Owner != "alice" {
			homonyms++
		}
	}
	if homonyms == 0 {
		t.Fatal("the simulator holds no job of another person with alice's display name")
	}
	run := func(name, body string) procs.Status {
		start := time.Now()
		st := e.API.Poll(t, e.API.Submit(t, body), e.Timeout)
		fp.Durations[name], fp.Counts[name] = time.Since(start), st
		if st.State != "succeeded" || st.Counts.Failed != 0 {
			t.Fatalf("%s: %v", name, st)
		}
		return st
	}
	run("subject-export", fmt.Sprintf(`{"requestId":"alice-export","operation":"export","targets":[%q,%q],"subject":%s,"match":"subject"}`,
		WorkspaceID, RegistryID, aliceSubjct))
	checkSubjectExport(t, e, "alice-export", before, mine)

	byIdentity := map[string]owned{}
	for p, o := range mine {
		if o.why != "creator" {
			byIdentity[p] = o
		}
	}
	if len(byIdentity) < 5 || len(byIdentity) == len(mine) {
		t.Fatalf("alice has %d items by identity of %d: the data set changed", len(byIdentity), len(mine))
	}
	run("subject-delete-identity", fmt.Sprintf(`{"requestId":"alice-delete-identity","operation":"delete","targets":[%q,%q],"subject":%s,"match":"subject"}`,
		WorkspaceID, RegistryID, aliceSubjct))
	checkSubjectDelete(t, e, "alice-delete-identity", before, byIdentity, mine)

	middle := underAML(e.Sim.Resources(t))
	run("subject-delete", fmt.Sprintf(`{"requestId":"alice-delete","operation":"delete","targets":[%q,%q],"subject":%s,"match":"subject","allowDisplayName":true}`,
		WorkspaceID, RegistryID, aliceSubjct))
	rest := map[string]owned{}
	for p, o := range mine {
		if _, ok := middle[p]; ok {
			rest[p] = o
		}
	}
	checkSubjectDelete(t, e, "alice-delete", middle, rest, nil)

	purgeStart := len(e.Sim.Log(t))
	run("purge", fmt.Sprintf(`{"requestId":"purge","operation":"delete","targets":[%q]}`, WorkspaceID))
	checkPurge(t, e, "purge", e.Sim.Log(t)[purgeStart:])
	return fp
}

// underAML: the resources of the AML resource group, by path.
func underAML(rs []procs.Resource) map[string]procs.Resource {
	out := map[string]procs.Resource{}
	for _, r := range rs {
		if strings.HasPrefix(strings.ToLower(r.Path), strings.ToLower(amlBase)+"/") {
			out[r.Path] = r
		}
	}
	return out
}

type owned struct {
	procs.Resource
	why string
}

// aliceItems applies the rules independently of the product: a job of
// hers (the run history names her object id), a compute instance assigned
// to her, a model version of one of her jobs, or (why "creator") an item
// whose systemData names her by display name only.
func aliceItems(rs map[string]procs.Resource) map[string]owned {
	jobs := map[string]bool{}
	for _, r := range rs {
		if r.Kind == "aml.job" && r.Owner == "alice" {
			jobs[r.Path[strings.LastIndex(r.Path, "/")+1:]] = true
		}
	}
	out := map[string]owned{}
	for p, r := range rs {
		var d struct {
			Properties struct {
				JobName    string `json:"jobName"`
				Properties struct {
					PersonalComputeInstanceSettings struct {
						AssignedUser struct{ ObjectID string }
					}
				}
			}
		}
		json.Unmarshal(r.Document, &d)
		switch {
		case r.Kind == "aml.job" && r.Owner == "alice":
			out[p] = owned{r, "job"}
		case r.Owner == "alice" && !strings.HasSuffix(r.Kind, "modelversion"):
			out[p] = owned{r, "creator"}
		case r.Kind == "aml.compute" && strings.EqualFold(d.Properties.Properties.PersonalComputeInstanceSettings.AssignedUser.ObjectID, AliceOID):
			out[p] = owned{r, "assigned"}
		case strings.HasSuffix(r.Kind, "modelversion") && jobs[d.Properties.JobName]:
			out[p] = owned{r, "output of her job"}
		case r.Owner == "alice":
			out[p] = owned{r, "creator"}
		}
	}
	return out
}

// context kinds: exported for the subject as context.
func isContext(r procs.Resource) bool {
	return r.Kind == "aml.workspace" || r.Kind == "aml.registry" || r.Kind == "aml.datastore"
}

func checkSubjectExport(t *testing.T, e Env, id string, before map[string]procs.Resource, mine map[string]owned) {
	got := e.Bundle(t, "requests/"+id+"/export/")
	want := map[string]bool{}
	for p := range mine {
		want[strings.TrimPrefix(p, "/")+".json"] = true
	}
	for p, r := range before {
		if isContext(r) {
			want[strings.TrimPrefix(p, "/")+".json"] = true
		}
	}
	var missing, extra []string
	for name := range want {
		if _, ok := got[name]; !ok {
			missing = append(missing, name)
		}
	}
	archived := 0
	for name, b := range got {
		if !want[name] {
			extra = append(extra, name)
		}
		if strings.Contains(string(b), "DO-NOT-EXPORT") {
			t.Errorf("%s: a secret was exported", name)
		}
		if strings.Contains(name, "/jobs/") && strings.Contains(string(b), `"isArchived":true`) {
			archived++
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("alice's export: %d expected, %d written; missing %v; not hers %v", len(want), len(got), missing, extra)
	}
	if archived == 0 {
		t.Error("no archived job in alice's export")
	}
	for _, r := range e.API.Results(t, id) {
		if r.Operation == "export" && r.Outcome == "succeeded" && r.Kind != "" && !strings.HasPrefix(r.Kind, "exp.") {
			if rec := r; rec.MatchedBy == "" {
				t.Errorf("%s: no matchedBy", rec.Resource)
			}
		}
	}
	t.Logf("alice's export: %d documents, hers and their shared context only", len(got))
}

// checkSubjectDelete: of what was there before, exactly gone is deleted,
// each with a succeeded record saying why it matched; what held (alice's by
// display name only, the delete without allowDisplayName) stays, recorded
// as skipped DisplayNameOnly; nothing of anyone else's is touched.
func checkSubjectDelete(t *testing.T, e Env, id string, before map[string]procs.Resource, gone, held map[string]owned) {
	after := underAML(e.Sim.Resources(t))
	for p, o := range gone {
		if _, still := after[p]; still {
			t.Errorf("alice's %s %s (%s) survived her delete", o.Kind, p, o.why)
		}
	}
	for p, r := range before {
		if _, ok := gone[p]; ok {
			continue
		}
		if _, still := after[p]; !still {
			t.Errorf("%s's %s %s was deleted by alice's request %s", r.Owner, r.Kind, p, id)
		}
	}
	recs := map[string]procs.Record{}
	for _, r := range e.API.Results(t, id) {
		if r.Operation == "delete" {
			recs[strings.ToLower(r.Resource)] = r
		}
	}
	for p, o := range gone {
		if r := recs[strings.ToLower(p)]; r.Outcome != "succeeded" || r.MatchedBy == "" {
			t.Errorf("%s %s: record %q matchedBy %q", o.Kind, p, r.Outcome, r.MatchedBy)
		}
	}
	kept := 0
	for p, o := range held {
		if _, ok := gone[p]; ok {
			continue
		}
		kept++
		r := recs[strings.ToLower(p)]
		if r.Outcome != "skipped" || r.Error == nil || r.Error.Code != "DisplayNameOnly" || !strings.Contains(r.MatchedBy, "display name") {
			t.Errorf("%s %s (alice's by display name only): record %+v, want skipped DisplayNameOnly", o.Kind, p, r)
		}
	}
	if held != nil && kept == 0 {
		t.Error("nothing of alice's was held back for want of allowDisplayName")
	}
	for _, target := range []string{WorkspaceID, RegistryID} {
		if r := recs[strings.ToLower(target)]; r.Outcome != "skipped" || r.Error == nil || r.Error.Code != "SharedParent" {
			t.Errorf("%s: %+v, want skipped as a shared parent", target, r)
		}
	}
}

// checkPurge: the workspace and everything in it is gone, deleted in the
// order the catalog gives, the workspace last and with forceToPurge=true.
func checkPurge(t *testing.T, e Env, id string, log []procs.Call) {
	for p, r := range underAML(e.Sim.Resources(t)) {
		if strings.HasPrefix(strings.ToLower(p), strings.ToLower(WorkspaceID)) {
			t.Errorf("%s %s survived the purge", r.Kind, p)
		}
	}
	group := func(p string) int {
		rest := strings.TrimPrefix(strings.ToLower(p), strings.ToLower(WorkspaceID))
		segs := strings.Split(strings.Trim(rest, "/"), "/")
		switch {
		case rest == "":
			return 6
		case segs[0] == "schedules":
			return 0
		case segs[0] == "onlineendpoints" || segs[0] == "batchendpoints":
			return 1
		case segs[0] == "jobs":
			return 2
		case segs[0] == "computes":
			return 4
		default:
			return 3 // assets, their versions, connections
		}
	}
	first, last := map[int]int64{}, map[int]int64{}
	var wsDelete *procs.Call
	for i, c := range log {
		if c.Method != http.MethodDelete || c.Fault || !strings.HasPrefix(strings.ToLower(c.Path), strings.ToLower(WorkspaceID)) {
			continue
		}
		g := group(c.Path)
		if first[g] == 0 || c.Seq < first[g] {
			first[g] = c.Seq
		}
		last[g] = max(last[g], c.Seq)
		q, _ := url.ParseQuery(c.Query)
		switch g {
		case 6:
			wsDelete = &log[i]
			if q.Get("forceToPurge") != "true" {
				t.Errorf("the workspace DELETE had no forceToPurge=true: %q", c.Query)
			}
		case 4:
			if q.Get("underlyingResourceAction") != "Delete" {
				t.Errorf("a compute DELETE without underlyingResourceAction=Delete: %q", c.Query)
			}
		}
	}
	if wsDelete == nil {
		t.Fatal("no DELETE of the workspace in the simulator's log")
	}
	for g := 1; g <= 6; g++ {
		for h := 0; h < g; h++ {
			if first[g] != 0 && last[h] != 0 && last[h] > first[g] {
				t.Errorf("delete order: group %d started (seq %d) before group %d ended (seq %d)", g, first[g], h, last[h])
			}
		}
	}
}
