package sim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// With OffsetPaging the token is an offset: a delete between two pages
// shifts the list, and the second page skips an item that is still there.
// Without it, keyed tokens see every remaining item.
func TestOffsetPagingSkipsItemsUnderDeletes(t *testing.T) {
	for _, offset := range []bool{false, true} {
		e := seeded(t, sim.Options{PageSize: 2, OffsetPaging: offset})
		list := "/mm/eastus" + mmData + "/services?" + apiMM
		var first page
		e.get(list).json(t, &first)
		if first.NextLink == "" || len(first.Value) != 2 {
			t.Fatalf("offset=%v: first page of %d items, next %q", offset, len(first.Value), first.NextLink)
		}
		wantStatus(t, e.del("/mm/eastus"+mmData+"/services/"+field(t, first.Value[0], "id")+"?"+apiMM), http.StatusOK, "delete a service of page 1")
		seen := map[string]bool{}
		for _, doc := range first.Value {
			seen[field(t, doc, "id")] = true
		}
		for _, doc := range e.followNextLinks(first.NextLink[strings.Index(first.NextLink, "/mm/"):], "$skipToken") {
			seen[field(t, doc, "id")] = true
		}
		missed := 0
		for p := range e.docsUnder(sim.KindService, mmData+"/") {
			var d struct{ ID string }
			json.Unmarshal([]byte(p), &d)
			if !seen[d.ID] {
				missed++
			}
		}
		if offset && missed != 1 {
			t.Errorf("offset paging: %d remaining services never listed, want 1", missed)
		}
		if !offset && missed != 0 {
			t.Errorf("keyed paging: %d remaining services never listed, want 0", missed)
		}
	}
}

// With Appear, deletes make siblings appear, up to the budget, and
// /_sim/appeared names them.
func TestItemsAppearWhileDeletesRun(t *testing.T) {
	e := seeded(t, sim.Options{Appear: 1})
	list := "/arm" + expWS + "/projects?" + apiExp
	before := e.followNextLinks(list, "$skiptoken")
	for _, doc := range before[:2] {
		wantStatus(t, e.del("/arm"+field(t, doc, "id")+"?"+apiExp), http.StatusOK, "delete a project")
	}
	after := e.followNextLinks(list, "$skiptoken")
	if len(after) != len(before)-1 {
		t.Fatalf("%d projects after two deletes and one appearance, want %d", len(after), len(before)-1)
	}
	r := e.get("/_sim/appeared")
	var appeared []string
	r.json(t, &appeared)
	if len(appeared) != 1 || appeared[0] != field(t, before[0], "id")+"-late1" {
		t.Fatalf("appeared %v", appeared)
	}
	found := false
	for _, doc := range after {
		found = found || field(t, doc, "id") == appeared[0]
	}
	if !found {
		t.Fatalf("the appeared project %s is not listed", appeared[0])
	}
}
