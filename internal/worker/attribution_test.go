package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// subjectRequest accepts request id under match "subject" for s, on the
// workspace wsAML.
func subjectRequest(t *testing.T, b *bundle, id string, op dsr.Operation, s *dsr.Subject, allowDisplayName bool) *run {
	t.Helper()
	ctx := context.Background()
	if _, _, err := b.l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: id, Operation: op, Targets: []string{wsAML},
		Match: dsr.MatchSubject, Subject: s, AllowDisplayName: allowDisplayName}}); err != nil {
		t.Fatal(err)
	}
	req, err := b.l.Request(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return &run{Worker: b.w, step: &Step{RequestID: id, Mode: op, Loc: "eastus"}, req: req}
}

// jobOutput is a model version registered by a pipeline's identity from
// job's output.
func jobOutput(t *testing.T, job string) (catalog.Ref, []byte) {
	t.Helper()
	ref, err := catalog.NewRef("aml.modelversion", wsAML+"/models/shared/versions/"+job)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"id": ref.Path, "name": job,
		"systemData": map[string]string{"createdBy": "pipeline-sp", "createdByType": "Application"},
		"properties": map[string]string{"jobName": job}})
	return ref, raw
}

func jobRef(t *testing.T, name string) catalog.Ref {
	t.Helper()
	ref, err := catalog.NewRef("aml.job", wsAML+"/jobs/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// A model version that came out of the subject's job is hers whatever
// happened to the job since it was matched: deleted and recorded, deleted
// with its record never written (a crash between its DELETE and its
// record), or deleted with its delete recorded as absent. The outcome does
// not depend on the order of the steps or on how the job's delete ended.
func TestJobOutputAttributionSurvivesTheJob(t *testing.T) {
	ctx := context.Background()
	alice := &dsr.Subject{ObjectID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", UserPrincipalName: "alice@contoso.com"}
	for _, c := range []struct {
		name   string
		record dsr.Outcome // the job's delete record; "" for none
	}{
		{"crash between the job's DELETE and its record", ""},
		{"the job's delete recorded absent", dsr.Absent},
		{"the job's delete recorded succeeded", dsr.Succeeded},
	} {
		b := setup(t, dsr.Delete)
		r := subjectRequest(t, b, "r2", dsr.Delete, alice, false)
		job := jobRef(t, "alice-1")
		doc := `{"id":"` + job.Path + `","name":"alice-1","systemData":{"createdBy":"alice@contoso.com","createdByType":"User"},"properties":{"experimentName":"churn"}}`
		b.api.docs[job.Path] = doc
		// The job is listed and matched: that is when its delete is spawned.
		if m, err := r.match(ctx, job, []byte(doc)); err != nil || !m.ok {
			t.Fatalf("%s: the job itself: %+v %v", c.name, m, err)
		}
		delete(b.api.docs, job.Path)
		if c.record != "" {
			b.l.Record(ctx, dsr.OpKey(dsr.StepDelete, "aml.job", job.Path, 0), dsr.Record{RequestID: "r2", Outcome: c.record})
		}
		// Another delivery (a fresh run) examines the version afterwards.
		r2 := &run{Worker: b.w, step: &Step{RequestID: "r2", Mode: dsr.Delete, Loc: "eastus"}, req: r.req}
		ref, raw := jobOutput(t, "alice-1")
		m, err := r2.match(ctx, ref, raw)
		if err != nil || !m.ok || !strings.Contains(m.reason, "alice-1") {
			t.Errorf("%s: the version of alice's deleted job: %+v %v", c.name, m, err)
		}
	}
}

// Examined before the job's step ran, a version of the subject's job is
// hers too; the job's later match agrees.
func TestJobOutputBeforeTheJob(t *testing.T) {
	ctx := context.Background()
	b := setup(t, dsr.Export)
	r := subjectRequest(t, b, "r2", dsr.Export, &dsr.Subject{UserPrincipalName: "alice@contoso.com"}, false)
	job := jobRef(t, "alice-1")
	b.api.docs[job.Path] = `{"id":"` + job.Path + `","name":"alice-1","systemData":{"createdBy":"alice@contoso.com","createdByType":"User"},"properties":{"experimentName":"churn"}}`
	ref, raw := jobOutput(t, "alice-1")
	if m, err := r.match(ctx, ref, raw); err != nil || !m.ok {
		t.Fatalf("version before the job: %+v %v", m, err)
	}
	delete(b.api.docs, job.Path)
	r2 := &run{Worker: b.w, step: &Step{RequestID: "r2", Mode: dsr.Export, Loc: "eastus"}, req: r.req}
	if m, err := r2.match(ctx, ref, raw); err != nil || !m.ok {
		t.Errorf("version after the job went: %+v %v", m, err)
	}
}

// Through the steps: the jobs page is listed (the job's delete is
// spawned), the job is then deleted and the worker dies before recording
// it; the versions page, listed afterwards, still starts the delete of
// the job's output.
func TestJobOutputAfterACrashedJobDelete(t *testing.T) {
	ctx := context.Background()
	b := setup(t, dsr.Delete)
	subjectRequest(t, b, "r2", dsr.Delete, &dsr.Subject{ObjectID: aliceOID}, false)
	job := jobRef(t, "alice-train-1")
	doc := byName(job.Path, "Alice Example")
	b.api.docs[job.Path] = doc
	b.api.docs[runsAML+"alice-train-1"] = runDoc("alice-train-1", aliceOID, "Alice Example")
	b.api.lists[wsAML+"/jobs"] = []string{doc}
	list := func(res, path, child, listPath string) {
		t.Helper()
		s := Step{Kind: KindDiscover, RequestID: "r2", Mode: dsr.Delete, Res: res, Path: path, Child: child, Loc: "eastus",
			Op: dsr.OpKey(dsr.StepDiscover, child, listPath, 0)}
		if err := deliver(ctx, b, s); err != nil {
			t.Fatal(err)
		}
	}
	list("aml.workspace", wsAML, "aml.job", wsAML+"/jobs")
	if !pendingDelete(t, b, job.Path) {
		t.Fatal("the job's delete was not started")
	}
	// The job's DELETE went through; its record was never written, and the
	// run went with the job.
	delete(b.api.docs, job.Path)
	delete(b.api.docs, runsAML+"alice-train-1")
	ref, raw := jobOutput(t, "alice-train-1")
	b.api.lists[wsAML+"/models/shared/versions"] = []string{string(raw)}
	list("aml.model", wsAML+"/models/shared", "aml.modelversion", wsAML+"/models/shared/versions")
	if !pendingDelete(t, b, ref.Path) {
		t.Error("the output of alice's job was left in place after the job's delete crashed")
	}
}

func pendingDelete(t *testing.T, b *bundle, path string) bool {
	t.Helper()
	pending, err := b.l.Pending(context.Background(), "r2")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pending {
		var s Step
		json.Unmarshal(m.Body, &s)
		if s.Kind == KindDelete && strings.EqualFold(s.Path, path) {
			return true
		}
	}
	return false
}

// A job target (no location came down to its step) reads its workspace's
// location to find the run history.
func TestRunHistoryLocationFromTheWorkspace(t *testing.T) {
	ctx := context.Background()
	b := setup(t, dsr.Export)
	r := subjectRequest(t, b, "r2", dsr.Export, &dsr.Subject{ObjectID: aliceOID}, false)
	r.step.Loc = ""
	job := jobRef(t, "alice-1")
	b.api.docs[runsAML+"alice-1"] = runDoc("alice-1", aliceOID, "Alice Example")
	if m, err := r.match(ctx, job, []byte(byName(job.Path, "Alice Example"))); err != nil || m.ok {
		t.Fatalf("without the workspace: %+v %v", m, err)
	}
	b.api.docs[wsAML] = `{"id":"` + wsAML + `","location":"East US"}`
	job = jobRef(t, "alice-1b")
	b.api.docs[runsAML+"alice-1b"] = runDoc("alice-1b", aliceOID, "Alice Example")
	if m, err := r.match(ctx, job, []byte(byName(job.Path, "Alice Example"))); err != nil || !m.ok || !strings.Contains(m.reason, "userObjectId") {
		t.Errorf("with the workspace's location: %+v %v", m, err)
	}
}
