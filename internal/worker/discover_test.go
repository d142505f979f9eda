package worker

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

const (
	projPath = wsPath + "/projects/p1"
	histPath = "/history/v1.0/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningExperimentation/accounts/a1/workspaces/w1/projects/p1"
	expBase  = "https://eastus.experiments.azureml.net"
)

// pagedAPI serves list pages keyed by path and continuation token, each
// with the next link it names.
type pagedAPI struct {
	*fakeAPI
	pages map[string]fakePage // path + "#" + token
}

type fakePage struct {
	items []string
	next  string
}

func (p *pagedAPI) ListPage(ctx context.Context, u *url.URL, shape catalog.Shape, tokenParam string) (*azureapi.Page, error) {
	pg, ok := p.pages[u.Path+"#"+u.Query().Get(tokenParam)]
	if !ok {
		return p.fakeAPI.ListPage(ctx, u, shape, tokenParam)
	}
	out := &azureapi.Page{Status: 200, RequestID: "list-id"}
	for _, it := range pg.items {
		out.Items = append(out.Items, json.RawMessage(it))
	}
	if pg.next != "" {
		out.Next, _ = url.Parse(pg.next)
	}
	return out, nil
}

func records(t *testing.T, b *bundle) []dsr.Record {
	t.Helper()
	raw, _, err := b.l.Results(context.Background(), "r1", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]dsr.Record, len(raw))
	for i, r := range raw {
		json.Unmarshal(r, &out[i])
	}
	return out
}

func withCode(recs []dsr.Record, code string) []dsr.Record {
	var out []dsr.Record
	for _, r := range recs {
		if r.Error != nil && r.Error.Code == code {
			out = append(out, r)
		}
	}
	return out
}

// An item whose name would make a blob name longer than the store takes
// fails alone, with its own record; the rest of its page is exported and
// the page's listing succeeds.
func TestDiscoverFailsAnOverlongNameAlone(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	long := "outputs/" + strings.Repeat(strings.Repeat("a", 200)+"/", 5) + "model.pkl"
	b.api.lists[histPath+"/runs/run1/artifacts"] = []string{`{"path":"outputs/model.pkl"}`, `{"path":"` + long + `"}`}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.run", Path: histPath + "/runs/run1",
		Child: "exp.runartifact", Loc: "eastus"}
	s.Op = s.Key()
	if len(dsr.ExportBlob("r1", histPath+"/runs/run1/artifacts/"+long)) <= store.MaxKey {
		t.Fatal("the test's name is not too long")
	}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatalf("the page was abandoned: %v", err)
	}
	recs := records(t, b)
	bad := withCode(recs, "NameTooLong")
	if len(bad) != 1 || bad[0].Outcome != dsr.Failed || !strings.Contains(bad[0].Error.Message, "1024") || len(bad[0].Error.Message) > 600 {
		t.Fatalf("records %+v: want one failed NameTooLong with a short message", recs)
	}
	ok := dsr.ExportBlob("r1", histPath+"/runs/run1/artifacts/outputs/model.pkl")
	if _, err := store.ReadAll(ctx, b.l.Store(), ok); err != nil {
		t.Errorf("the other item was not exported: %v", err)
	}
	if rec, err := b.l.ReadRecord(ctx, "r1", s.Op); err != nil || rec.Outcome != dsr.Succeeded {
		t.Errorf("page record %+v %v", rec, err)
	}
}

// runDiscoveries handles pending discover steps until none is left or
// limit steps ran; it returns how many ran.
func runDiscoveries(t *testing.T, b *bundle, limit int) int {
	t.Helper()
	ctx := context.Background()
	for n := 0; n < limit; n++ {
		ms, err := b.l.Pending(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		var next []byte
		for _, m := range ms {
			var s Step
			json.Unmarshal(m.Body, &s)
			if s.Kind == KindDiscover {
				next = m.Body
				break
			}
		}
		if next == nil {
			return n
		}
		if err := b.w.Handle(ctx, next, 1); err != nil {
			t.Fatal(err)
		}
	}
	return limit
}

// A page chain whose next link returns to a page already read (A → B → C
// → B) ends with a failed record naming the loop; every page's items are
// still started.
func TestDiscoverEndsAPageLoop(t *testing.T) {
	b := setup(t, dsr.Export)
	runs := expBase + histPath + "/runs"
	api := &pagedAPI{fakeAPI: b.api, pages: map[string]fakePage{
		histPath + "/runs#":  {items: []string{`{"runId":"a"}`}, next: runs + "?$continuationtoken=B"},
		histPath + "/runs#B": {items: []string{`{"runId":"b"}`}, next: runs + "?$continuationtoken=C"},
		histPath + "/runs#C": {items: []string{`{"runId":"c"}`}, next: runs + "?$continuationtoken=B"},
	}}
	b.w.API = api
	first := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.project", Path: projPath,
		Child: "exp.run", Loc: "eastus"}
	first.Op = first.Key()
	if err := deliver(context.Background(), b, first); err != nil {
		t.Fatal(err)
	}
	if n := runDiscoveries(t, b, 10); n >= 10 {
		t.Fatalf("the listing still runs after %d pages", n)
	}
	loops := withCode(records(t, b), "PageLoop")
	if len(loops) != 1 || loops[0].Outcome != dsr.Failed || !strings.Contains(loops[0].Error.Message, "page 3") || !strings.Contains(loops[0].Error.Message, "page 2") {
		t.Fatalf("loop records %+v: want one failed PageLoop naming pages 3 and 2", loops)
	}
	ms, _ := b.l.Pending(context.Background(), "r1")
	exports := 0
	for _, m := range ms {
		if strings.HasPrefix(m.OpKey, "export.exp.run.") {
			exports++
		}
	}
	if exports != 3 {
		t.Errorf("%d run exports started, want 3 (one per page)", exports)
	}
}

// A chain that loops back to its first page is caught too.
func TestDiscoverEndsALoopToTheFirstPage(t *testing.T) {
	b := setup(t, dsr.Export)
	runs := expBase + histPath + "/runs"
	b.w.API = &pagedAPI{fakeAPI: b.api, pages: map[string]fakePage{
		histPath + "/runs#":  {items: []string{`{"runId":"a"}`}, next: runs + "?$continuationtoken=B"},
		histPath + "/runs#B": {items: []string{`{"runId":"b"}`}, next: runs},
	}}
	first := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.project", Path: projPath,
		Child: "exp.run", Loc: "eastus"}
	first.Op = first.Key()
	if err := deliver(context.Background(), b, first); err != nil {
		t.Fatal(err)
	}
	if n := runDiscoveries(t, b, 10); n >= 10 {
		t.Fatalf("the listing still runs after %d pages", n)
	}
	if loops := withCode(records(t, b), "PageLoop"); len(loops) != 1 {
		t.Fatalf("loop records %+v", loops)
	}
}

// A step of a request stopped at its step cap fails without calling the
// API and starts nothing.
func TestStepOfACappedRequestFailsWithoutRunning(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.err = errors.New("must not be called")
	if _, err := b.l.Cap(ctx, "r1", 10, 11); err != nil {
		t.Fatal(err)
	}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.project", Path: projPath,
		Child: "exp.run", Loc: "eastus"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "StepCapReached" {
		t.Fatalf("record %+v %v", rec, err)
	}
	if m, _ := b.l.Pending(ctx, "r1"); len(m) != 0 {
		t.Fatalf("markers left or started: %+v", m)
	}
	if n, _ := b.q.Len(); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}
