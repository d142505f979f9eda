package sim

import (
	"fmt"
	"path"
)

// ScenarioPeople (-scenario people) adds to the current-API data set the
// mixed ownership that a per-person request must get right at every
// level, so that every kind of today's catalog holds items of at least two
// people: an endpoint of alice's serving bob's deployment, an admin's
// batch endpoint with alice's and carol's deployments, containers holding
// other people's versions (in the workspace and in the registry), model
// versions registered by the pipeline's identity from bob's and alice2's
// jobs, archived versions, a connection of alice's, and registry data and
// components. Truth (truth.go) says what belongs to whom.
const ScenarioPeople = "people"

// people adds the scenario's items to the current-API data set.
func (a *amlSeeder) people() {
	a.deployment(a.ws+"/onlineEndpoints/alice-endpoint", KindAMLOnlineDeployment, "onlineEndpoints", "green", "bob", "Managed")
	team := a.ws + "/batchEndpoints/team-batch"
	a.tracked(KindAMLBatchEndpoint, team, "team-batch", wsType("batchEndpoints"), "admin", "Batch", obj{
		"description": "Batch scoring shared by the team", "authMode": "AADToken", "provisioningState": "Succeeded",
		"scoringUri": "https://team-batch.eastus.inference.ml.azure.com/jobs",
	})
	a.deployment(team, KindAMLBatchDeployment, "batchEndpoints", "alice-dep", "alice", "Batch")
	a.deployment(team, KindAMLBatchDeployment, "batchEndpoints", "carol-dep", "carol", "Batch")

	a.modelVersion("alice-model", "3", "carol", "")
	a.modelVersion("bob-model", "3", "alice", "")
	a.archivedVersion(KindAMLModelVersion, a.ws+"/models/bob-model/versions/4", wsType("models/versions"), "bob",
		a.modelProps(a.datastoreURI("models/bob-model/4/"), "bob", ""))
	a.modelVersion("shared-model", "jobout-bob", PipelineSPName, "bob-train-2")
	a.modelVersion("shared-model", "jobout-alice2", PipelineSPName, "alice2-train-1")
	a.archivedVersion(KindAMLEnvironmentVersion, a.ws+"/environments/admin-env/versions/3", wsType("environments/versions"), "carol",
		a.environmentProps("carol"))
	a.codeVersion("bob-code", "2", "carol")
	a.connection("alice-conn", "alice")

	a.putContainer(a.reg, regType("data"), "data", KindAMLRegData, "reg-data", "bob", "Customer extracts shared across workspaces", "2", "3")
	for i, owner := range []string{"alice", "bob"} {
		props := assetProps("Customer churn extract", owner, i == 0)
		props["dataType"], props["dataUri"] = "uri_folder", "azureml://registries/"+AMLRegistry+"/data/reg-data/versions/"+fmt.Sprint(i+1)
		a.put(KindAMLRegDataVersion, a.reg+"/data/reg-data/versions/"+fmt.Sprint(i+1), fmt.Sprint(i+1), regType("data/versions"), owner, props)
	}
	a.putContainer(a.reg, regType("components"), "components", KindAMLRegComponent, "reg-component", "alice", "Feature step published by alice", "2", "3")
	for i, owner := range []string{"alice", "carol"} {
		props := assetProps("Computes churn features", owner, false)
		props["componentSpec"] = obj{"name": "reg-component", "version": fmt.Sprint(i + 1), "type": "command", "command": "python features.py"}
		a.put(KindAMLRegComponentVersion, a.reg+"/components/reg-component/versions/"+fmt.Sprint(i+1), fmt.Sprint(i+1),
			regType("components/versions"), owner, props)
	}
	a.putContainer(a.reg, regType("models"), "models", KindAMLRegModel, "bob-reg-model", "bob", "bob's promoted model", "2", "3")
	for i, owner := range []string{"bob", "alice"} {
		v := fmt.Sprint(i + 1)
		a.put(KindAMLRegModelVersion, a.reg+"/models/bob-reg-model/versions/"+v, v, regType("models/versions"), owner,
			a.modelProps("azureml://registries/"+AMLRegistry+"/models/bob-reg-model/versions/"+v, owner, ""))
	}
	a.putContainer(a.reg, regType("environments"), "environments", KindAMLRegEnvironment, "carol-reg-env", "carol", "carol's published environment", "1", "2")
	a.put(KindAMLRegEnvironmentVersion, a.reg+"/environments/carol-reg-env/versions/1", "1", regType("environments/versions"), "carol",
		a.environmentProps("carol"))
	a.putContainer(a.reg, regType("codes"), "codes", KindAMLRegCode, "bob-reg-code", "bob", "bob's published code", "1", "2")
	props := assetProps("bob's published code", "bob", false)
	props["codeUri"] = "https://regshared.blob.core.windows.net/" + a.g.guid() + "/bob-reg-code/1/src"
	a.put(KindAMLRegCodeVersion, a.reg+"/codes/bob-reg-code/versions/1", "1", regType("codes/versions"), "bob", props)
	props = assetProps("alice's fork of the shared feature code", "alice", false)
	props["codeUri"] = "https://regshared.blob.core.windows.net/" + a.g.guid() + "/reg-code/2/src"
	a.put(KindAMLRegCodeVersion, a.reg+"/codes/reg-code/versions/2", "2", regType("codes/versions"), "alice", props)
}

// deployment stores a deployment of owner's under endpoint.
func (a *amlSeeder) deployment(endpoint, kind, coll, name, owner, armKind string) {
	a.tracked(kind, endpoint+"/deployments/"+name, name, wsType(coll+"/deployments"), owner, armKind, obj{
		"description":       "Deployment of " + owner,
		"environmentId":     a.ws + "/environments/" + owner + "-env/versions/1",
		"instanceType":      "Standard_DS3_v2",
		"provisioningState": "Succeeded",
	})
}

// archivedVersion stores an asset version with properties.isArchived.
func (a *amlSeeder) archivedVersion(kind, id, typ, owner string, props obj) {
	props["isArchived"] = true
	a.put(kind, id, path.Base(id), typ, owner, props)
}
