// Package scenario is the end-to-end test of the seed: export a whole
// seeded resource group, plan its delete, delete it, and check every
// promise on the way. It runs against whatever hosts the handler (local
// mode, the Functions test host) and wherever results land (a directory,
// Azurite), through the Env it is given.
package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
)

// Seeded names of the simulator's data set.
const (
	Subscription = "11111111-2222-3333-4444-555555555555"
	TargetRG     = "rg-dsr-target"
	OtherRG      = "rg-dsr-other"
	SubjectOID   = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

// ExportBody is the request body of the scenario's export.
func ExportBody(id string) string {
	return fmt.Sprintf(`{"requestId":%q,"operation":"export","targets":[%q],"subject":{"objectId":%q}}`, id, TargetID, SubjectOID)
}

// TargetID is the resource-group target of the scenario.
var TargetID = "/subscriptions/" + Subscription + "/resourceGroups/" + TargetRG

// Env is where the scenario runs.
type Env struct {
	API *procs.API
	Sim *procs.Sim
	// Bundle returns every blob under prefix (relative to the container),
	// keyed by the blob name relative to prefix.
	Bundle func(t testing.TB, prefix string) map[string][]byte
	// Timeout bounds each request.
	Timeout time.Duration
}

// Fingerprint is what two runs of the scenario must agree on.
type Fingerprint struct {
	Bundle    map[string]string // blob (relative to export/) -> sha of content
	Outcomes  map[string]string // op key of each record -> operation/outcome/resource
	Counts    map[string]procs.Status
	Durations map[string]time.Duration
}

// Run exports, plans a delete, and deletes the target resource group.
func Run(t *testing.T, e Env, tag string) Fingerprint {
	fp := Fingerprint{Counts: map[string]procs.Status{}, Durations: map[string]time.Duration{}}
	before := e.Sim.Resources(t)
	if len(inRG(before, TargetRG)) == 0 {
		t.Fatal("the simulator holds nothing in the target resource group")
	}

	start := time.Now()
	exportID := "export-" + tag
	st := e.API.Poll(t, e.API.Submit(t, ExportBody(exportID)), e.Timeout)
	fp.Durations["export"] = time.Since(start)
	fp.Counts["export"] = st
	if st.State != "succeeded" || st.Counts.Failed != 0 || st.Counts.Pending != 0 {
		t.Fatalf("export: %v", st)
	}
	fp.Bundle = checkExport(t, e, exportID, before)
	fp.Outcomes = outcomes(t, e, exportID, "export")
	checkSummary(t, e, exportID, "succeeded")
	checkProjectWithoutSubject(t, e, "project-"+tag, before)

	planID := "plan-" + tag
	deletesBefore := countDeletes(e.Sim.Log(t))
	st = e.API.Poll(t, e.API.Submit(t, fmt.Sprintf(`{"requestId":%q,"operation":"delete","targets":[%q],"dryRun":true}`, planID, TargetID)), e.Timeout)
	fp.Counts["plan"] = st
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("dry run: %v", st)
	}
	if n := countDeletes(e.Sim.Log(t)); n != deletesBefore {
		t.Fatalf("the dry run sent %d DELETEs", n-deletesBefore)
	}
	checkPlan(t, e, planID, before)
	checkSummary(t, e, planID, "succeeded")
	for k, v := range outcomes(t, e, planID, "plan") {
		fp.Outcomes[k] = v
	}

	start = time.Now()
	deleteID := "delete-" + tag
	st = e.API.Poll(t, e.API.Submit(t, fmt.Sprintf(`{"requestId":%q,"operation":"delete","targets":[%q]}`, deleteID, TargetID)), e.Timeout)
	fp.Durations["delete"] = time.Since(start)
	fp.Counts["delete"] = st
	if st.State != "succeeded" || st.Counts.Failed != 0 {
		t.Fatalf("delete: %v", st)
	}
	checkDelete(t, e, deleteID, before)
	checkSummary(t, e, deleteID, "succeeded")
	for k, v := range outcomes(t, e, deleteID, "delete") {
		fp.Outcomes[k] = v
	}
	return fp
}

// inRG returns the resources under resource group rg.
func inRG(rs []procs.Resource, rg string) []procs.Resource {
	var out []procs.Resource
	for _, r := range rs {
		if r.Kind != "arm.resourcegroup" && strings.Contains(strings.ToLower(r.Path), "/resourcegroups/"+rg+"/") {
			out = append(out, r)
		}
	}
	return out
}

// expectedExport is every blob the export must write, relative to
// requests/{id}/export: each document under its catalog path, each
// artifact's content under its run's container, and only the subject's
// notifications.
func expectedExport(rs []procs.Resource) map[string][]byte {
	want := map[string][]byte{}
	for _, r := range inRG(rs, TargetRG) {
		if r.Kind == "exp.notification" && !strings.Contains(r.Path, "/users/"+SubjectOID+"/") {
			continue
		}
		want[strings.TrimPrefix(r.Path, "/")+".json"] = r.Document
		if r.Kind == "exp.artifact" {
			want[contentBlob(r.Path)] = r.Content
		}
		if r.Kind == "exp.runartifact" {
			want[listingBlob(r.Path)] = r.Document
		}
	}
	return want
}

// listingBlob maps a run's artifact, .../runs/{run}/artifacts/{path} of the
// history service, to the same document as the artifact service's
// container lists it: .../artifacts/origins/ExperimentRun/containers/{run}/{path}.json.
func listingBlob(p string) string {
	const marker = "/runs/"
	i := strings.Index(p, marker)
	run, artifact, _ := strings.Cut(p[i+len(marker):], "/artifacts/")
	project := strings.Replace(strings.TrimPrefix(p[:i], "/"), "history/v1.0/", "artifact/v1.0/", 1)
	return project + "/artifacts/origins/ExperimentRun/containers/" + run + "/" + artifact + ".json"
}

// contentBlob maps .../artifacts/contentinfo/ExperimentRun/{run}/{path} to
// .../artifacts/origins/ExperimentRun/containers/{run}/content/{path}.
func contentBlob(p string) string {
	const marker = "/artifacts/contentinfo/ExperimentRun/"
	i := strings.Index(p, marker)
	rest := p[i+len(marker):]
	run, artifact, _ := strings.Cut(rest, "/")
	return strings.TrimPrefix(p[:i], "/") + "/artifacts/origins/ExperimentRun/containers/" + run + "/content/" + artifact
}

// CheckExport checks the bundle of export request id against the
// resources the simulator held before (see expectedExport) and returns its
// fingerprint.
func CheckExport(t *testing.T, e Env, id string, before []procs.Resource) map[string]string {
	return checkExport(t, e, id, before)
}

func checkExport(t *testing.T, e Env, id string, before []procs.Resource) map[string]string {
	want := expectedExport(before)
	got := e.Bundle(t, "requests/"+id+"/export/")
	redacted := exportRecords(t, e, id)
	fp := map[string]string{}
	var missing, extra, differ []string
	for name, doc := range want {
		g, ok := got[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case strings.HasSuffix(name, ".json") && !path.IsAbs("/"+name) || !sameDocument(t, name, doc, g, redacted[name]):
			differ = append(differ, name)
		}
	}
	for name, b := range got {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
		// Content URLs name the simulator's port, which differs between runs.
		fp[name] = fmt.Sprintf("%x", hash(bytes.ReplaceAll(b, []byte(e.Sim.URL), []byte("https://SIM"))))
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(differ)
	if len(missing)+len(extra)+len(differ) > 0 {
		t.Fatalf("export bundle: %d expected, %d written; missing %d %v; outside the target or unexpected %d %v; different %d %v",
			len(want), len(got), len(missing), head(missing), len(extra), head(extra), len(differ), head(differ))
	}
	t.Logf("export bundle: %d blobs, every seeded document and artifact of the target, nothing else", len(got))
	return fp
}

// sameDocument: an exported document is the simulator's, less exactly
// what its record lists as redacted.
func sameDocument(t *testing.T, name string, want, got []byte, redacted []string) bool {
	if !strings.HasSuffix(name, ".json") || strings.Contains(name, "/content/") {
		return bytes.Equal(want, got)
	}
	var a, b any
	if json.Unmarshal(want, &a) != nil || json.Unmarshal(got, &b) != nil {
		return false
	}
	a, err := withoutRedacted(a, redacted)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return false
	}
	return reflect.DeepEqual(a, b)
}

// exportRecords reads the export records of request id: every exported
// document's record names the upstream response it came from (for an item
// of a list, the page's); it returns what each record says was redacted,
// by document (relative to export/).
func exportRecords(t *testing.T, e Env, id string) map[string][]string {
	out := map[string][]string{}
	prefix := "requests/" + id + "/export/"
	for _, r := range e.API.Results(t, id) {
		if r.Document == "" {
			continue
		}
		if r.UpstreamRequestID == "" || r.HTTPStatus == 0 {
			t.Errorf("%s %s: exported with no upstream request id (%q) or status (%d)", r.Kind, r.Resource, r.UpstreamRequestID, r.HTTPStatus)
		}
		out[strings.TrimPrefix(r.Document, prefix)] = r.Redacted
	}
	return out
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
