package worker

import (
	"context"
	"strings"
	"testing"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

const wsAML = "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws"

func TestCreatorOf(t *testing.T) {
	alice := &dsr.Subject{ObjectID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", UserPrincipalName: "alice@contoso.com"}
	upnOnly := &dsr.Subject{UserPrincipalName: "alice@contoso.com"}
	for _, c := range []struct {
		name string
		doc  string
		kind string
		s    *dsr.Subject
		want string // substring of the reason; "" means not owned
	}{
		{"upn", `{"systemData":{"createdBy":"Alice@Contoso.com","createdByType":"User"}}`, "aml.schedule", alice, "user principal name"},
		{"object id", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, "aml.schedule", alice, "object id"},
		{"createdById", `{"systemData":{"createdBy":"Alice A.","createdById":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, "aml.schedule", alice, "object id"},
		{"another createdById beats the upn", `{"systemData":{"createdBy":"alice@contoso.com","createdById":"bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, "aml.schedule", alice, ""},
		{"an application with the same id", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"Application"}}`, "aml.schedule", alice, ""},
		{"someone else", `{"systemData":{"createdBy":"bob@contoso.com","createdByType":"User"}}`, "aml.schedule", alice, ""},
		{"no systemData", `{"name":"x"}`, "aml.schedule", alice, ""},
		{"object id without one in the subject", `{"systemData":{"createdBy":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","createdByType":"User"}}`, "aml.schedule", upnOnly, ""},
		{"compute assigned", `{"systemData":{"createdBy":"admin@contoso.com"},"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}}}}`, "aml.compute", alice, "assigned"},
		{"compute created by", `{"properties":{"properties":{"createdBy":{"userName":"alice@contoso.com","userId":"x"}}}}`, "aml.compute", upnOnly, "created by the subject"},
		{"assignment ignored for other kinds", `{"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}}}}`, "aml.schedule", alice, ""},
	} {
		b := setup(t, dsr.Export)
		r := subjectRequest(t, b, "r2", dsr.Export, c.s, false)
		ref, err := catalog.NewRef(c.kind, wsAML+"/"+map[string]string{"aml.schedule": "schedules", "aml.compute": "computes"}[c.kind]+"/x")
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.creatorOf(context.Background(), ref, []byte(c.doc))
		if err != nil || (c.want == "") != (got.Rule == ruleNone) || !strings.Contains(got.Why, c.want) {
			t.Errorf("%s: %+v %v, want %q", c.name, got, err, c.want)
		}
	}
}

// Under match "subject" a model version made by a pipeline's identity is
// the subject's when the job it names is theirs, and not when the job is
// someone else's or was never seen.
func TestJobOwnership(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	r := subjectRequest(t, b, "r2", dsr.Delete, &dsr.Subject{UserPrincipalName: "alice@contoso.com"}, false)
	b.api.docs[wsAML+"/jobs/alice-1"] = `{"systemData":{"createdBy":"alice@contoso.com","createdByType":"User"}}`
	b.api.docs[wsAML+"/jobs/bob-1"] = `{"systemData":{"createdBy":"bob@contoso.com","createdByType":"User"}}`
	for job, want := range map[string]bool{"alice-1": true, "bob-1": false, "gone-1": false} {
		ref, raw := jobOutput(t, job)
		m, err := r.match(ctx, ref, raw)
		if err != nil || m.ok != want {
			t.Errorf("version of job %s: %+v %v, want ok=%v", job, m, err, want)
		}
	}
}
