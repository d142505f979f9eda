package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

const wsAML = "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws"

func TestOwns(t *testing.T) {
	alice := &dsr.Subject{ObjectID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", UserPrincipalName: "alice@contoso.com"}
	upnOnly := &dsr.Subject{UserPrincipalName: "alice@contoso.com"}
	for _, c := range []struct {
		name  string
		doc   string
		owner catalog.Owner
		s     *dsr.Subject
		want  string // substring of the reason; "" means not owned
	}{
		{"upn", `{"systemData":{"createdBy":"Alice@Contoso.com","createdByType":"User"}}`, catalog.SystemData, alice, "user principal name"},
		{"object id", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, catalog.SystemData, alice, "object id"},
		{"createdById", `{"systemData":{"createdBy":"Alice A.","createdById":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, catalog.SystemData, alice, "object id"},
		{"an application with the same id", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"Application"}}`, catalog.SystemData, alice, ""},
		{"someone else", `{"systemData":{"createdBy":"bob@contoso.com","createdByType":"User"}}`, catalog.SystemData, alice, ""},
		{"no systemData", `{"name":"x"}`, catalog.SystemData, alice, ""},
		{"object id without one in the subject", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, catalog.SystemData, upnOnly, ""},
		{"compute assigned", `{"systemData":{"createdBy":"admin@contoso.com"},"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}}}}`, catalog.ComputeUser, alice, "assigned"},
		{"compute created by", `{"properties":{"properties":{"createdBy":{"userName":"alice@contoso.com","userId":"x"}}}}`, catalog.ComputeUser, alice, "created by the subject"},
		{"assignment ignored for other kinds", `{"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}}}}`, catalog.SystemData, alice, ""},
	} {
		got := owns([]byte(c.doc), c.owner, c.s)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Under match "subject" a model version made by a pipeline's identity is
// the subject's when the job it names is theirs; a delete of that job
// recorded by this request proves it even after the job is gone.
func TestJobOwnership(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r2", Operation: dsr.Delete, Targets: []string{wsAML}, Match: dsr.MatchSubject,
		Subject: &dsr.Subject{UserPrincipalName: "alice@contoso.com"}}})
	b.api.docs[wsAML+"/jobs/alice-1"] = `{"systemData":{"createdBy":"alice@contoso.com","createdByType":"User"}}`
	b.api.docs[wsAML+"/jobs/bob-1"] = `{"systemData":{"createdBy":"bob@contoso.com","createdByType":"User"}}`
	req, _ := b.l.Request(ctx, "r2")
	r := &run{Worker: b.w, step: &Step{RequestID: "r2"}, req: req}
	version := func(job string) (catalog.Ref, []byte) {
		ref, err := catalog.NewRef("aml.modelversion", wsAML+"/models/shared/versions/"+job)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(map[string]any{"systemData": map[string]string{"createdBy": "pipeline-sp", "createdByType": "Application"},
			"properties": map[string]string{"jobName": job}})
		return ref, raw
	}
	for job, want := range map[string]bool{"alice-1": true, "bob-1": false, "gone-1": false} {
		ref, raw := version(job)
		m, err := r.match(ctx, ref, raw)
		if err != nil || m.ok != want {
			t.Errorf("version of job %s: %+v %v, want ok=%v", job, m, err, want)
		}
	}
	// The job is deleted; the request's record still says it was hers.
	delete(b.api.docs, wsAML+"/jobs/alice-1")
	b.l.Record(ctx, dsr.OpKey(dsr.StepDelete, "aml.job", wsAML+"/jobs/alice-1", 0), dsr.Record{RequestID: "r2", Outcome: dsr.Succeeded})
	r.jobs = nil
	ref, raw := version("alice-1")
	if m, _ := r.match(ctx, ref, raw); !m.ok || !strings.Contains(m.reason, "alice-1") {
		t.Errorf("after the job's delete: %+v", m)
	}
}
