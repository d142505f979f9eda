package sim_test

import (
	"net/http"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// The run history data plane (/aml/{location}) names a job's creator by
// object id, as Azure ML does; systemData names people by display name.
func TestRunHistoryNamesTheCreator(t *testing.T) {
	e := seeded(t, sim.Options{})
	runs := "/aml/eastus/history/v1.0" + amlWS + "/experiments/"
	for _, c := range []struct {
		job, experiment string
		who             sim.Person
	}{
		{"alice-train-1", "alice-churn", sim.People[0]},
		{"bob-train-3", "bob-churn", sim.People[1]},
		{"admin-cleanup-1", "admin-churn", sim.People[3]},
		{"alice2-train-1", "alice2-churn", sim.People[5]}, // alice's display name, another person
	} {
		r := e.get(runs + c.experiment + "/runs/" + c.job)
		wantStatus(t, r, http.StatusOK, "run "+c.job)
		var run struct {
			RunID     string `json:"runId"`
			CreatedBy struct{ UserObjectID, UserTenantID, UserName string }
		}
		r.json(t, &run)
		if run.RunID != c.job || run.CreatedBy.UserObjectID != c.who.ObjectID || run.CreatedBy.UserTenantID != sim.TenantID || run.CreatedBy.UserName != c.who.DisplayName {
			t.Errorf("run %s: %+v, want %s's", c.job, run, c.who.Key)
		}
		var job struct {
			SystemData struct{ CreatedBy, CreatedByType string }
		}
		e.get("/arm"+amlWS+"/jobs/"+c.job+"?"+apiAML).json(t, &job)
		if job.SystemData.CreatedBy != c.who.DisplayName || job.SystemData.CreatedByType != "User" {
			t.Errorf("job %s: systemData %+v, want %q", c.job, job.SystemData, c.who.DisplayName)
		}
	}
	for what, target := range map[string]string{
		"another experiment": runs + "bob-churn/runs/alice-train-1",
		"another location":   "/aml/westus/history/v1.0" + amlWS + "/experiments/alice-churn/runs/alice-train-1",
		"an unknown run":     runs + "alice-churn/runs/nobody-1",
		"another workspace":  "/aml/eastus/history/v1.0" + amlProv + "/workspaces/ws-other/experiments/alice-churn/runs/alice-train-1",
	} {
		wantStatus(t, e.get(target), http.StatusNotFound, what)
	}
	wantStatus(t, e.send(http.MethodGet, runs+"alice-churn/runs/alice-train-1", "", nil, nil), http.StatusUnauthorized, "no token")
	wantStatus(t, e.del(runs+"alice-churn/runs/alice-train-1"), http.StatusMethodNotAllowed, "DELETE")

	// An application is named by its id, as before.
	var v struct {
		SystemData struct{ CreatedBy, CreatedByType string }
	}
	e.get("/arm"+amlWS+"/models/shared-model/versions/jobout-alice?"+apiAML).json(t, &v)
	if v.SystemData.CreatedBy != sim.PipelineSPObjectID || v.SystemData.CreatedByType != "Application" {
		t.Errorf("jobout-alice: systemData %+v", v.SystemData)
	}
}

// The run goes with its job.
func TestRunHistoryGoesWithTheJob(t *testing.T) {
	e := seeded(t, sim.Options{LROPolls: -1})
	run := "/aml/eastus/history/v1.0" + amlWS + "/experiments/carol-churn/runs/carol-train-2"
	wantStatus(t, e.get(run), http.StatusOK, "run before")
	r := e.del("/arm" + amlWS + "/jobs/carol-train-2?" + apiAML)
	if r.status != http.StatusAccepted && r.status != http.StatusOK {
		t.Fatalf("job delete: %d %s", r.status, r.body)
	}
	if loc := r.header.Get("Location"); loc != "" {
		e.get(loc)
	}
	if r := e.get("/arm" + amlWS + "/jobs/carol-train-2?" + apiAML); r.status != http.StatusNotFound {
		t.Fatalf("job still there: %d", r.status)
	}
	wantStatus(t, e.get(run), http.StatusNotFound, "run after the job's delete")
}
