package catalog

import (
	"fmt"
	"net/url"
)

// runKind is the run of a job in the run history data plane of today's
// Azure ML (DSR_AML_ENDPOINT): a job is a run, and the run names its
// creator's object id (createdBy.userObjectId), which the job's systemData
// does not. It is not a row of the catalog: it is read to attribute jobs,
// never listed, exported or deleted.
var runKind = &Kind{Name: "aml.run", Host: AML,
	Path: "/history/v1.0" + amlW + "/experiments/{experimentName}/runs/{runId}"}

// RunURL is the URL of the run history GET of job (an aml.job Ref) in
// experiment, at the workspace's location. It fails when DSR_AML_ENDPOINT
// is not configured, or when a name or the location is not valid.
func (e Endpoints) RunURL(job Ref, experiment, location string) (*url.URL, error) {
	if job.Kind == nil || job.Kind.Name != "aml.job" {
		return nil, fmt.Errorf("run history: %s is not a job", job.Path)
	}
	params := map[string]string{"experimentName": experiment, "runId": job.Params["id"]}
	for _, k := range []string{"subscriptionId", "resourceGroupName", "workspaceName"} {
		params[k] = job.Params[k]
	}
	path, err := runKind.Path.Build(params)
	if err != nil {
		return nil, err
	}
	return e.URL(runKind, runKind.Path, path, location, nil)
}
