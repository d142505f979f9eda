package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

const (
	aliceOID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	bobOID   = "bbbbbbbb-2222-3333-4444-555555555555"
	// runsAML is where the run history data plane (default endpoint, the
	// fake keys by path) answers for the runs of wsAML's experiment churn.
	runsAML = "/history/v1.0" + wsAML + "/experiments/churn/runs/"
)

// byName is a document whose systemData names its creator as Azure ML
// does for people: by display name.
func byName(path, name string) string {
	return `{"id":"` + path + `","name":"x","systemData":{"createdBy":"` + name + `","createdByType":"User"},"properties":{"experimentName":"churn"}}`
}

func runDoc(runID, oid, name string) string {
	return `{"runId":"` + runID + `","experimentId":"e1","createdBy":{"userObjectId":"` + oid + `","userTenantId":"ffffffff-2222-3333-4444-555555555555","userName":"` + name + `"}}`
}

// "Who created an item": a job's creator is the object id its run
// history names, and that alone decides; display names count only when
// the request gives one, and a delete acts on them only with
// allowDisplayName.
func TestWhoCreatedAnItem(t *testing.T) {
	ctx := context.Background()
	withName := &dsr.Subject{ObjectID: aliceOID, UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Example"}
	noName := &dsr.Subject{ObjectID: aliceOID, UserPrincipalName: "alice@contoso.com"}
	type want struct {
		ok, held bool
		why      string // substring of the reason
	}
	for _, c := range []struct {
		name  string
		kind  string
		path  string
		doc   string
		runs  map[string]string // runId -> run document
		op    dsr.Operation
		s     *dsr.Subject
		allow bool
		want  want
	}{
		{"job by run history object id", "aml.job", wsAML + "/jobs/alice-1", byName(wsAML+"/jobs/alice-1", "Alice Example"),
			map[string]string{"alice-1": runDoc("alice-1", aliceOID, "Alice Example")}, dsr.Delete, noName, false, want{ok: true, why: "userObjectId"}},
		{"job of another person with the same display name", "aml.job", wsAML + "/jobs/other-1", byName(wsAML+"/jobs/other-1", "Alice Example"),
			map[string]string{"other-1": runDoc("other-1", bobOID, "Alice Example")}, dsr.Delete, withName, true, want{}},
		{"job of another person, export by display name", "aml.job", wsAML + "/jobs/other-1", byName(wsAML+"/jobs/other-1", "Alice Example"),
			map[string]string{"other-1": runDoc("other-1", bobOID, "Alice Example")}, dsr.Export, withName, false, want{}},
		{"job without run history, display name, export", "aml.job", wsAML + "/jobs/alice-2", byName(wsAML+"/jobs/alice-2", "Alice Example"),
			nil, dsr.Export, withName, false, want{ok: true, why: "display name"}},
		{"schedule by display name, export", "aml.schedule", wsAML + "/schedules/alice-nightly", byName(wsAML+"/schedules/alice-nightly", "Alice Example"),
			nil, dsr.Export, withName, false, want{ok: true, why: "display name"}},
		{"schedule by display name, delete without the opt-in", "aml.schedule", wsAML + "/schedules/alice-nightly", byName(wsAML+"/schedules/alice-nightly", "Alice Example"),
			nil, dsr.Delete, withName, false, want{held: true, why: "display name"}},
		{"schedule by display name, delete with the opt-in", "aml.schedule", wsAML + "/schedules/alice-nightly", byName(wsAML+"/schedules/alice-nightly", "alice example"),
			nil, dsr.Delete, withName, true, want{ok: true, why: "display name"}},
		{"schedule by display name, no displayName in the request", "aml.schedule", wsAML + "/schedules/alice-nightly", byName(wsAML+"/schedules/alice-nightly", "Alice Example"),
			nil, dsr.Export, noName, false, want{}},
		{"schedule by user principal name", "aml.schedule", wsAML + "/schedules/s2", byName(wsAML+"/schedules/s2", "alice@contoso.com"),
			nil, dsr.Delete, noName, false, want{ok: true, why: "user principal name"}},
		{"schedule of someone else", "aml.schedule", wsAML + "/schedules/bob-nightly", byName(wsAML+"/schedules/bob-nightly", "Bob Example"),
			nil, dsr.Delete, withName, true, want{}},
		{"an application named like the subject", "aml.schedule", wsAML + "/schedules/app", `{"systemData":{"createdBy":"Alice Example","createdByType":"Application"}}`,
			nil, dsr.Export, withName, false, want{}},
		{"compute instance assigned by object id, created by the admin's name", "aml.compute", wsAML + "/computes/alice-ci",
			`{"systemData":{"createdBy":"Alice Example","createdByType":"User"},"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"` + aliceOID + `"}}}}}`,
			nil, dsr.Delete, withName, false, want{ok: true, why: "assigned"}},
		{"compute instance of bob, created under alice's name", "aml.compute", wsAML + "/computes/bob-ci",
			`{"systemData":{"createdBy":"Alice Example","createdByType":"User"},"properties":{"properties":{"personalComputeInstanceSettings":{"assignedUser":{"objectId":"` + bobOID + `"}},"createdBy":{"userName":"Bob Example","userId":"` + bobOID + `"}}}}`,
			nil, dsr.Delete, withName, true, want{}},
	} {
		b := setup(t, c.op)
		r := subjectRequest(t, b, "r2", c.op, c.s, c.allow)
		for id, d := range c.runs {
			b.api.docs[runsAML+id] = d
		}
		ref, err := catalog.NewRef(c.kind, c.path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.match(ctx, ref, []byte(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.ok != c.want.ok || (m.held != "") != c.want.held || !strings.Contains(m.reason, c.want.why) {
			t.Errorf("%s: %+v, want %+v", c.name, m, c.want)
		}
	}
}

// What a job produced belongs to the job's creator as its run history
// names them, whoever registered it and whatever display name the job
// carries.
func TestJobOutputFollowsTheRunHistory(t *testing.T) {
	ctx := context.Background()
	b := setup(t, dsr.Delete)
	r := subjectRequest(t, b, "r2", dsr.Delete, &dsr.Subject{ObjectID: aliceOID, DisplayName: "Alice Example"}, true)
	for job, oid := range map[string]string{"alice-1": aliceOID, "other-1": bobOID} {
		b.api.docs[wsAML+"/jobs/"+job] = byName(wsAML+"/jobs/"+job, "Alice Example")
		b.api.docs[runsAML+job] = runDoc(job, oid, "Alice Example")
	}
	for job, want := range map[string]bool{"alice-1": true, "other-1": false} {
		ref, raw := jobOutput(t, job)
		m, err := r.match(ctx, ref, raw)
		if err != nil || m.ok != want {
			t.Errorf("version of %s: %+v %v, want ok=%v", job, m, err, want)
		}
	}
}

// A delete without allowDisplayName records what only a display name
// attributes to the subject as skipped (DisplayNameOnly) and starts no
// delete for it; with the opt-in it starts the delete.
func TestDisplayNameOnlyDeleteNeedsTheOptIn(t *testing.T) {
	ctx := context.Background()
	for _, allow := range []bool{false, true} {
		b := setup(t, dsr.Delete)
		subjectRequest(t, b, "r2", dsr.Delete, &dsr.Subject{ObjectID: aliceOID, DisplayName: "Alice Example"}, allow)
		sched := wsAML + "/schedules/alice-nightly"
		b.api.lists[wsAML+"/schedules"] = []string{byName(sched, "Alice Example"), byName(wsAML+"/schedules/bob-nightly", "Bob Example")}
		s := Step{Kind: KindDiscover, RequestID: "r2", Mode: dsr.Delete, Res: "aml.workspace", Path: wsAML, Child: "aml.schedule", Loc: "eastus",
			Op: dsr.OpKey(dsr.StepDiscover, "aml.schedule", wsAML+"/schedules", 0)}
		if err := deliver(ctx, b, s); err != nil {
			t.Fatal(err)
		}
		var deletes []string
		pending, _ := b.l.Pending(ctx, "r2")
		for _, m := range pending {
			var st Step
			json.Unmarshal(m.Body, &st)
			if st.Kind == KindDelete {
				deletes = append(deletes, st.Path)
			}
		}
		rec, err := b.l.ReadRecord(ctx, "r2", dsr.OpKey(dsr.StepDelete, "aml.schedule", sched, 0))
		if !allow {
			if len(deletes) != 0 {
				t.Errorf("without the opt-in: deletes started for %v", deletes)
			}
			if err != nil || rec.Outcome != dsr.Skipped || rec.Error == nil || rec.Error.Code != "DisplayNameOnly" || !strings.Contains(rec.MatchedBy, "display name") {
				t.Errorf("without the opt-in: record %+v %v", rec, err)
			}
			continue
		}
		if len(deletes) != 1 || deletes[0] != sched || err == nil {
			t.Errorf("with the opt-in: deletes %v, record %+v", deletes, rec)
		}
	}
}
