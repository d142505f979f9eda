package sim

import (
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Truth is the ground truth of one person's items in the current-API data
// set, as the simulator knows it (who really created each item), for
// measuring the precision and recall of per-person requests. Paths are
// ARM ids as in Resource.Path, each list sorted.
type Truth struct {
	Person   string `json:"person"`
	ObjectID string `json:"objectId"`
	// Delete: the person's items that a per-person delete (with
	// allowDisplayName) removes, and their export includes.
	Delete []string `json:"delete"`
	// ExportOnly: the person's items that hold other people's (a
	// container with their versions, an endpoint with their
	// deployments): exported, kept by the delete.
	ExportOnly []string `json:"exportOnly"`
	// Shared: the shared parents (workspace, registry, datastores):
	// exported as context, never deleted.
	Shared []string `json:"shared"`
}

var amlGroupPath = "/subscriptions/" + SubscriptionID + "/resourceGroups/" + AMLResourceGroup

// sharedKinds are exported as context for anyone and never deleted.
var sharedKinds = map[string]bool{KindAMLWorkspace: true, KindAMLRegistry: true, KindAMLDatastore: true}

// Truth computes the ground truth of person (a People key) over the items
// present now. An item is the person's when the simulator's own record
// of its creator names them (for a job, the run history's creator; for a
// compute instance, its assigned user; for a model version registered
// from a job, properties.jobName, the job's creator).
func (s *Server) Truth(person string) (Truth, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *Person
	for i := range People {
		if People[i].Key == person {
			p = &People[i]
		}
	}
	if p == nil {
		return Truth{}, false
	}
	t := Truth{Person: p.Key, ObjectID: p.ObjectID, Delete: []string{}, ExportOnly: []string{}, Shared: []string{}}
	var aml []*item
	jobs := map[string]string{} // job name → creator
	s.st.each("", func(_ string, it *item) bool {
		if strings.HasPrefix(it.kind, "aml.") && strings.HasPrefix(key(it.path), key(amlGroupPath)+"/") {
			aml = append(aml, it)
			if it.kind == KindAMLJob {
				jobs[path.Base(it.path)] = creatorOf(it)
			}
		}
		return true
	})
	owner := func(it *item) string { return trueOwner(it, jobs) }
	for _, it := range aml {
		switch {
		case sharedKinds[it.kind]:
			t.Shared = append(t.Shared, it.path)
		case owner(it) != p.Key:
		case slices.ContainsFunc(aml, func(c *item) bool {
			return strings.HasPrefix(key(c.path), key(it.path)+"/") && owner(c) != p.Key
		}):
			t.ExportOnly = append(t.ExportOnly, it.path)
		default:
			t.Delete = append(t.Delete, it.path)
		}
	}
	return t, true
}

// trueOwner is the key of whoever an item belongs to.
func trueOwner(it *item, jobs map[string]string) string {
	var d struct {
		Properties struct {
			JobName    string `json:"jobName"`
			Properties struct {
				PersonalComputeInstanceSettings struct {
					AssignedUser struct {
						ObjectID string `json:"objectId"`
					} `json:"assignedUser"`
				} `json:"personalComputeInstanceSettings"`
			} `json:"properties"`
		} `json:"properties"`
	}
	json.Unmarshal(it.doc, &d)
	if oid := d.Properties.Properties.PersonalComputeInstanceSettings.AssignedUser.ObjectID; it.kind == KindAMLCompute && oid != "" {
		for _, p := range People {
			if strings.EqualFold(p.ObjectID, oid) {
				return p.Key
			}
		}
	}
	if by, ok := jobs[d.Properties.JobName]; ok && d.Properties.JobName != "" {
		return by
	}
	return creatorOf(it)
}

// adminTruth answers GET /_sim/truth?person=alice.
func (s *Server) adminTruth(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeARM, r)
	}
	t, ok := s.Truth(r.URL.Query().Get("person"))
	if !ok {
		return notFound(planeARM, "NotFound", "no person "+r.URL.Query().Get("person"))
	}
	return jsonResponse(http.StatusOK, t)
}
