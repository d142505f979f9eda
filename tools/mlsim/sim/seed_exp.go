package sim

import (
	"fmt"
	"math"
)

// seedExperimentation loads an experimentation account (location "East US
// 2", as the ARM examples spell locations) with its workspaces and projects,
// and every project's data-plane documents.
func (s *Server) seedExperimentation(g *gen, rgPath, short string, scale int) {
	name := "dsr-exp-" + short
	acct := rgPath + "/providers/" + nsExp + "/accounts/" + name
	accountID := g.guid()
	s.putDoc(KindExpAccount, acct, armResource(acct, name, nsExp+"/accounts", "East US 2", obj{
		"accountId":         accountID,
		"vsoAccountId":      rgPath + "/providers/microsoft.visualstudio/account/dsrvso" + short,
		"keyVaultId":        rgPath + "/providers/Microsoft.KeyVault/vaults/dsrkv" + short,
		"discoveryUri":      "https://eastus2.experiments.azureml.net/discovery",
		"description":       "Experimentation account of " + short,
		"friendlyName":      name,
		"seats":             "2",
		"creationDate":      g.when(),
		"provisioningState": "Succeeded",
		"storageAccount": obj{
			"storageAccountId": rgPath + "/providers/Microsoft.Storage/storageAccounts/dsrexp" + short,
			"accessKey":        "c2ltdWxhdGVkLWFjY2Vzcy1rZXk=",
		},
	}))
	for w := 1; w <= workspacesPerAccount; w++ {
		wsName := fmt.Sprintf("ws-%d", w)
		ws := acct + "/workspaces/" + wsName
		wsID := g.guid()
		s.putDoc(KindWorkspace, ws, armResource(ws, wsName, nsExp+"/accounts/workspaces", "East US 2", obj{
			"workspaceId":       wsID,
			"accountId":         accountID,
			"friendlyName":      "Workspace " + wsName,
			"description":       "Simulated workspace",
			"creationDate":      g.when(),
			"provisioningState": "Succeeded",
		}))
		for p := 1; p <= projectsPerWorkspace; p++ {
			pName := fmt.Sprintf("proj-%d", p)
			proj := ws + "/projects/" + pName
			projID := g.guid()
			s.putDoc(KindProject, proj, armResource(proj, pName, nsExp+"/accounts/workspaces/projects", "East US 2", obj{
				"projectId":         projID,
				"workspaceId":       wsID,
				"accountId":         accountID,
				"friendlyName":      "Project " + pName,
				"description":       "Simulated project",
				"gitrepo":           "https://dsrvso" + short + ".visualstudio.com/_git/" + pName,
				"creationDate":      g.when(),
				"provisioningState": "Succeeded",
			}))
			s.seedProject(g, proj, pName, projID, scale)
		}
	}
}

// projectSeed carries what the parts of one project's data set share.
type projectSeed struct {
	p        string // the project's ARM path (P)
	name     string
	id       string
	expIDs   []string
	expNames []string
	runIDs   []string
}

// seedProject loads a project's run history (runs, experiments, metrics,
// artifacts with content), assets and notification jobs.
func (s *Server) seedProject(g *gen, p, name, id string, scale int) {
	ps := &projectSeed{p: p, name: name, id: id}
	for i := range experimentsPerProject * scale {
		ps.expIDs = append(ps.expIDs, g.guid())
		ps.expNames = append(ps.expNames, fmt.Sprintf("experiment-%02d", i+1))
	}
	latest := make([][2]string, len(ps.expIDs)) // run id and time of each experiment's latest run
	for i := range runsPerProject * scale {
		runID, created := s.seedRun(g, ps, i)
		latest[i%len(ps.expIDs)] = [2]string{runID, created}
	}
	hist := "/history/v1.0" + p
	for i, expID := range ps.expIDs {
		s.putDoc(KindExperiment, hist+"/experiments/"+expID, obj{
			"experimentId":               expID,
			"name":                       ps.expNames[i],
			"description":                "Simulated experiment",
			"createdUtc":                 g.when(),
			"tags":                       obj{"team": "dsr"},
			"archivedTime":               nil,
			"latestCreatedRunId":         latest[i][0],
			"latestCreatedRunCreatedUtc": latest[i][1],
		})
	}
	s.seedAssets(g, ps, assetsPerProject*scale)
	s.seedJobs(g, ps, SubjectObjectID, subjectJobsPerProject*scale)
	s.seedJobs(g, ps, OtherObjectID, otherJobsPerProject*scale)
}

// seedRun stores run i of a project with its metrics and artifacts, and
// returns its id and creation time. Run 0's first artifact is 1 MiB.
func (s *Server) seedRun(g *gen, ps *projectSeed, i int) (string, string) {
	runID := fmt.Sprintf("%s_%d", ps.name, 1509530400000+int64(i)*3600000+int64(g.rng.IntN(1000)))
	ps.runIDs = append(ps.runIDs, runID)
	created, start, end := g.when(), g.when(), g.when()
	hist := "/history/v1.0" + ps.p
	s.putDoc(KindRun, hist+"/runs/"+runID, obj{
		"runId":        runID,
		"experimentId": ps.expIDs[i%len(ps.expIDs)],
		"parentRunId":  nil,
		"rootRunId":    runID,
		"runNumber":    i + 1,
		"status":       "Completed",
		"createdUtc":   created,
		"startTimeUtc": start,
		"endTimeUtc":   end,
		"tags":         obj{"dsr": "simulated"},
		"properties":   obj{"ContentSnapshotId": g.guid(), "azureml.runsource": "experiment"},
	})
	for _, metric := range []string{"accuracy", "loss"}[:metricsPerRun] {
		metricID := g.guid()
		value := math.Round(g.rng.Float64()*1e4) / 1e4
		s.putDoc(KindRunMetric, hist+"/runmetrics/"+metricID, obj{
			"metricId":        metricID,
			"runId":           runID,
			"dataContainerId": "dcid." + runID,
			"name":            metric,
			"metricType":      "azureml.v1.scalar",
			"createdUtc":      end,
			"numCells":        1,
			"cells":           []obj{{metric: value}},
			"schema": obj{"numProperties": 1, "properties": []obj{
				{"propertyId": metric, "name": metric, "type": "float"},
			}},
		})
	}
	for j, path := range artifactPaths {
		size := 1 + g.rng.IntN(maxArtifactSize)
		if i == 0 && j == 0 {
			size = bigArtifactSize
		}
		s.seedArtifact(g, ps, runID, path, size)
	}
	return runID, created
}

// seedArtifact stores one artifact of a run: its Artifact document (history
// list), its artifact URI, and its ContentInfo with size pseudo-random bytes.
func (s *Server) seedArtifact(g *gen, ps *projectSeed, runID, path string, size int) {
	hist := "/history/v1.0" + ps.p
	s.putDoc(KindRunArtifact, hist+"/runs/"+runID+"/artifacts/"+path, obj{
		"artifactId":  "ExperimentRun/" + runID + "/" + path,
		"origin":      "ExperimentRun",
		"container":   runID,
		"path":        path,
		"etag":        "\"0x8D5" + g.hex(12) + "\"",
		"createdTime": g.when(),
		"dataPath": obj{
			"dataStoreName": "workspaceblobstore",
			"relativePath":  "ExperimentRun/dcid." + runID + "/" + path,
			"sqlDataPath":   nil,
		},
	})
	ref := &artifactRef{project: ps.p, origin: "ExperimentRun", runID: runID, path: path}
	s.st.put(&item{kind: KindArtifactURI, path: hist + "/runs/" + runID + "/artifacturi/" + path, art: ref})
	s.st.put(&item{
		kind:    KindArtifact,
		path:    "/artifact/v1.0" + ps.p + "/artifacts/contentinfo/ExperimentRun/" + runID + "/" + path,
		art:     ref,
		content: g.bytes(size, ref.contentKey()),
	})
}

// seedAssets stores n assets, asset i pointing at the model artifact of run
// i (modulo the run count).
func (s *Server) seedAssets(g *gen, ps *projectSeed, n int) {
	for i := range n {
		name := fmt.Sprintf("asset-%02d", i+1)
		runID := ps.runIDs[i%len(ps.runIDs)]
		s.putDoc(KindAsset, "/artifact/v1.0"+ps.p+"/assets/name/"+name, obj{
			"id":          g.guid(),
			"name":        name,
			"description": "Simulated asset",
			"artifacts":   []obj{{"id": "ExperimentRun/" + runID + "/" + artifactPaths[0], "prefix": false}},
			"createdTime": g.when(),
			"runid":       runID,
			"projectid":   ps.id,
			"meta":        []obj{{"key": "framework", "value": "scikit-learn"}},
		})
	}
}

// seedJobs stores n notification jobs of the user objectID.
func (s *Server) seedJobs(g *gen, ps *projectSeed, objectID string, n int) {
	for i := range n {
		id := g.guid()
		status := "Completed"
		if i%3 == 2 {
			status = "Failed"
		}
		s.putDoc(KindNotification, "/notification/v1.0"+ps.p+"/users/"+objectID+"/jobs/"+id, obj{
			"id":             id,
			"runId":          ps.runIDs[i%len(ps.runIDs)],
			"experimentName": ps.expNames[i%len(ps.expNames)],
			"status":         status,
			"createdTime":    g.when(),
		})
	}
}
