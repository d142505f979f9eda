package sim

import "fmt"

// seedModelManagement loads a model-management account (location eastus)
// with its models, manifests (2 models each), images (a manifest each) and
// services (an image each). clusterID is the compute the images and
// services name.
func (s *Server) seedModelManagement(g *gen, rgPath, short, clusterID string, scale int) {
	name := "dsr-mm-" + short
	acct := rgPath + "/providers/" + nsMM + "/accounts/" + name
	s.putDoc(KindMMAccount, acct, obj{
		"id":       acct,
		"name":     name,
		"type":     nsMM + "/accounts",
		"location": "eastus",
		"tags":     obj{"purpose": "dsr-simulation"},
		"sku":      obj{"name": "S1", "capacity": 1},
		"properties": obj{
			"description":       "Model management account of " + short,
			"provisioningState": "Succeeded",
		},
	})
	segs := splitPath(acct)
	data := mmDataPath(segs[1], segs[3], name)
	models := s.seedModels(g, data, short, modelsPerAccount*scale)
	manifests := s.seedManifests(g, data, models, manifestsPerAccount*scale)
	images := s.seedImages(g, data, short, clusterID, manifests, imagesPerAccount*scale)
	s.seedServices(g, data, clusterID, images, models, servicesPerAccount*scale)
}

// seedModels stores n models and returns their documents.
func (s *Server) seedModels(g *gen, data, short string, n int) []obj {
	out := make([]obj, n)
	for i := range out {
		id := g.guid()
		out[i] = obj{
			"id":          id,
			"name":        fmt.Sprintf("model-%02d", i+1),
			"version":     1 + i%3,
			"tags":        []string{"dsr", short},
			"url":         "aml://asset/" + g.hex(32),
			"mimeType":    "application/octet-stream",
			"unpack":      false,
			"description": fmt.Sprintf("Simulated model %d", i+1),
			"createdAt":   g.when(),
		}
		s.putDoc(KindModel, data+"/models/"+id, out[i])
	}
	return out
}

// seedManifests stores n manifests, manifest i referencing models 2i and
// 2i+1 (modulo the model count), and returns their documents.
func (s *Server) seedManifests(g *gen, data string, models []obj, n int) []obj {
	out := make([]obj, n)
	for i := range out {
		id := g.guid()
		m1, m2 := models[(2*i)%len(models)], models[(2*i+1)%len(models)]
		out[i] = obj{
			"id":      id,
			"name":    fmt.Sprintf("manifest-%02d", i+1),
			"version": 1,
			"assets": []obj{{
				"id": "asset-" + g.hex(8), "url": "aml://asset/" + g.hex(32),
				"mimeType": "application/x-python", "unpack": false,
			}},
			"driverProgram":  "score.py",
			"targetRuntime":  obj{"runtimeType": "Python", "properties": obj{"pipRequirements": "requirements.txt"}},
			"modelIds":       []string{m1["id"].(string), m2["id"].(string)},
			"modelType":      "Registered",
			"webserviceType": "Realtime",
			"createdTime":    g.when(),
			"description":    fmt.Sprintf("Simulated manifest %d", i+1),
		}
		s.putDoc(KindManifest, data+"/manifests/"+id, out[i])
	}
	return out
}

// seedImages stores n images, image i built from manifest i (modulo the
// manifest count), and returns their documents.
func (s *Server) seedImages(g *gen, data, short, clusterID string, manifests []obj, n int) []obj {
	out := make([]obj, n)
	for i := range out {
		id := g.guid()
		name := fmt.Sprintf("image-%02d", i+1)
		out[i] = obj{
			"id":                id,
			"name":              name,
			"version":           1,
			"imageLocation":     "dsrmm" + short + ".azurecr.io/" + name + ":1",
			"imageType":         "Docker",
			"manifest":          manifests[i%len(manifests)],
			"computeResourceId": clusterID,
			"creationState":     "Succeeded",
			"createdTime":       g.when(),
			"imageBuildLogUri":  "https://dsrmm" + short + ".blob.core.windows.net/logs/" + id + ".txt",
		}
		s.putDoc(KindImage, data+"/images/"+id, out[i])
	}
	return out
}

// seedServices stores n services, service i using image i (modulo the
// image count). A service's id is its name.
func (s *Server) seedServices(g *gen, data, clusterID string, images, models []obj, n int) {
	for i := range n {
		name := fmt.Sprintf("scoring-%02d", i+1)
		img := images[i%len(images)]
		man := img["manifest"].(obj)
		var used []obj
		for _, m := range models {
			for _, id := range man["modelIds"].([]string) {
				if m["id"] == id {
					used = append(used, m)
				}
			}
		}
		created := g.when()
		s.putDoc(KindService, data+"/services/"+name, obj{
			"id":                 name,
			"name":               name,
			"image":              img,
			"manifest":           man,
			"models":             used,
			"scoringUri":         fmt.Sprintf("http://52.170.%d.%d/api/v1/service/%s/score", i/200, 10+i%200, name),
			"state":              "Succeeded",
			"createdAt":          created,
			"updatedAt":          g.when(),
			"computeResource":    obj{"id": clusterID, "type": "Cluster"},
			"numReplicas":        1 + i%2,
			"appInsightsEnabled": i%2 == 0,
		})
	}
}
