package catalog

// Path prefixes shared by several rows.
const (
	sub  = "/subscriptions/{subscriptionId}"
	rg   = sub + "/resourceGroups/{resourceGroupName}"
	mmA  = rg + "/providers/Microsoft.MachineLearningModelManagement/accounts"
	mmD  = "/api" + sub + "/resourceGroups/{resourceGroupName}/accounts/{accountName}"
	expA = rg + "/providers/Microsoft.MachineLearningExperimentation/accounts"
	expW = expA + "/{accountName}/workspaces"
	expP = expW + "/{workspaceName}/projects"
	// proj is a project's path as the experimentation data planes spell it.
	proj = sub + "/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningExperimentation/accounts/{accountName}/workspaces/{workspaceName}/projects/{projectName}"
	hist = "/history/v1.0" + proj
	art  = "/artifact/v1.0" + proj
	mlsW = rg + "/providers/Microsoft.MachineLearningServices/workspaces"
	mlc  = sub + "/resourcegroups/{resourceGroupName}/providers/Microsoft.MachineLearningCompute/operationalizationClusters"
)

// API versions of the seed article.
const (
	apiResources       = "2021-04-01"
	apiModelManagement = "2017-09-01-preview"
	apiExperimentation = "2017-05-01-preview"
	apiServices2018    = "2018-03-01-preview"
	apiCompute2017     = "2017-06-01-preview"
)

// seedRows are the kinds of the seed article: Microsoft's "Export or delete
// your experimentation or model management data" (Workbench era).
var seedRows = []*Kind{
	{Name: "arm.subscription", Role: Scope, Host: ARM, Path: sub,
		Children: []string{"arm.resourcegroup"}},
	{Name: "arm.resourcegroup", Role: Scope, Host: ARM, Path: rg,
		List: sub + "/resourcegroups", APIVersion: apiResources, Key: "id",
		Children: []string{"mm.account", "exp.account", "aml.workspace", "mlc.cluster"}},

	// Model management: the hosting account on ARM, its documents on the
	// regional data plane. Services use images, images use manifests,
	// manifests use models: they are deleted in that order.
	{Name: "mm.account", Host: ARM, Path: mmA + "/{accountName}", List: mmA,
		APIVersion: apiModelManagement, Key: "id", Location: true,
		Children:    []string{"mm.model", "mm.manifest", "mm.service", "mm.image"},
		Delete:      Direct,
		DeleteOrder: [][]string{{"mm.service"}, {"mm.image"}, {"mm.manifest"}, {"mm.model"}},
		AsyncDelete: true},
	{Name: "mm.model", Host: ModelManagement, LocationFrom: "mm.account", Path: mmD + "/models/{modelId}", List: mmD + "/models",
		APIVersion: apiModelManagement, Shape: ShapeModelManagement, Key: "id", Delete: Direct},
	{Name: "mm.manifest", Host: ModelManagement, LocationFrom: "mm.account", Path: mmD + "/manifests/{manifestId}", List: mmD + "/manifests",
		APIVersion: apiModelManagement, Shape: ShapeModelManagement, Key: "id", Delete: Direct},
	{Name: "mm.service", Host: ModelManagement, LocationFrom: "mm.account", Path: mmD + "/services/{serviceName}", List: mmD + "/services",
		APIVersion: apiModelManagement, Shape: ShapeModelManagement, Key: "id", Delete: Direct},
	{Name: "mm.image", Host: ModelManagement, LocationFrom: "mm.account", Path: mmD + "/images/{imageId}", List: mmD + "/images",
		APIVersion: apiModelManagement, Shape: ShapeModelManagement, Key: "id", Delete: Direct},

	// Experimentation: account > workspace > project on ARM. Deleting a
	// project deletes its run history, artifacts and notifications.
	{Name: "exp.account", Host: ARM, Path: expA + "/{accountName}", List: expA,
		APIVersion: apiExperimentation, Key: "id", Location: true,
		Children: []string{"exp.workspace"}, Delete: Direct, DeleteOrder: [][]string{{"exp.workspace"}}},
	{Name: "exp.workspace", Host: ARM, Path: expW + "/{workspaceName}", List: expW,
		APIVersion: apiExperimentation, Key: "id",
		Children: []string{"exp.project"}, Delete: Direct, DeleteOrder: [][]string{{"exp.project"}}},
	{Name: "exp.project", Host: ARM, Path: expP + "/{projectName}", List: expP,
		APIVersion: apiExperimentation, Key: "id", Delete: Direct,
		Children: []string{"exp.run", "exp.experiment", "exp.runmetric", "exp.asset", "exp.notification"}},

	// Run history, artifact and notification data planes (no api-version).
	{Name: "exp.run", Host: Experiments, LocationFrom: "exp.account", Path: hist + "/runs/{runId}", List: hist + "/runs",
		Shape: ShapeContinuation, TokenParam: "$continuationtoken", Key: "runId", Delete: ViaParent,
		Children: []string{"exp.runartifact", "exp.artifactmeta"}},
	{Name: "exp.experiment", Host: Experiments, LocationFrom: "exp.account", Path: hist + "/experiments/{experimentId}", List: hist + "/experiments",
		Shape: ShapeContinuation, TokenParam: "$continuationtoken", Key: "experimentId", Delete: ViaParent},
	{Name: "exp.runmetric", Host: Experiments, LocationFrom: "exp.account", Path: hist + "/runmetrics/{metricId}", List: hist + "/runmetrics",
		Shape: ShapeContinuation, TokenParam: "$continuationtoken", Key: "metricId", WriteItems: true, Delete: ViaParent},
	{Name: "exp.runartifact", Host: Experiments, LocationFrom: "exp.account", Path: hist + "/runs/{runId}/artifacts/{path...}", List: hist + "/runs/{runId}/artifacts",
		Shape: ShapeContinuation, TokenParam: "$continuationtoken", Key: "path", WriteItems: true,
		PerItem: []string{"exp.artifacturi"}, Delete: ViaParent},
	{Name: "exp.artifacturi", Host: Experiments, LocationFrom: "exp.account", Path: hist + "/runs/{runId}/artifacturi/{path...}",
		Get: hist + "/runs/{runId}/artifacturi", GetQuery: map[string]string{"name": "path"}, Delete: ViaParent},
	{Name: "exp.asset", Host: Experiments, LocationFrom: "exp.account", Path: art + "/assets/name/{name}", List: art + "/assets",
		Shape: ShapeContinuation, TokenParam: "continuationToken", Key: "name", Delete: ViaParent},
	// A run's artifact container: each artifact's metadata is written as
	// listed, and its content info (exp.artifact) is read per item.
	{Name: "exp.artifactmeta", Host: Experiments, LocationFrom: "exp.account", Path: art + "/artifacts/origins/{origin}/containers/{runId}/{path...}",
		List:  art + "/artifacts/origins/{origin}/containers/{runId}",
		Fixed: map[string]string{"origin": "ExperimentRun"},
		Shape: ShapeContinuation, TokenParam: "continuationToken", Key: "path", WriteItems: true,
		PerItem: []string{"exp.artifact"}, Delete: ViaParent},
	{Name: "exp.artifact", Host: Experiments, LocationFrom: "exp.account", Path: art + "/artifacts/contentinfo/ExperimentRun/{runId}/{path...}",
		List:  art + "/artifacts/origins/{origin}/containers/{runId}",
		Fixed: map[string]string{"origin": "ExperimentRun"},
		Shape: ShapeContinuation, TokenParam: "continuationToken", Key: "path", Content: true, Delete: ViaParent},
	{Name: "exp.notification", Host: Experiments, LocationFrom: "exp.account", Path: "/notification/v1.0" + proj + "/users/{objectId}/jobs/{id}",
		List:  "/notification/v1.0" + proj + "/users/{objectId}/jobs",
		Shape: ShapeContinuation, TokenParam: "$continuationtoken", Key: "id", WriteItems: true,
		NeedsObjectID: true, Owner: PerUser, Delete: ViaParent},

	// The seed's computes row, at the preview api-version the article
	// prints. Today's row (aml.compute) supersedes it: discovery reads
	// computes, and deletes them, through the current API.
	{Name: "mls.compute", Host: ARM, Path: mlsW + "/{workspaceName}/computes/{computeName}", List: mlsW + "/{workspaceName}/computes",
		APIVersion: apiServices2018, Key: "id", SupersededBy: "aml.compute"},
	// Operationalization clusters: export only in the seed.
	{Name: "mlc.cluster", Host: ARM, Path: mlc + "/{clusterName}", List: mlc,
		APIVersion: apiCompute2017, Key: "id"},
}
