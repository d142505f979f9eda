package worker

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

const (
	dataProj = "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningExperimentation/accounts/a1/workspaces/w1/projects/p1"
	histProj = "/history/v1.0" + dataProj
	runPath  = histProj + "/runs/run1"
)

// recordsByResource returns the request's records by resource.
func recordsByResource(t *testing.T, b *bundle) map[string]dsr.Record {
	t.Helper()
	raws, _, err := b.l.Results(context.Background(), "r1", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dsr.Record{}
	for _, raw := range raws {
		var r dsr.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		out[r.Resource] = r
	}
	return out
}

func blob(t *testing.T, b *bundle, key string) string {
	t.Helper()
	got, err := store.ReadAll(context.Background(), b.l.Store(), key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return string(got)
}

// An exported document goes without its credentials, and its record says
// which paths were removed.
func TestExportRemovesCredentials(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.docs[accPath] = `{"id":"` + accPath + `","location":"eastus","properties":{"storageAccount":{"storageAccountId":"/sa","accessKey":"planted-secret-1"},"n":12345678901234567890}}`
	op := dsr.OpKey(dsr.StepExport, "exp.account", accPath, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.account", Path: accPath, Op: op}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	doc := blob(t, b, dsr.ExportBlob("r1", accPath))
	if strings.Contains(doc, "planted-secret") || !strings.Contains(doc, `"storageAccountId":"/sa"`) || !strings.Contains(doc, "12345678901234567890") {
		t.Errorf("exported %s", doc)
	}
	rec := recordsByResource(t, b)[accPath]
	if rec.Outcome != dsr.Succeeded || !slices.Equal(rec.Redacted, []string{"properties.storageAccount.accessKey"}) {
		t.Errorf("record %+v", rec)
	}
}

// A document that is not JSON cannot be checked for credentials, so it is
// not written.
func TestExportRefusesAnUnreadableDocument(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.docs[accPath] = `{"location":"eastus","accessKey":"planted-secret-2"`
	op := dsr.OpKey(dsr.StepExport, "exp.account", accPath, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.account", Path: accPath, Op: op}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReadAll(ctx, b.l.Store(), dsr.ExportBlob("r1", accPath)); err == nil {
		t.Error("an unreadable document was written")
	}
	if rec := recordsByResource(t, b)[accPath]; rec.Outcome != dsr.Failed || rec.Error == nil || rec.Error.Code != "InvalidDocument" {
		t.Errorf("record %+v", rec)
	}
}

// Items written as they were listed name the page's response, and go
// without their credentials.
func TestListedItemsNameTheirPage(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.lists[histProj+"/runmetrics"] = []string{`{"metricId":"m1","cells":[{"url":"https://h/x?sv=1&sig=planted-secret-3"}]}`}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.project", Path: projPath, Child: "exp.runmetric", Loc: "eastus"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	metric := histProj + "/runmetrics/m1"
	rec := recordsByResource(t, b)[metric]
	if rec.Outcome != dsr.Succeeded || rec.UpstreamRequestID != "list-id" || rec.HTTPStatus != 200 {
		t.Errorf("record of a listed item %+v, want the page's request id list-id", rec)
	}
	if !slices.Equal(rec.Redacted, []string{"cells[0].url?sig"}) {
		t.Errorf("redacted %q", rec.Redacted)
	}
	if doc := blob(t, b, dsr.ExportBlob("r1", metric)); strings.Contains(doc, "planted-secret") || !strings.Contains(doc, "https://h/x?sv=1") {
		t.Errorf("exported %s", doc)
	}
}

// The artifact container's listing (each artifact's metadata) is exported
// as listed, and each artifact's content info is still fetched.
func TestArtifactListingIsExported(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	var child *catalog.Kind
	for _, name := range catalog.Lookup("exp.run").Children {
		if k := catalog.Lookup(name); strings.HasSuffix(string(k.List), "/containers/{runId}") {
			child = k
		}
	}
	if child == nil {
		t.Fatal("exp.run lists no artifact container")
	}
	container := "/artifact/v1.0" + dataProj + "/artifacts/origins/ExperimentRun/containers/run1"
	item := `{"artifactId":"ExperimentRun/dcid.run1/outputs/a.txt","origin":"ExperimentRun","container":"dcid.run1","path":"outputs/a.txt","etag":"e1"}`
	b.api.lists[container] = []string{item}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.run", Path: runPath, Child: child.Name, Loc: "eastus"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	listed := container + "/outputs/a.txt"
	got, err := store.ReadAll(ctx, b.l.Store(), dsr.ExportBlob("r1", listed))
	if err != nil || string(got) != item {
		t.Fatalf("the listing's item at %s: %q %v", listed, got, err)
	}
	if rec := recordsByResource(t, b)[listed]; rec.Outcome != dsr.Succeeded || rec.UpstreamRequestID != "list-id" {
		t.Errorf("record %+v", rec)
	}
	pending, _ := b.l.Pending(ctx, "r1")
	want := dsr.OpKey(dsr.StepExport, "exp.artifact", "/artifact/v1.0"+dataProj+"/artifacts/contentinfo/ExperimentRun/run1/outputs/a.txt", 0)
	if len(pending) != 1 || pending[0].OpKey != want {
		t.Errorf("pending %+v, want the content info's export", pending)
	}
}

// A listing that answers 404 is recorded as absent with that response's
// request id.
func TestAbsentListNamesItsResponse(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.err = &azureapi.Error{Class: azureapi.Gone, Status: 404, RequestID: "gone-id"}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.project", Path: projPath, Child: "exp.runmetric", Loc: "eastus"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if rec := recordsByResource(t, b)[histProj+"/runmetrics"]; rec.Outcome != dsr.Absent || rec.UpstreamRequestID != "gone-id" {
		t.Errorf("record %+v, want absent with gone-id", rec)
	}
}
