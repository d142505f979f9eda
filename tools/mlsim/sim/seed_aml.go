package sim

import (
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// The current-API data set: resource group rg-aml with workspace ws-shared,
// where alice, bob and carol keep their own jobs, schedules, assets,
// endpoints and compute instances next to shared items of the admin and a
// pipeline service principal, and registry reg-shared (README, "The data
// set"). It is fixed: -scale does not change it, and -seed only changes
// the GUIDs and times it holds.

// Layouts of the current API's times: systemData (as the mfe examples) and
// compute createdOn/modifiedOn (as the compute examples).
const (
	sysTimeLayout     = "2006-01-02T15:04:05.000Z"
	computeTimeLayout = "2006-01-02T15:04:05.0000000+00:00"
)

// amlSeeder builds the current-API data set.
type amlSeeder struct {
	s *Server
	g *gen

	rg, ws, reg string // ARM ids
	cluster     string // the AmlCompute cluster's id
	storage     string // the workspace storage account's name
	blobstore   string // the workspaceblobstore container
}

// seedAML loads the current-API data set. Its generator is independent of
// the seed scenario's, so the seed scenario's documents do not depend on
// it.
func (s *Server) seedAML(seed int64) {
	rg := "/subscriptions/" + SubscriptionID + "/resourceGroups/" + AMLResourceGroup
	a := &amlSeeder{
		s: s,
		g: &gen{
			seed:  seed,
			rng:   mrand.New(mrand.NewPCG(uint64(seed), 0x72672d616d6c)),
			clock: time.Date(2024, 5, 6, 8, 0, 0, 0, time.UTC),
		},
		rg:  rg,
		ws:  rg + "/providers/" + nsMLS + "/workspaces/" + AMLWorkspace,
		reg: rg + "/providers/" + nsMLS + "/registries/" + AMLRegistry,
	}
	a.cluster = a.ws + "/computes/cpu-cluster"
	a.storage = "wsshared" + a.g.hex(8)
	a.blobstore = "azureml-blobstore-" + a.g.guid()
	s.putDoc(KindResourceGroup, rg, obj{
		"id":         rg,
		"name":       AMLResourceGroup,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   "eastus",
		"tags":       obj{"purpose": "dsr-simulation"},
		"properties": obj{"provisioningState": "Succeeded"},
	})
	a.workspace()
	a.datastore("workspaceblobstore", "admin", true)
	a.amlCompute()
	people := []string{"alice", "bob", "carol"}
	for _, p := range people {
		a.computeInstance(p)
	}
	a.connection("admin-conn", "admin")
	a.container("environments", KindAMLEnvironment, "admin-env", "admin", "Base image for the admin's maintenance jobs", "1", "2")
	a.environmentVersion("admin-env", "1", "admin")
	for _, p := range people {
		a.personal(p)
	}
	a.datastore("bob-store", "bob", false)
	a.connection("carol-conn", "carol")
	a.job("admin-cleanup-1", "admin", "admin-env", "", false)
	a.container("models", KindAMLModel, "shared-model", "admin", "Churn model trained by the whole team", "4", "5")
	for i, p := range []string{"alice", "bob", "carol", "admin"} {
		a.modelVersion("shared-model", fmt.Sprint(i+1), p, "")
	}
	a.modelVersion("shared-model", "jobout-alice", PipelineSPName, "alice-train-1")
	// Another person with alice's display name: her job is named in
	// systemData exactly as alice's are; only its run history tells them
	// apart.
	a.job("alice2-train-1", "alice2", "admin-env", "", false)
	a.registry()
	if s.opts.Scenario == ScenarioPeople {
		a.people()
	}
}

// when advances the clock by 5 to 95 minutes and returns it.
func (a *amlSeeder) when() time.Time {
	a.g.clock = a.g.clock.Add(time.Duration(5+a.g.rng.IntN(90))*time.Minute + time.Duration(a.g.rng.IntN(1000))*time.Millisecond)
	return a.g.clock
}

// by is how systemData names a person, as Azure ML does: a user by display
// name, an application (the pipeline's service principal) by its id. Their
// object ids are in the run history (runhistory.go) and in compute
// instances' assignedUser.
func (a *amlSeeder) by(key string) string {
	p := person(key)
	if p.DisplayName == "" {
		return p.ObjectID
	}
	return p.DisplayName
}

// sys is the systemData of an item created now by key (and last modified
// by the same identity up to two days later).
func (a *amlSeeder) sys(key string) obj {
	created := a.when()
	modified := created.Add(time.Duration(a.g.rng.IntN(48*60)) * time.Minute)
	who, typ := a.by(key), person(key).Type
	return obj{
		"createdAt":          created.Format(sysTimeLayout),
		"createdBy":          who,
		"createdByType":      typ,
		"lastModifiedAt":     modified.Format(sysTimeLayout),
		"lastModifiedBy":     who,
		"lastModifiedByType": typ,
	}
}

// put stores an ARM envelope (id, name, type, properties, systemData) and
// returns it for tracked resources to complete.
func (a *amlSeeder) put(kind, id, name, typ, owner string, props obj) obj {
	doc := obj{"id": id, "name": name, "type": typ, "properties": props, "systemData": a.sys(owner)}
	a.putBy(kind, id, doc, owner)
	return doc
}

// tracked stores a tracked resource: the envelope plus location, tags,
// kind, identity and sku (as the endpoint examples have them).
func (a *amlSeeder) tracked(kind, id, name, typ, owner, armKind string, props obj) {
	doc := obj{
		"id": id, "name": name, "type": typ, "properties": props, "systemData": a.sys(owner),
		"location": "eastus",
		"tags":     obj{"project": "churn", "stage": "production"},
		"kind":     armKind,
		"identity": a.identity(),
		"sku":      obj{"name": "Default", "tier": "Standard", "size": "Standard_DS3_v2", "family": "DSv2", "capacity": 1},
	}
	a.putBy(kind, id, doc, owner)
}

// putBy stores a document created by owner, and notes who that is (the
// simulator's metadata: /_sim/resources' owner and the run history's
// createdBy), since systemData's display name may be someone else's too.
func (a *amlSeeder) putBy(kind, id string, doc obj, owner string) {
	a.s.putDoc(kind, id, doc)
	a.s.st.get(id, kind).creator = owner
}

// identity is a managed identity with the workspace's user-assigned one.
func (a *amlSeeder) identity() obj {
	return obj{
		"type":        "SystemAssigned,UserAssigned",
		"principalId": a.g.guid(),
		"tenantId":    TenantID,
		"userAssignedIdentities": obj{
			a.rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ws-shared-uai": obj{
				"principalId": a.g.guid(), "clientId": a.g.guid(),
			},
		},
	}
}

// wsType is the ARM type of a workspace child collection.
func wsType(coll string) string { return nsMLS + "/workspaces/" + coll }

// regType is the ARM type of a registry child collection.
func regType(coll string) string { return nsMLS + "/registries/" + coll }

func (a *amlSeeder) workspace() {
	uai := a.rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ws-shared-uai"
	kv := a.rg + "/providers/Microsoft.KeyVault/vaults/ws-shared-kv"
	doc := a.put(KindAMLWorkspace, a.ws, AMLWorkspace, nsMLS+"/workspaces", "admin", obj{
		"workspaceId":         a.g.guid(),
		"friendlyName":        "Shared workspace",
		"description":         "Workspace shared by the data science team",
		"containerRegistry":   a.rg + "/providers/Microsoft.ContainerRegistry/registries/wssharedacr",
		"keyVault":            kv,
		"applicationInsights": a.rg + "/providers/microsoft.insights/components/ws-shared-ai",
		"storageAccount":      a.rg + "/providers/Microsoft.Storage/storageAccounts/" + a.storage,
		"discoveryUrl":        "https://eastus.api.azureml.ms/discovery",
		"mlFlowTrackingUri":   "azureml://eastus.api.azureml.ms/mlflow/v1.0" + a.ws,
		"encryption": obj{
			"status":   "Enabled",
			"identity": obj{"userAssignedIdentity": uai},
			"keyVaultProperties": obj{
				"keyVaultArmId":    kv,
				"keyIdentifier":    "https://ws-shared-kv.vault.azure.net/keys/ws-cmk/" + a.g.hex(32),
				"identityClientId": "",
			},
		},
		"hbiWorkspace":                    false,
		"serviceProvisionedResourceGroup": "azureml-rg-ws-shared_" + a.g.guid(),
		"privateLinkCount":                1,
		"allowPublicAccessWhenBehindVnet": false,
		"publicNetworkAccess":             "Disabled",
		"imageBuildCompute":               "cpu-cluster",
		"privateEndpointConnections": []obj{{
			"id":   a.ws + "/privateEndpointConnections/ws-shared-pe",
			"name": "ws-shared-pe",
			"type": nsMLS + "/workspaces/privateEndpointConnections",
			"properties": obj{
				"provisioningState": "Succeeded",
				"privateEndpoint":   obj{"id": a.rg + "/providers/Microsoft.Network/privateEndpoints/ws-shared-pe"},
				"privateLinkServiceConnectionState": obj{
					"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None",
				},
			},
		}},
		"sharedPrivateLinkResources": []obj{{
			"name": "ws-shared-cosmos",
			"properties": obj{
				"privateLinkResourceId": a.rg + "/providers/Microsoft.DocumentDB/databaseAccounts/ws-shared-cosmos/privateLinkResources/Sql",
				"groupId":               "Sql",
				"requestMessage":        "Please approve",
				"status":                "Approved",
			},
		}},
		"provisioningState": "Succeeded",
		"tenantId":          TenantID,
		"v1LegacyMode":      false,
	})
	doc["location"] = "eastus"
	doc["tags"] = obj{"team": "data-science"}
	doc["kind"] = "Default"
	doc["sku"] = obj{"name": "Basic", "tier": "Basic"}
	doc["identity"] = obj{
		"type":                   "SystemAssigned,UserAssigned",
		"principalId":            a.g.guid(),
		"tenantId":               TenantID,
		"userAssignedIdentities": obj{uai: obj{"principalId": a.g.guid(), "clientId": a.g.guid()}},
	}
	a.s.putDoc(KindAMLWorkspace, a.ws, doc)
}

// compute stores a compute (created by the admin) with the shared
// properties of the compute examples.
func (a *amlSeeder) compute(name, computeType, description string, inner obj) {
	id := a.ws + "/computes/" + name
	sys := a.sys("admin")
	created, _ := time.Parse(sysTimeLayout, sys["createdAt"].(string))
	modified, _ := time.Parse(sysTimeLayout, sys["lastModifiedAt"].(string))
	a.s.putDoc(KindAMLCompute, id, obj{
		"id":       id,
		"name":     name,
		"type":     nsMLS + "/workspaces/computes",
		"location": "eastus",
		"tags":     obj{"team": "data-science"},
		"properties": obj{
			"description":        description,
			"createdOn":          created.Format(computeTimeLayout),
			"modifiedOn":         modified.Format(computeTimeLayout),
			"computeType":        computeType,
			"computeLocation":    "eastus",
			"provisioningState":  "Succeeded",
			"provisioningErrors": nil,
			"isAttachedCompute":  false,
			"disableLocalAuth":   true,
			"properties":         inner,
		},
		"systemData": sys,
	})
}

func (a *amlSeeder) subnet() obj {
	return obj{"id": a.rg + "/providers/Microsoft.Network/virtualNetworks/vnet-aml/subnets/training"}
}

func (a *amlSeeder) amlCompute() {
	a.compute("cpu-cluster", "AmlCompute", "Shared CPU training cluster", obj{
		"vmSize":                        "STANDARD_DS3_V2",
		"vmPriority":                    "Dedicated",
		"osType":                        "Linux",
		"virtualMachineImage":           nil,
		"isolatedNetwork":               false,
		"subnet":                        a.subnet(),
		"scaleSettings":                 obj{"maxNodeCount": 4, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT2M"},
		"remoteLoginPortPublicAccess":   "Disabled",
		"allocationState":               "Steady",
		"allocationStateTransitionTime": a.g.clock.Format("2006-01-02T15:04:05.000Z"),
		"errors":                        nil,
		"currentNodeCount":              0,
		"targetNodeCount":               0,
		"nodeStateCounts": obj{
			"preparingNodeCount": 0, "runningNodeCount": 0, "idleNodeCount": 0,
			"unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0,
		},
		"enableNodePublicIp": false,
	})
}

// computeInstance stores key's compute instance: created by the admin,
// assigned to key.
func (a *amlSeeder) computeInstance(key string) {
	name := key + "-ci"
	p := person(key)
	a.compute(name, "ComputeInstance", "Personal compute instance of "+p.UPN, obj{
		"vmSize":                   "STANDARD_DS3_V2",
		"subnet":                   a.subnet(),
		"applicationSharingPolicy": "Personal",
		"sshSettings":              obj{"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 50000},
		"osImageMetadata":          obj{"currentImageVersion": "24.04.15", "latestImageVersion": "24.05.06", "isLatestOsImageVersion": false},
		"customServices": []obj{{
			"docker":               obj{"privileged": false},
			"environmentVariables": obj{"RSTUDIO_WHICH_R": obj{"type": "local", "value": "/usr/bin/R"}},
			"volumes": []obj{{
				"type": "bind", "readOnly": false,
				"source": "/home/azureuser/cloudfiles", "target": "/home/azureuser/cloudfiles",
			}},
			"endpoints": []obj{{"name": "connect", "target": 8787, "published": 8787, "protocol": "http"}},
			"image":     obj{"type": "docker", "reference": "ghcr.io/azure/rocker-rstudio-ml-verse:latest"},
			"name":      "rstudio",
		}},
		"computeInstanceAuthorizationType": "personal",
		"personalComputeInstanceSettings": obj{
			"assignedUser": obj{"objectId": p.ObjectID, "tenantId": TenantID},
		},
		"createdBy": obj{"userName": AdminUPN, "userOrgId": TenantID, "userId": AdminObjectID},
		"connectivityEndpoints": obj{
			"publicIpAddress":  fmt.Sprintf("20.121.%d.%d", 10+a.g.rng.IntN(200), 10+a.g.rng.IntN(200)),
			"privateIpAddress": fmt.Sprintf("10.0.1.%d", 4+a.g.rng.IntN(200)),
		},
		"applications": []obj{
			{"displayName": "Jupyter", "endpointUri": "https://" + name + ".eastus.instances.azureml.ms/tree/"},
			{"displayName": "JupyterLab", "endpointUri": "https://" + name + ".eastus.instances.azureml.ms/lab"},
		},
		"errors": nil,
		"state":  "Running",
	})
}

// datastore stores an Azure Blob datastore. bob-store carries, on purpose,
// an account key in credentials.secrets.key (the real service never
// returns it; an exporter must not copy it).
func (a *amlSeeder) datastore(name, owner string, isDefault bool) {
	secrets := obj{"secretsType": "AccountKey"}
	account, container := a.storage, a.blobstore
	if name == "bob-store" {
		secrets["key"] = "sim-secret-key-DO-NOT-EXPORT"
		account, container = "bobdata"+a.g.hex(6), "experiments"
	}
	a.put(KindAMLDatastore, a.ws+"/datastores/"+name, name, wsType("datastores"), owner, obj{
		"description":                   "Blob container " + container + " of " + account,
		"tags":                          obj{"project": "churn"},
		"isDefault":                     isDefault,
		"properties":                    obj{},
		"credentials":                   obj{"credentialsType": "AccountKey", "secrets": secrets},
		"datastoreType":                 "AzureBlob",
		"accountName":                   account,
		"containerName":                 container,
		"endpoint":                      "core.windows.net",
		"protocol":                      "https",
		"serviceDataAccessAuthIdentity": "None",
		"subscriptionId":                SubscriptionID,
		"resourceGroup":                 AMLResourceGroup,
	})
}

// connection stores a workspace connection. carol-conn carries, on purpose,
// a personal access token in credentials.pat.
func (a *amlSeeder) connection(name, owner string) {
	props := obj{
		"authType":                "ManagedIdentity",
		"category":                "AzureBlob",
		"target":                  "https://contososhareddata.blob.core.windows.net/curated",
		"credentials":             obj{"clientId": a.g.guid(), "resourceId": a.rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ws-shared-uai"},
		"isSharedToAll":           true,
		"metadata":                obj{"containerName": "curated"},
		"group":                   "Azure",
		"expiryTime":              nil,
		"createdByWorkspaceArmId": a.ws,
	}
	if name == "carol-conn" {
		props["authType"], props["category"] = "PAT", "Git"
		props["target"] = "https://github.com/contoso/churn-model"
		props["credentials"] = obj{"pat": "sim-secret-pat-DO-NOT-EXPORT"}
		props["isSharedToAll"] = false
		props["metadata"] = obj{"branch": "main"}
		props["group"] = "GenericProtocol"
	}
	a.put(KindAMLConnection, a.ws+"/connections/"+name, name, wsType("connections"), owner, props)
}

// personal stores key's own items in ws-shared.
func (a *amlSeeder) personal(key string) {
	code, env, comp, data, model := key+"-code", key+"-env", key+"-component", key+"-data", key+"-model"
	a.container("codes", KindAMLCode, code, key, "Training scripts of "+key, "1", "2")
	a.codeVersion(code, "1", key)
	a.container("environments", KindAMLEnvironment, env, key, "Training environment of "+key, "1", "2")
	a.environmentVersion(env, "1", key)
	a.container("components", KindAMLComponent, comp, key, "Training step of "+key, "1", "2")
	a.componentVersion(comp, "1", key)
	a.container("data", KindAMLData, data, key, "Training data of "+key, "2", "3")
	a.dataVersion(data, "1", key, true)
	a.dataVersion(data, "2", key, false)
	for i := 1; i <= 3; i++ {
		a.job(fmt.Sprintf("%s-train-%d", key, i), key, env, code, i == 3)
	}
	a.container("models", KindAMLModel, model, key, "Churn model of "+key, "2", "3")
	a.modelVersion(model, "1", key, "")
	a.modelVersion(model, "2", key, "")
	a.schedule(key+"-nightly", key, env, code)
	a.onlineEndpoint(key+"-endpoint", key, model)
	if key == "alice" {
		a.batchEndpoint("alice-batch", key, model)
	}
}

// container stores an asset container of a workspace (or, with reg set, of
// the registry) with its latest and next version.
func (a *amlSeeder) container(coll, kind, name, owner, description, latest, next string) {
	a.putContainer(a.ws, wsType(coll), coll, kind, name, owner, description, latest, next)
}

func (a *amlSeeder) putContainer(parent, typ, coll, kind, name, owner, description, latest, next string) {
	props := obj{
		"description":       description,
		"tags":              obj{"project": "churn"},
		"properties":        obj{"project": "churn"},
		"isArchived":        false,
		"latestVersion":     latest,
		"nextVersion":       next,
		"provisioningState": "Succeeded",
	}
	if coll == "data" {
		props["dataType"] = "uri_folder"
	}
	a.put(kind, parent+"/"+coll+"/"+name, name, typ, owner, props)
}

// assetProps are the properties every asset version has.
func assetProps(description, owner string, archived bool) obj {
	return obj{
		"description":       description,
		"tags":              obj{"project": "churn"},
		"properties":        obj{"project": "churn"},
		"isAnonymous":       false,
		"isArchived":        archived,
		"provisioningState": "Succeeded",
	}
}

func (a *amlSeeder) datastoreURI(path string) string {
	return "azureml://subscriptions/" + SubscriptionID + "/resourcegroups/" + AMLResourceGroup +
		"/workspaces/" + AMLWorkspace + "/datastores/workspaceblobstore/paths/" + path
}

func (a *amlSeeder) codeVersion(name, version, owner string) {
	props := assetProps("Snapshot of the training scripts", owner, false)
	props["codeUri"] = "https://" + a.storage + ".blob.core.windows.net/" + a.blobstore + "/LocalUpload/" + a.g.hex(32) + "/src"
	a.put(KindAMLCodeVersion, a.ws+"/codes/"+name+"/versions/"+version, version, wsType("codes/versions"), owner, props)
}

// environmentProps follow EnvironmentVersion/get.json.
func (a *amlSeeder) environmentProps(owner string) obj {
	props := assetProps("Python 3.10 with scikit-learn and MLflow", owner, false)
	props["environmentType"] = "UserCreated"
	props["image"] = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20240418.v1"
	props["condaFile"] = "name: churn\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.10\n  - pip:\n      - scikit-learn==1.4.2\n      - mlflow==2.12.1\n      - azureml-mlflow==1.56.0\n"
	props["build"] = obj{
		"contextUri":     "https://" + a.storage + ".blob.core.windows.net/" + a.blobstore + "/DockerBuildContext/" + a.g.hex(32) + "/",
		"dockerfilePath": "Dockerfile",
	}
	props["osType"] = "Linux"
	props["inferenceConfig"] = obj{
		"livenessRoute":  obj{"path": "/", "port": 5001},
		"readinessRoute": obj{"path": "/", "port": 5001},
		"scoringRoute":   obj{"path": "/score", "port": 5001},
	}
	return props
}

func (a *amlSeeder) environmentVersion(name, version, owner string) {
	a.put(KindAMLEnvironmentVersion, a.ws+"/environments/"+name+"/versions/"+version, version,
		wsType("environments/versions"), owner, a.environmentProps(owner))
}

func (a *amlSeeder) componentVersion(name, version, owner string) {
	props := assetProps("Trains the churn model", owner, false)
	props["componentSpec"] = obj{
		"$schema":      "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json",
		"name":         name,
		"version":      version,
		"type":         "command",
		"display_name": "Train churn model",
		"inputs":       obj{"training_data": obj{"type": "uri_folder"}, "learning_rate": obj{"type": "number", "default": 0.01}},
		"outputs":      obj{"model_output": obj{"type": "uri_folder"}},
		"command":      "python train.py --data ${{inputs.training_data}} --lr ${{inputs.learning_rate}} --out ${{outputs.model_output}}",
		"environment":  "azureml:" + owner + "-env:1",
	}
	a.put(KindAMLComponentVersion, a.ws+"/components/"+name+"/versions/"+version, version,
		wsType("components/versions"), owner, props)
}

func (a *amlSeeder) dataVersion(name, version, owner string, archived bool) {
	props := assetProps("Customer churn extract "+version, owner, archived)
	props["dataType"] = "uri_folder"
	props["dataUri"] = a.datastoreURI("data/" + name + "/v" + version + "/")
	a.put(KindAMLDataVersion, a.ws+"/data/"+name+"/versions/"+version, version, wsType("data/versions"), owner, props)
}

// modelProps follow ModelVersion/get.json; jobName, when set, is the job
// that produced the model.
func (a *amlSeeder) modelProps(uri, owner, jobName string) obj {
	props := assetProps("Gradient-boosted churn classifier", owner, false)
	props["flavors"] = obj{"python_function": obj{"data": obj{"loader_module": "mlflow.sklearn", "python_version": "3.10.14"}}}
	props["modelType"] = "mlflow_model"
	props["modelUri"] = uri
	props["stage"] = "Development"
	if jobName != "" {
		props["jobName"] = jobName
	}
	return props
}

func (a *amlSeeder) modelVersion(name, version, owner, jobName string) {
	uri := a.datastoreURI("models/" + name + "/" + version + "/")
	if jobName != "" {
		uri = "azureml://jobs/" + jobName + "/outputs/artifacts/paths/model/"
	}
	a.put(KindAMLModelVersion, a.ws+"/models/"+name+"/versions/"+version, version, wsType("models/versions"), owner,
		a.modelProps(uri, owner, jobName))
}

// commandJob is the properties of a Command job, as Job/CommandJob/get.json.
func (a *amlSeeder) commandJob(name, owner, env, code string) obj {
	codeID := ""
	if code != "" {
		codeID = a.ws + "/codes/" + code + "/versions/1"
	}
	return obj{
		"description":    "Train the churn model",
		"tags":           obj{"project": "churn"},
		"properties":     obj{"azureml.git.branch": "main", "ContentSnapshotId": a.g.guid()},
		"displayName":    name,
		"experimentName": owner + "-churn",
		"services": obj{
			"Studio": obj{
				"jobServiceType": "Studio",
				"port":           443,
				"endpoint":       "https://ml.azure.com/runs/" + name + "?wsid=" + a.ws + "&tid=" + TenantID,
				"status":         "Completed",
				"errorMessage":   "",
				"properties":     obj{"tid": TenantID},
			},
		},
		"computeId":     a.cluster,
		"jobType":       "Command",
		"isArchived":    false,
		"resources":     obj{"instanceCount": 1, "instanceType": "Standard_DS3_v2", "properties": obj{"AISuperComputer": obj{"interactive": false}}},
		"codeId":        codeID,
		"command":       "python train.py --data ${{inputs.training_data}} --lr ${{inputs.learning_rate}} --out ${{outputs.model_output}}",
		"environmentId": a.ws + "/environments/" + env + "/versions/1",
		"inputs": obj{
			"learning_rate": obj{"description": "Learning rate", "jobInputType": "literal", "value": "0.01"},
			"training_data": obj{"description": "Training data", "jobInputType": "uri_folder", "mode": "ReadOnlyMount",
				"uri": a.datastoreURI("data/" + owner + "-data/v2/")},
		},
		"outputs": obj{
			"model_output": obj{"description": "Trained model", "jobOutputType": "uri_folder", "mode": "ReadWriteMount",
				"uri": a.datastoreURI("azureml/" + name + "/model_output/")},
		},
		"distribution":         obj{"distributionType": "TensorFlow", "workerCount": 2, "parameterServerCount": 1},
		"limits":               obj{"timeout": "PT2H", "jobLimitsType": "Command"},
		"environmentVariables": obj{"AZUREML_COMPUTE_USE_COMMON_RUNTIME": "true"},
		"identity":             obj{"identityType": "AMLToken"},
		"parameters":           obj{"learning_rate": "0.01"},
	}
}

func (a *amlSeeder) job(name, owner, env, code string, archived bool) {
	props := a.commandJob(name, owner, env, code)
	props["status"] = "Completed"
	props["isArchived"] = archived
	a.put(KindAMLJob, a.ws+"/jobs/"+name, name, wsType("jobs"), owner, props)
}

// schedule stores an enabled schedule that creates a Command job nightly.
func (a *amlSeeder) schedule(name, owner, env, code string) {
	def := a.commandJob(name+"-run", owner, env, code)
	delete(def, "services")
	delete(def, "parameters")
	a.put(KindAMLSchedule, a.ws+"/schedules/"+name, name, wsType("schedules"), owner, obj{
		"description": "Retrain the churn model every night",
		"tags":        obj{"project": "churn"},
		"properties":  obj{"project": "churn"},
		"displayName": name,
		"isEnabled":   true,
		"trigger": obj{
			"endTime":     "2025-05-10T02:00:00",
			"startTime":   "2024-05-10T02:00:00",
			"timeZone":    "UTC",
			"triggerType": "Cron",
			"expression":  "0 2 * * *",
		},
		"action":            obj{"actionType": "CreateJob", "jobDefinition": def},
		"provisioningState": "Succeeded",
	})
}

// scoringHost is the host of an endpoint's scoring URI.
func scoringHost(name string) string { return "https://" + name + ".eastus.inference.ml.azure.com" }

func (a *amlSeeder) onlineEndpoint(name, owner, model string) {
	id := a.ws + "/onlineEndpoints/" + name
	a.tracked(KindAMLOnlineEndpoint, id, name, wsType("onlineEndpoints"), owner, "Managed", obj{
		"description":         "Scores churn for the CRM",
		"properties":          obj{"AzureAsyncOperationUri": "https://management.azure.com/subscriptions/" + SubscriptionID + "/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/oe:" + a.g.guid()},
		"scoringUri":          scoringHost(name) + "/score",
		"swaggerUri":          scoringHost(name) + "/swagger.json",
		"authMode":            "Key",
		"provisioningState":   "Succeeded",
		"compute":             nil,
		"traffic":             obj{"blue": 100},
		"publicNetworkAccess": "Enabled",
	})
	a.tracked(KindAMLOnlineDeployment, id+"/deployments/blue", "blue", wsType("onlineEndpoints/deployments"), owner, "Managed", obj{
		"description":               "Current churn model",
		"properties":                obj{"AzureAsyncOperationUri": "https://management.azure.com/subscriptions/" + SubscriptionID + "/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/od:" + a.g.guid()},
		"codeConfiguration":         obj{"codeId": a.ws + "/codes/" + owner + "-code/versions/1", "scoringScript": "score.py"},
		"environmentId":             a.ws + "/environments/" + owner + "-env/versions/1",
		"environmentVariables":      obj{"WORKER_COUNT": "1"},
		"scaleSettings":             obj{"scaleType": "Default"},
		"requestSettings":           obj{"maxQueueWait": "PT0.5S", "requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
		"appInsightsEnabled":        true,
		"livenessProbe":             obj{"failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S"},
		"readinessProbe":            obj{"failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S"},
		"provisioningState":         "Succeeded",
		"instanceType":              "Standard_DS3_v2",
		"model":                     a.ws + "/models/" + model + "/versions/2",
		"endpointComputeType":       "Managed",
		"modelMountPath":            "/var/azureml-app/azureml-models",
		"egressPublicNetworkAccess": "Enabled",
	})
}

func (a *amlSeeder) batchEndpoint(name, owner, model string) {
	id := a.ws + "/batchEndpoints/" + name
	a.tracked(KindAMLBatchEndpoint, id, name, wsType("batchEndpoints"), owner, "Batch", obj{
		"description":       "Scores the whole customer base every week",
		"properties":        obj{"BatchEndpointCreationApiVersion": apiAML},
		"scoringUri":        "https://" + name + ".eastus.inference.ml.azure.com/jobs",
		"swaggerUri":        "https://" + name + ".eastus.inference.ml.azure.com/swagger.json",
		"authMode":          "AADToken",
		"defaults":          obj{"deploymentName": name + "-dep"},
		"provisioningState": "Succeeded",
	})
	a.tracked(KindAMLBatchDeployment, id+"/deployments/"+name+"-dep", name+"-dep", wsType("batchEndpoints/deployments"), owner, "Batch", obj{
		"description":               "Weekly churn scoring",
		"properties":                obj{"ComparisonRunId": a.g.guid()},
		"codeConfiguration":         obj{"codeId": a.ws + "/codes/" + owner + "-code/versions/1", "scoringScript": "batch_score.py"},
		"environmentId":             a.ws + "/environments/" + owner + "-env/versions/1",
		"environmentVariables":      obj{"AZUREML_BI_TEXT_ENCODING": "utf-8"},
		"compute":                   a.cluster,
		"errorThreshold":            -1,
		"retrySettings":             obj{"maxRetries": 3, "timeout": "PT5M"},
		"miniBatchSize":             10,
		"loggingLevel":              "Info",
		"model":                     obj{"referenceType": "Id", "assetId": a.ws + "/models/" + model + "/versions/2"},
		"maxConcurrencyPerInstance": 2,
		"outputAction":              "AppendRow",
		"outputFileName":            "predictions.csv",
		"resources":                 obj{"instanceCount": 2, "instanceType": "Standard_DS3_v2", "properties": obj{"AISuperComputer": obj{"interactive": false}}},
		"provisioningState":         "Succeeded",
	})
}

// registry stores reg-shared and its assets.
func (a *amlSeeder) registry() {
	mrg := "/subscriptions/" + SubscriptionID + "/resourceGroups/azureml-rg-reg-shared_" + a.g.guid()
	acr, sa := "regshared"+a.g.hex(8), "regshared"+a.g.hex(8)
	a.s.putDoc(KindAMLRegistry, a.reg, obj{
		"id":   a.reg,
		"name": AMLRegistry,
		"type": nsMLS + "/registries",
		"properties": obj{
			"discoveryUrl":                       "https://eastus.api.azureml.ms/registrymanagement/v1.0/registries/" + AMLRegistry + "/discovery",
			"intellectualPropertyPublisher":      "",
			"managedResourceGroup":               obj{"resourceId": mrg},
			"mlFlowRegistryUri":                  "azureml://eastus.api.azureml.ms/mlflow/v1.0" + a.reg,
			"registryPrivateEndpointConnections": []obj{},
			"publicNetworkAccess":                "Enabled",
			"regionDetails": []obj{{
				"location": "eastus",
				"acrDetails": []obj{{"systemCreatedAcrAccount": obj{
					"acrAccountName": acr, "acrAccountSku": "Premium",
					"armResourceId": obj{"resourceId": mrg + "/providers/Microsoft.ContainerRegistry/registries/" + acr},
				}}},
				"storageAccountDetails": []obj{{"systemCreatedStorageAccount": obj{
					"allowBlobPublicAccess": false, "storageAccountHnsEnabled": false,
					"storageAccountName": sa, "storageAccountType": "Standard_LRS",
					"armResourceId": obj{"resourceId": mrg + "/providers/Microsoft.Storage/storageAccounts/" + sa},
				}}},
			}},
		},
		"systemData": a.sys("admin"),
		"location":   "eastus",
		"tags":       obj{"team": "data-science"},
		"kind":       "",
		"identity":   obj{"type": "SystemAssigned", "principalId": a.g.guid(), "tenantId": TenantID},
		"sku":        obj{"name": "P3", "tier": "Basic"},
	})
	a.putContainer(a.reg, regType("models"), "models", KindAMLRegModel, "reg-model", "admin", "Churn model promoted for the whole company", "2", "3")
	for i, owner := range []string{"alice", "bob"} {
		v := fmt.Sprint(i + 1)
		a.put(KindAMLRegModelVersion, a.reg+"/models/reg-model/versions/"+v, v, regType("models/versions"), owner,
			a.modelProps("azureml://registries/"+AMLRegistry+"/models/reg-model/versions/"+v, owner, ""))
	}
	a.putContainer(a.reg, regType("environments"), "environments", KindAMLRegEnvironment, "reg-env", "admin", "Curated training environment", "1", "2")
	a.put(KindAMLRegEnvironmentVersion, a.reg+"/environments/reg-env/versions/1", "1", regType("environments/versions"), "carol",
		a.environmentProps("carol"))
	a.putContainer(a.reg, regType("codes"), "codes", KindAMLRegCode, "reg-code", "admin", "Shared feature engineering code", "1", "2")
	props := assetProps("Snapshot of the shared feature code", "admin", false)
	props["codeUri"] = "https://" + sa + ".blob.core.windows.net/" + a.g.guid() + "/reg-code/1/src"
	a.put(KindAMLRegCodeVersion, a.reg+"/codes/reg-code/versions/1", "1", regType("codes/versions"), "admin", props)
}
