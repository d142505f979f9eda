package catalog

// Today's Azure ML: Microsoft.MachineLearningServices, stable api-version
// apiCurrent (the 2024-04-01 specs; newer stables keep these operations'
// semantics, so moving on is a change of this one value).
const apiCurrent = "2024-04-01"

const (
	mls  = rg + "/providers/Microsoft.MachineLearningServices"
	amlW = mls + "/workspaces/{workspaceName}"
	amlR = mls + "/registries/{registryName}"
)

var (
	allViews    = map[string]string{"listViewType": "All"}
	purge       = map[string]string{"forceToPurge": "true"}
	deleteUnder = map[string]string{"underlyingResourceAction": "Delete"}
)

// asset returns the container and version rows of a workspace or registry
// asset type (models, data, environments, components, codes). Versions go
// before their container.
// Lists that take listViewType are asked for All, so archived assets are
// not missed; the others list everything anyway.
func asset(prefix, base, segment, containerParam string, async, views bool) []*Kind {
	var q map[string]string
	if views {
		q = allViews
	}
	container := base + "/" + segment + "/{" + containerParam + "}"
	version := &Kind{Name: prefix + "version", Host: ARM, Path: Template(container + "/versions/{version}"), List: Template(container + "/versions"),
		APIVersion: apiCurrent, Key: "id", ListQuery: q, Owner: SystemData, Delete: Direct, AsyncDelete: async}
	c := &Kind{Name: prefix, Host: ARM, Path: Template(container), List: Template(base + "/" + segment),
		APIVersion: apiCurrent, Key: "id", ListQuery: q, Owner: SystemData, Children: []string{version.Name},
		Delete: Direct, DeleteOrder: [][]string{{version.Name}}, AsyncDelete: async}
	return []*Kind{c, version}
}

func currentRows() []*Kind {
	rows := []*Kind{
		{Name: "aml.workspace", Host: ARM, Path: amlW, List: mls + "/workspaces", APIVersion: apiCurrent, Key: "id", Location: true,
			Shared: true, Children: []string{"aml.schedule", "aml.onlineendpoint", "aml.batchendpoint", "aml.job",
				"aml.model", "aml.data", "aml.environment", "aml.component", "aml.code", "aml.compute", "aml.datastore", "aml.connection"},
			Delete: Direct, AsyncDelete: true, DeleteQuery: purge,
			DeleteOrder: [][]string{{"aml.schedule"}, {"aml.onlineendpoint", "aml.batchendpoint"}, {"aml.job"},
				{"aml.model", "aml.data", "aml.environment", "aml.component", "aml.code", "aml.connection"}, {"aml.compute"}}},
		{Name: "aml.compute", Host: ARM, Path: amlW + "/computes/{computeName}", List: amlW + "/computes", APIVersion: apiCurrent, Key: "id",
			Owner: ComputeUser, Delete: Direct, AsyncDelete: true, DeleteQuery: deleteUnder},
		{Name: "aml.job", Host: ARM, Path: amlW + "/jobs/{id}", List: amlW + "/jobs", APIVersion: apiCurrent, Key: "id",
			ListQuery: allViews, Owner: SystemData, Delete: Direct, AsyncDelete: true},
		{Name: "aml.schedule", Host: ARM, Path: amlW + "/schedules/{name}", List: amlW + "/schedules", APIVersion: apiCurrent, Key: "id",
			ListQuery: allViews, Owner: SystemData, Delete: Direct, AsyncDelete: true},
		{Name: "aml.onlineendpoint", Host: ARM, Path: amlW + "/onlineEndpoints/{endpointName}", List: amlW + "/onlineEndpoints", APIVersion: apiCurrent, Key: "id",
			Owner: SystemData, Children: []string{"aml.onlinedeployment"}, Delete: Direct, AsyncDelete: true, DeleteOrder: [][]string{{"aml.onlinedeployment"}}},
		{Name: "aml.onlinedeployment", Host: ARM, Path: amlW + "/onlineEndpoints/{endpointName}/deployments/{deploymentName}",
			List: amlW + "/onlineEndpoints/{endpointName}/deployments", APIVersion: apiCurrent, Key: "id", Owner: SystemData, Delete: Direct, AsyncDelete: true},
		{Name: "aml.batchendpoint", Host: ARM, Path: amlW + "/batchEndpoints/{endpointName}", List: amlW + "/batchEndpoints", APIVersion: apiCurrent, Key: "id",
			Owner: SystemData, Children: []string{"aml.batchdeployment"}, Delete: Direct, AsyncDelete: true, DeleteOrder: [][]string{{"aml.batchdeployment"}}},
		{Name: "aml.batchdeployment", Host: ARM, Path: amlW + "/batchEndpoints/{endpointName}/deployments/{deploymentName}",
			List: amlW + "/batchEndpoints/{endpointName}/deployments", APIVersion: apiCurrent, Key: "id", Owner: SystemData, Delete: Direct, AsyncDelete: true},
		// Datastores are shared context and go with the workspace's purge;
		// a connection belongs to its creator and is deleted on its own.
		{Name: "aml.datastore", Host: ARM, Path: amlW + "/datastores/{name}", List: amlW + "/datastores", APIVersion: apiCurrent, Key: "id",
			Shared: true, Delete: ViaParent},
		{Name: "aml.connection", Host: ARM, Path: amlW + "/connections/{connectionName}", List: amlW + "/connections", APIVersion: apiCurrent, Key: "id",
			Owner: SystemData, Delete: Direct},
		// Registries are shared across workspaces: visited only when a
		// request targets one. Their asset deletes are long-running.
		{Name: "aml.registry", Host: ARM, Path: amlR, List: mls + "/registries", APIVersion: apiCurrent, Key: "id",
			Shared: true, Children: []string{"aml.registry.model", "aml.registry.data", "aml.registry.environment", "aml.registry.component", "aml.registry.code"},
			Delete: Direct, AsyncDelete: true,
			DeleteOrder: [][]string{{"aml.registry.model", "aml.registry.data", "aml.registry.environment", "aml.registry.component", "aml.registry.code"}}},
	}
	type assetType struct {
		segment, param string
		views          bool // the list takes listViewType
	}
	for _, a := range []assetType{{"models", "name", true}, {"data", "name", true}, {"environments", "name", true}, {"components", "name", true}, {"codes", "name", false}} {
		rows = append(rows, asset("aml."+singular(a.segment), amlW, a.segment, a.param, false, a.views)...)
	}
	for _, a := range []assetType{{"models", "modelName", true}, {"data", "name", true}, {"environments", "environmentName", true}, {"components", "componentName", false}, {"codes", "codeName", false}} {
		rows = append(rows, asset("aml.registry."+singular(a.segment), amlR, a.segment, a.param, true, a.views)...)
	}
	return rows
}

func singular(segment string) string {
	switch segment {
	case "data":
		return "data"
	case "codes":
		return "code"
	default:
		return segment[:len(segment)-1]
	}
}
