package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"amldsr/internal/manifest"
	"amldsr/internal/store"
	"amldsr/test/procs"
)

func hash(b []byte) []byte { h := sha256.Sum256(b); return h[:8] }

// deletable kinds are deleted with a DELETE of their own (the ML services
// workspace and its computes through today's API); export-only ones are
// recorded as skipped; the rest go with their project.
var deletable = map[string]bool{
	"mm.account": true, "mm.model": true, "mm.manifest": true, "mm.service": true, "mm.image": true,
	"exp.account": true, "exp.workspace": true, "exp.project": true,
	"aml.workspace": true, "aml.compute": true,
}
var exportOnly = map[string]bool{"mlc.cluster": true}

func countDeletes(log []procs.Call) int {
	n := 0
	for _, c := range log {
		if c.Method == http.MethodDelete {
			n++
		}
	}
	return n
}

// outcomes keys each record by operation and resource. Only discover
// records may share a resource (one per page of a list); every other
// operation has exactly one record.
func outcomes(t *testing.T, e Env, id, tag string) map[string]string {
	recs := e.API.Results(t, id)
	out := map[string]string{}
	for _, r := range recs {
		k := tag + " " + r.Operation + " " + r.Kind + " " + r.Resource
		if prev, dup := out[k]; dup {
			if r.Operation != "discover" {
				t.Errorf("two records for %s: %s and %s", k, prev, r.Outcome)
			}
			out[k] = prev + "," + r.Outcome
			continue
		}
		out[k] = r.Outcome
	}
	return out
}

// checkPlan: a dry run plans every deletable resource of the target (those
// it can reach: children of a project go with it) and skips export-only
// ones.
func checkPlan(t *testing.T, e Env, id string, before []procs.Resource) {
	checkDeleteRecords(t, e, id, before, "planned")
}

// checkDeleteRecords: every deletable resource of the target has a delete
// record with outcome want, and every export-only one is skipped.
func checkDeleteRecords(t *testing.T, e Env, id string, before []procs.Resource, want string) {
	recs := deleteRecords(t, e, id)
	for _, r := range inRG(before, TargetRG) {
		switch {
		case deletable[r.Kind] && recs[r.Path] != want:
			t.Errorf("%s: %s %s is %q, want %s", id, r.Kind, r.Path, recs[r.Path], want)
		case exportOnly[r.Kind] && recs[r.Path] != "skipped":
			t.Errorf("%s: %s %s is %q, want skipped", id, r.Kind, r.Path, recs[r.Path])
		}
	}
}

func deleteRecords(t *testing.T, e Env, id string) map[string]string {
	out := map[string]string{}
	for _, r := range e.API.Results(t, id) {
		if r.Operation == "delete" {
			out[r.Resource] = r.Outcome
		}
	}
	return out
}

// checkDelete: nothing deletable of the target is left, the other resource
// group is untouched, every DELETE came after its children's, and every
// deleted resource has its succeeded record.
func checkDelete(t *testing.T, e Env, id string, before []procs.Resource) {
	after := e.Sim.Resources(t)
	for _, r := range inRG(after, TargetRG) {
		if !exportOnly[r.Kind] {
			t.Errorf("still in the simulator after the delete: %s %s", r.Kind, r.Path)
		}
	}
	if a, b := len(inRG(after, OtherRG)), len(inRG(before, OtherRG)); a != b {
		t.Errorf("the other resource group went from %d to %d resources", b, a)
	}
	checkDeleteRecords(t, e, id, before, "succeeded")
	checkOrder(t, e.Sim.Log(t), before)
}

// checkOrder reads the simulator's log: the successful DELETE of every
// resource comes after the successful DELETEs of everything below it, and
// model-management documents go services, images, manifests, models.
func checkOrder(t *testing.T, log []procs.Call, before []procs.Resource) {
	deleted := map[string]int64{} // lower-cased path -> seq of its successful DELETE
	for _, c := range log {
		if c.Method != http.MethodDelete || c.Fault || c.Status/100 != 2 || c.Status == 204 {
			continue
		}
		p := strings.ToLower(c.Path)
		if _, dup := deleted[p]; dup {
			t.Errorf("%s deleted twice", c.Path)
		}
		deleted[p] = c.Seq
	}
	rank := map[string]int{"mm.service": 0, "mm.image": 1, "mm.manifest": 2, "mm.model": 3}
	last := map[int]int64{}
	first := map[int]int64{}
	for _, r := range inRG(before, TargetRG) {
		if !deletable[r.Kind] {
			continue
		}
		seq, ok := deleted[strings.ToLower(r.Path)]
		if !ok {
			t.Errorf("no successful DELETE of %s %s in the simulator's log", r.Kind, r.Path)
			continue
		}
		if g, ok := rank[r.Kind]; ok {
			last[g] = max(last[g], seq)
			if first[g] == 0 || seq < first[g] {
				first[g] = seq
			}
		}
		for _, c := range inRG(before, TargetRG) {
			if !deletable[c.Kind] || c.Path == r.Path || !below(c, r) {
				continue
			}
			if cs := deleted[strings.ToLower(c.Path)]; cs > seq {
				t.Errorf("%s deleted (seq %d) before its child %s (seq %d)", r.Path, seq, c.Path, cs)
			}
		}
	}
	for g := 1; g <= 3; g++ {
		if first[g] != 0 && last[g-1] > first[g] {
			t.Errorf("model management delete order broken: group %d started (seq %d) before group %d ended (seq %d)", g, first[g], g-1, last[g-1])
		}
	}
}

// below reports whether c lives under r: an ARM child path, or a model
// management document of account r.
func below(c, r procs.Resource) bool {
	if strings.HasPrefix(strings.ToLower(c.Path), strings.ToLower(r.Path)+"/") {
		return true
	}
	if r.Kind != "mm.account" || !strings.HasPrefix(c.Kind, "mm.") {
		return false
	}
	// /subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningModelManagement/accounts/a
	// owns /api/subscriptions/s/resourceGroups/g/accounts/a/...
	segs := strings.Split(r.Path, "/")
	prefix := fmt.Sprintf("/api/subscriptions/%s/resourceGroups/%s/accounts/%s/", segs[2], segs[4], segs[8])
	return strings.HasPrefix(strings.ToLower(c.Path), strings.ToLower(prefix))
}

// checkSummary: a finished request has its summary.json with the final
// state.
func checkSummary(t *testing.T, e Env, id, state string) {
	blobs := e.Bundle(t, "requests/"+id+"/")
	var sum struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(blobs["summary.json"], &sum); err != nil || sum.State != state {
		t.Errorf("%s: summary.json %q (%v), want state %s", id, blobs["summary.json"], err, state)
	}
	if _, ok := blobs["request.json"]; !ok {
		t.Errorf("%s: no request.json", id)
	}
	checkManifest(t, id, blobs)
}

// checkManifest: a finished request's bundle verifies against its
// manifest, which lists every record.
func checkManifest(t *testing.T, id string, blobs map[string][]byte) {
	r, err := manifest.Verify(context.Background(), mapSource(blobs))
	if err != nil {
		t.Errorf("%s: reading the bundle: %v", id, err)
		return
	}
	if !r.OK() {
		t.Errorf("%s: the bundle does not verify: problems %q, missing %v, extra %v, changed %v", id, r.Problems, head(r.Missing), head(r.Extra), r.Changed)
		return
	}
	records := 0
	for name := range blobs {
		if strings.HasPrefix(name, "results/") {
			records++
		}
	}
	if r.Checked != len(blobs)-3 || records == 0 { // less manifest, summary and report
		t.Errorf("%s: the manifest checked %d of %d blobs (%d records)", id, r.Checked, len(blobs), records)
	}
}

// mapSource is a bundle read into memory.
type mapSource map[string][]byte

func (m mapSource) Walk(_ context.Context, fn func(string, int64) error) error {
	for name, b := range m {
		if err := fn(name, int64(len(b))); err != nil {
			return err
		}
	}
	return nil
}

func (m mapSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	b, ok := m[name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// checkProjectWithoutSubject exports one project with no subject: the
// data planes are reached through the account's location, the project's
// documents are all there, and the per-user notifications are skipped with
// the reason.
func checkProjectWithoutSubject(t *testing.T, e Env, id string, before []procs.Resource) {
	var project string
	for _, r := range inRG(before, TargetRG) {
		if r.Kind == "exp.project" {
			project = r.Path
			break
		}
	}
	st := e.API.Poll(t, e.API.Submit(t, fmt.Sprintf(`{"requestId":%q,"operation":"export","targets":[%q]}`, id, project)), e.Timeout)
	if st.State != "succeeded" || st.Counts.Skipped != 1 {
		t.Fatalf("export of one project without a subject: %v", st)
	}
	skipped := false
	for _, r := range e.API.Results(t, id) {
		if r.Outcome == "skipped" {
			skipped = r.Kind == "exp.notification" && r.Error != nil && r.Error.Code == "SubjectObjectIdRequired"
		}
	}
	if !skipped {
		t.Error("the notifications listing was not recorded as skipped for want of subject.objectId")
	}
	bundle := e.Bundle(t, "requests/"+id+"/export/")
	runs := 0
	for name := range bundle {
		if strings.Contains(name, "/notification/") || strings.HasPrefix(name, "notification/") {
			t.Errorf("a notification was exported without a subject: %s", name)
		}
		if strings.Contains(name, "/runs/") && strings.Count(name[strings.Index(name, "/runs/"):], "/") == 2 {
			runs++
		}
	}
	if runs == 0 || bundle[strings.TrimPrefix(project, "/")+".json"] == nil {
		t.Errorf("the project's export holds %d runs and project document %v", runs, bundle[strings.TrimPrefix(project, "/")+".json"] != nil)
	}
}
