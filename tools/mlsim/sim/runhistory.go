package sim

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
)

// The run history data plane of today's Azure ML, under /aml/{location}
// (https://{location}.api.azureml.ms): GET of the run of a job of a
// 2024-04-01 workspace,
//
//	/history/v1.0/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/experiments/{experimentName}/runs/{runId}
//
// (runHistory.json of machinelearningservices-dataplane-2019-09-30). A job
// is a run: the run id is the job's name and the experiment its
// properties.experimentName. The run names its creator by object id
// (createdBy.userObjectId, userTenantId, userName), which the job's
// systemData does not: there a person is a display name. The run goes
// with its job.

// runHistory answers a call under /aml/{location}.
func (s *Server) runHistory(r *http.Request, c call) *response {
	segs := splitPath(c.path)
	if len(segs) != 14 || !eq(segs[0], "history") || !eq(segs[1], "v1.0") || !eq(segs[2], "subscriptions") ||
		!eq(segs[4], "resourceGroups") || !eq(segs[6], "providers") || !eq(segs[7], nsMLS) || !eq(segs[8], "workspaces") ||
		!eq(segs[10], "experiments") || !eq(segs[12], "runs") {
		return notFound(planeExp, "NotFound", "no run history endpoint at "+c.path)
	}
	ws := s.st.get("/"+strings.Join(segs[2:10], "/"), KindAMLWorkspace)
	if ws == nil || docLocation(ws.doc) != c.location {
		return notFound(planeExp, "WorkspaceNotFound", "workspace not found in "+c.location)
	}
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeExp, r)
	}
	job := s.st.get(ws.path+"/jobs/"+segs[13], KindAMLJob)
	var d struct {
		Name       string `json:"name"`
		Properties struct {
			ExperimentName string `json:"experimentName"`
			Status         string `json:"status"`
			DisplayName    string `json:"displayName"`
			Description    string `json:"description"`
			JobType        string `json:"jobType"`
			ComputeID      string `json:"computeId"`
			Tags           obj    `json:"tags"`
			Properties     obj    `json:"properties"`
		} `json:"properties"`
		SystemData struct {
			CreatedAt string `json:"createdAt"`
		} `json:"systemData"`
	}
	if job == nil || json.Unmarshal(job.doc, &d) != nil || !strings.EqualFold(d.Properties.ExperimentName, segs[11]) {
		return notFound(planeExp, "RunNotFound", "run '"+segs[13]+"' not found in experiment '"+segs[11]+"'")
	}
	run := obj{
		"runId": d.Name, "rootRunId": d.Name, "parentRunId": nil, "runNumber": 1,
		"experimentId": experimentID(ws.path, d.Properties.ExperimentName),
		"createdUtc":   d.SystemData.CreatedAt, "status": d.Properties.Status,
		"name": d.Properties.DisplayName, "description": d.Properties.Description, "runType": d.Properties.JobType,
		"target": lastSegment(d.Properties.ComputeID), "tags": d.Properties.Tags, "properties": d.Properties.Properties,
		"hidden": false,
	}
	if who := creatorOf(job); who != "" {
		p := person(who)
		name := p.DisplayName
		if name == "" {
			name = p.ObjectID // a service principal: its id
		}
		run["createdBy"] = obj{"userObjectId": p.ObjectID, "userTenantId": TenantID, "userName": name}
		run["userId"] = p.ObjectID
	}
	return jsonResponse(http.StatusOK, run)
}

// experimentID is a stable GUID for an experiment of a workspace.
func experimentID(ws, experiment string) string {
	h := sha256.Sum256([]byte(strings.ToLower(ws + "/" + experiment)))
	var b [16]byte
	copy(b[:], h[:16])
	return formatGUID(b)
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
