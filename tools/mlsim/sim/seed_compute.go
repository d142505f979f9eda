package sim

import "fmt"

// seedMLServices loads an ML services workspace (location eastus) with its
// computes, alternately AKS and BatchAI.
func (s *Server) seedMLServices(g *gen, rgPath, short string, scale int) {
	name := "dsr-mls-" + short
	ws := rgPath + "/providers/" + nsMLS + "/workspaces/" + name
	wsID := g.guid()
	created := g.when()
	doc := armResource(ws, name, nsMLS+"/workspaces", "eastus", obj{
		"workspaceId":         wsID,
		"description":         "ML services workspace of " + short,
		"friendlyName":        "DSR " + short,
		"creationTime":        created,
		"batchaiWorkspace":    rgPath + "/providers/Microsoft.BatchAI/workspaces/dsrbatchai" + short,
		"keyVault":            rgPath + "/providers/Microsoft.KeyVault/vaults/dsrmlskv" + short,
		"applicationInsights": rgPath + "/providers/microsoft.insights/components/dsrmlsai" + short,
		"containerRegistry":   rgPath + "/providers/Microsoft.ContainerRegistry/registries/dsrmlsacr" + short,
		"storageAccount":      rgPath + "/providers/Microsoft.Storage/storageAccounts/dsrmlssa" + short,
		"discoveryUrl":        "https://eastus.experiments.azureml.net/discovery",
	})
	doc["systemData"] = adminSystemData(created, created)
	s.putDoc(KindAMLWorkspace, ws, doc)
	for i := range computesPerWorkspace * scale {
		if i%2 == 0 {
			s.seedAKS(g, rgPath, ws, fmt.Sprintf("aks-%02d", i+1))
		} else {
			s.seedBatchAI(g, rgPath, ws, fmt.Sprintf("batchai-%02d", i+1))
		}
	}
}

// computeProps are the properties every compute type shares.
func computeProps(g *gen, computeType, resourceID string) obj {
	created := g.when()
	return obj{
		"computeType":        computeType,
		"computeLocation":    "eastus",
		"provisioningState":  "Succeeded",
		"description":        "Simulated " + computeType + " compute",
		"createdOn":          created,
		"modifiedOn":         g.when(),
		"resourceId":         resourceID,
		"provisioningErrors": []any{},
	}
}

// seedAKS stores an AKS compute.
func (s *Server) seedAKS(g *gen, rgPath, ws, name string) {
	path := ws + "/computes/" + name
	props := computeProps(g, "AKS", rgPath+"/providers/Microsoft.ContainerService/managedClusters/"+name+"-"+g.hex(13))
	props["properties"] = obj{
		"clusterFqdn":    name + "-" + g.hex(8) + ".hcp.eastus.azmk8s.io",
		"systemServices": []obj{{"systemServiceType": "ScoringFrontEnd", "publicIpAddress": "52.170.0.10", "version": "1.0"}},
		"agentCount":     3,
		"agentVMSize":    "Standard_D3_v2",
	}
	s.putDoc(KindAMLCompute, path, legacyCompute(path, name, props))
}

// seedBatchAI stores a BatchAI compute.
func (s *Server) seedBatchAI(g *gen, rgPath, ws, name string) {
	path := ws + "/computes/" + name
	props := computeProps(g, "BatchAI", rgPath+"/providers/Microsoft.BatchAI/clusters/"+name+"-"+g.hex(13))
	props["properties"] = obj{
		"vmSize":        "STANDARD_NC6",
		"vmPriority":    "dedicated",
		"scaleSettings": obj{"maxNodeCount": 4, "minNodeCount": 0, "autoScaleEnabled": true},
	}
	s.putDoc(KindAMLCompute, path, legacyCompute(path, name, props))
}

// legacyCompute is the document of a seed compute: the ARM envelope with
// systemData naming the admin, its times those of the compute.
func legacyCompute(path, name string, props obj) obj {
	doc := armResource(path, name, nsMLS+"/workspaces/computes", "eastus", props)
	doc["systemData"] = adminSystemData(props["createdOn"].(string), props["modifiedOn"].(string))
	return doc
}

// adminSystemData is the systemData of a seed ML services resource: created
// and last modified by the admin (UPN), at the resource's own times, so
// that adding it drew nothing from the generator and left every other
// value of the seed as it was.
func adminSystemData(created, modified string) obj {
	return obj{
		"createdAt":          created,
		"createdBy":          AdminName,
		"createdByType":      "User",
		"lastModifiedAt":     modified,
		"lastModifiedBy":     AdminName,
		"lastModifiedByType": "User",
	}
}

// seedClusters stores the operationalization clusters of a resource group
// and returns their ARM ids. Their catalog paths spell "resourcegroups" in
// lower case, as the catalog and the spec's path do; their ids spell
// "resourceGroups", as ARM does.
func (s *Server) seedClusters(g *gen, rg, short string, scale int) []string {
	var ids []string
	for i := range clustersPerGroup * scale {
		name := fmt.Sprintf("opcluster-%02d", i+1)
		tail := "/providers/" + nsMLC + "/operationalizationClusters/" + name
		id := "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg + tail
		path := "/subscriptions/" + SubscriptionID + "/resourcegroups/" + rg + tail
		ids = append(ids, id)
		created := g.when()
		sa := "dsr" + short + hexDigest(id)
		s.putDoc(KindCluster, path, armResource(id, name, nsMLC+"/operationalizationClusters", "eastus", obj{
			"description":       "Operationalization cluster " + name,
			"createdOn":         created,
			"modifiedOn":        g.when(),
			"provisioningState": "Succeeded",
			"clusterType":       "ACS",
			"storageAccount": obj{
				"resourceId": "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.Storage/storageAccounts/" + sa,
			},
			"containerRegistry": obj{
				"resourceId": "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerRegistry/registries/" + sa,
			},
			"containerService": obj{
				"clusterFqdn":      name + g.hex(6) + ".eastus.cloudapp.azure.com",
				"orchestratorType": "Kubernetes",
				"orchestratorProperties": obj{
					"servicePrincipal": obj{"clientId": g.guid(), "secret": "<secret>"},
				},
				"systemServices": []string{"Scoring", "Batch"},
				"agentCount":     2,
				"agentVmSize":    "Standard_D2_v2",
			},
			"appInsights": obj{"appId": g.guid(), "apiKey": g.hex(24)},
			"globalServiceConfiguration": obj{
				"ssl":       obj{"status": "Enabled", "cert": "c2ltdWxhdGVkLWNlcnQ=", "key": "c2ltdWxhdGVkLWtleQ=="},
				"autoScale": obj{"status": "Enabled", "minReplicas": 1, "maxReplicas": 100},
			},
		}))
	}
	return ids
}
