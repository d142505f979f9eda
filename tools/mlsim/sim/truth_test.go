package sim

import (
	"slices"
	"strings"
	"testing"
)

// TestPeopleScenarioTruth: in -scenario people every kind of today's
// catalog that is not a shared parent holds an item of alice, bob or
// carol; the mixed-ownership cases are attributed as the rules say.
func TestPeopleScenarioTruth(t *testing.T) {
	s := New(Options{Scenario: ScenarioPeople})
	truth := map[string]Truth{}
	covered := map[string]bool{}
	kindOf := map[string]string{}
	for _, r := range s.Resources("https://sim", "", false) {
		kindOf[r.Path] = r.Kind
	}
	for _, p := range []string{"alice", "bob", "carol"} {
		tr, ok := s.Truth(p)
		if !ok {
			t.Fatalf("no truth for %s", p)
		}
		truth[p] = tr
		for _, id := range append(slices.Clone(tr.Delete), tr.ExportOnly...) {
			covered[kindOf[id]] = true
		}
	}
	for _, k := range AMLKinds {
		if !sharedKinds[k] && !covered[k] {
			t.Errorf("no item of kind %s belongs to alice, bob or carol", k)
		}
	}
	ws := "/subscriptions/" + SubscriptionID + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/workspaces/ws-shared"
	reg := "/subscriptions/" + SubscriptionID + "/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/registries/reg-shared"
	for _, c := range []struct {
		person, list, id string
	}{
		{"alice", "exportOnly", ws + "/onlineEndpoints/alice-endpoint"}, // serves bob's deployment
		{"bob", "delete", ws + "/onlineEndpoints/alice-endpoint/deployments/green"},
		{"alice", "exportOnly", ws + "/models/alice-model"},                    // holds carol's version 3
		{"alice", "delete", ws + "/models/bob-model/versions/3"},               // hers in bob's container
		{"alice", "delete", ws + "/models/shared-model/versions/jobout-alice"}, // registered by the pipeline from her job
		{"bob", "delete", ws + "/models/shared-model/versions/jobout-bob"},
		{"alice", "delete", ws + "/jobs/alice-train-3"},            // archived
		{"alice", "delete", ws + "/computes/alice-ci"},             // assigned to her, created by the admin
		{"alice", "delete", reg + "/data/reg-data/versions/1"},     // archived, in bob's container
		{"alice", "exportOnly", reg + "/components/reg-component"}, // holds carol's version
		{"carol", "delete", ws + "/batchEndpoints/team-batch/deployments/carol-dep"},
		{"alice", "shared", ws},
		{"bob", "shared", reg},
	} {
		tr := truth[c.person]
		lists := map[string][]string{"delete": tr.Delete, "exportOnly": tr.ExportOnly, "shared": tr.Shared}
		if !slices.Contains(lists[c.list], c.id) {
			t.Errorf("%s's %s lacks %s", c.person, c.list, c.id)
		}
	}
	// Nobody else's: alice2's job and its output, the admin's cluster.
	for _, tr := range truth {
		for _, id := range append(slices.Clone(tr.Delete), tr.ExportOnly...) {
			if strings.Contains(id, "alice2") || strings.HasSuffix(id, "/computes/cpu-cluster") || strings.Contains(id, "team-batch") && !strings.Contains(id, "/deployments/") {
				t.Errorf("%s's truth holds %s", tr.Person, id)
			}
		}
	}
}
