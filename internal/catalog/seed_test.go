package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

// seedArticle holds every URL template that the seed article ("Export or
// delete your experimentation or model management data", Azure Machine
// Learning Workbench, 2018-05-22) prints, verbatim, with the kind that
// serves it and whether it is the collection (list) or one item.
var seedArticle = []struct {
	url  string
	kind string
	list bool
}{
	// Delete account data with the REST API
	{"https://management.azure.com/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.MachineLearningModelManagement/accounts/{account-name}?api-version=2017-09-01-preview", "mm.account", false},
	{`https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/models?api-version=2017-09-01-preview"`, "mm.model", true},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/models/{modelId}?api-version=2017-09-01-preview", "mm.model", false},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/manifests?api-version=2017-09-01-preview", "mm.manifest", true},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/manifests/{manifestId}?api-version=2017-09-01-preview", "mm.manifest", false},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/services?api-version=2017-09-01-preview", "mm.service", true},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/services/{serviceName}?api-version=2017-09-01-preview", "mm.service", false},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/images?api-version=2017-09-01-preview", "mm.image", true},
	{"https://{location}.modelmanagement.azureml.net/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/accounts/{accountName}/images/{imageId}?api-version=2017-09-01-preview", "mm.image", false},
	{"https://management.azure.com/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.MachineLearningExperimentation/accounts/{account-name}/workspaces/{workspace-name}/projects/{project-name}?api-version=2017-05-01-preview", "exp.project", false},
	{"https://management.azure.com/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.MachineLearningExperimentation/accounts/{account-name}/workspaces/{workspace-name}?api-version=2017-05-01-preview", "exp.workspace", false},
	{"https://management.azure.com/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.MachineLearningExperimentation/accounts/{account-name}?api-version=2017-05-01-preview", "exp.account", false},

	// Export service data with the REST API
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningModelManagement/accounts/{accountName}?api-version=2017-09-01-preview", "mm.account", false},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes?api-version=2018-03-01-preview", "mls.compute", true},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{compute-name}?api-version=2018-03-01-preview", "mls.compute", false},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.MachineLearningCompute/operationalizationClusters?api-version=2017-06-01-preview", "mlc.cluster", true},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.MachineLearningCompute/operationalizationClusters/{clusterName}?api-version=2017-06-01-preview", "mlc.cluster", false},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runs", "exp.run", true},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/experiments", "exp.experiment", true},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runs/{runId}", "exp.run", false},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runmetrics", "exp.runmetric", true},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/experiments/{experimentId}", "exp.experiment", false},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runs/{runId}/artifacts", "exp.runartifact", true},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runs/{runId}/artifacturi?name={artifactName}", "exp.artifacturi", false},
	{"https://{location}.experiments.azureml.net/artifact/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/assets", "exp.asset", true},
	{"https://{location}.experiments.azureml.net/artifact/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/artifacts/origins/{origin}/containers/{runId}", "exp.artifact", true},
	{"https://{location}.experiments.azureml.net/artifact/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/artifacts/origins/{origin}/containers/{runId}", "exp.artifactmeta", true},
	{"https://{location}.experiments.azureml.net/artifact/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/artifacts/contentinfo/ExperimentRun/{runId}/{artifactPath}", "exp.artifact", false},
	{"https://{location}.experiments.azureml.net/history/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/runs/{runId}/artifacts", "exp.runartifact", true},
	{"https://{location}.experiments.azureml.net/artifact/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/assets/name/{name}", "exp.asset", false},
	{"https://{location}.experiments.azureml.net/notification/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}/users/{objectId}/jobs", "exp.notification", true},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}?api-version=2017-05-01-preview", "exp.account", false},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}?api-version=2017-05-01-preview", "exp.workspace", false},
	{"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}?api-version=2017-05-01-preview", "exp.project", false},
}

// sample values for the article's placeholders; the article spells some
// names two ways ({subscription-id} and {subscriptionId}).
var sample = map[string]string{
	"subscription-id": "00000000-1111-2222-3333-444444444444", "subscriptionId": "00000000-1111-2222-3333-444444444444",
	"resource-group": "rg-dsr", "resourceGroupName": "rg-dsr",
	"account-name": "acct-1", "accountName": "acct-1",
	"workspace-name": "ws-1", "workspaceName": "ws-1",
	"project-name": "proj-1", "projectName": "proj-1",
	"modelId": "model-1", "manifestId": "manifest-1", "serviceName": "svc-1", "imageId": "image-1",
	"compute-name": "cpu-cluster", "clusterName": "aks-1",
	"runId": "run-7", "experimentId": "exp-3", "name": "asset-1",
	"artifactName": "model.pkl", "artifactPath": "outputs/model.pkl", "origin": "ExperimentRun",
	"objectId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "location": "eastus",
	"metricId": "metric-1", "jobId": "job-1",
}

// expand substitutes the sample values; the article's first model list
// ends in a stray '"' (a typo in the article), which is not part of the URL.
func expand(t *testing.T, tmpl string) string {
	t.Helper()
	s := strings.TrimSuffix(tmpl, `"`)
	for k, v := range sample {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	if strings.Contains(s, "{") {
		t.Fatalf("placeholder left in %q", s)
	}
	return s
}

// chain builds the ref of kind the way discovery reaches it: from the
// resource group down, one list item at a time.
func chain(t *testing.T, kind string) Ref {
	t.Helper()
	rgRef, err := ParseTarget("/subscriptions/" + sample["subscriptionId"] + "/resourceGroups/" + sample["resourceGroupName"])
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string]string{
		"mm.account": "arm.resourcegroup", "mm.model": "mm.account", "mm.manifest": "mm.account",
		"mm.service": "mm.account", "mm.image": "mm.account",
		"exp.account": "arm.resourcegroup", "exp.workspace": "exp.account", "exp.project": "exp.workspace",
		"exp.run": "exp.project", "exp.experiment": "exp.project", "exp.runmetric": "exp.project",
		"exp.asset": "exp.project", "exp.notification": "exp.project", "exp.runartifact": "exp.run",
		"exp.artifact": "exp.run", "exp.artifactmeta": "exp.run", "exp.artifacturi": "exp.runartifact",
		"aml.workspace": "arm.resourcegroup", "mls.compute": "aml.workspace", "mlc.cluster": "arm.resourcegroup",
	}
	keys := map[string]string{
		"mm.account": "accountName", "mm.model": "modelId", "mm.manifest": "manifestId", "mm.service": "serviceName",
		"mm.image": "imageId", "exp.account": "accountName", "exp.workspace": "workspaceName", "exp.project": "projectName",
		"exp.run": "runId", "exp.experiment": "experimentId", "exp.asset": "name", "exp.artifact": "artifactPath", "exp.artifactmeta": "artifactPath",
		"exp.runartifact": "artifactName", "aml.workspace": "workspaceName", "mls.compute": "compute-name", "mlc.cluster": "clusterName",
		"exp.runmetric": "metricId", "exp.notification": "jobId",
	}
	if kind == "arm.resourcegroup" {
		return rgRef
	}
	parent := chain(t, parents[kind])
	k := Lookup(kind)
	if k.List == "" { // reached per item of its parent (artifact URIs)
		path, err := k.Path.Build(parent.Params)
		if err != nil {
			t.Fatal(err)
		}
		return Ref{Kind: k, Path: path, Params: parent.Params}
	}
	listPath, err := parent.ListPath(k, map[string]string{"objectId": sample["objectId"]})
	if err != nil {
		t.Fatal(err)
	}
	key := sample[keys[kind]]
	if k.Host == ARM {
		key = listPath + "/" + key
	}
	item, _ := json.Marshal(map[string]string{k.Key: key})
	ref, err := Item(k, listPath, item)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return ref
}

func TestCatalogProducesEverySeedURL(t *testing.T) {
	e := DefaultEndpoints()
	for _, c := range seedArticle {
		want := expand(t, c.url)
		ref := chain(t, c.kind)
		var got string
		if c.list {
			parent := chain(t, map[bool]string{true: "exp.run", false: "exp.project"}[c.kind == "exp.runartifact" || c.kind == "exp.artifact" || c.kind == "exp.artifactmeta"])
			if strings.HasPrefix(c.kind, "mm.") && c.kind != "mm.account" {
				parent = chain(t, "mm.account")
			}
			switch c.kind {
			case "mls.compute":
				parent = chain(t, "aml.workspace")
			case "mlc.cluster":
				parent = chain(t, "arm.resourcegroup")
			}
			listPath, err := parent.ListPath(ref.Kind, map[string]string{"objectId": sample["objectId"]})
			if err != nil {
				t.Fatal(err)
			}
			u, err := e.URL(ref.Kind, ref.Kind.List, listPath, sample["location"], nil)
			if err != nil {
				t.Fatal(err)
			}
			got = u.String()
		} else {
			u, err := e.ItemURL(ref, sample["location"])
			if err != nil {
				t.Fatal(err)
			}
			got = u.String()
		}
		if got != want {
			t.Errorf("%s (list=%v):\n got %s\nwant %s", c.kind, c.list, got, want)
		}
		if !e.Allowed(mustParse(t, got)) {
			t.Errorf("%s: the catalog's own URL %s is not allowed a token", c.kind, got)
		}
	}
}

// Every row of the catalog that the seed article covers appears in the
// table above, so no row is left unproved.
func TestEverySeedRowIsInTheArticleTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range seedArticle {
		seen[c.kind] = true
	}
	for _, k := range Kinds() {
		if k.Role == Scope || k.APIVersion == apiCurrent {
			continue // not printed by the article: discovery, or today's API
		}
		if !seen[k.Name] {
			t.Errorf("catalog row %s has no URL of the seed article", k.Name)
		}
	}
}
