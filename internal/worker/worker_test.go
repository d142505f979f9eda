package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
)

// fakeAPI answers from tables keyed by URL path; it records DELETEs.
type fakeAPI struct {
	mu    sync.Mutex
	e     catalog.Endpoints
	docs  map[string]string // path -> document
	lists map[string][]string
	// paged: a collection served in pages ($skipToken is the page number).
	paged   map[string][][]string
	err     error // returned by every call when set
	deletes []string
}

func newFake() *fakeAPI {
	return &fakeAPI{e: catalog.DefaultEndpoints(), docs: map[string]string{}, lists: map[string][]string{}}
}

func (f *fakeAPI) Endpoints() catalog.Endpoints { return f.e }

func (f *fakeAPI) Get(ctx context.Context, u *url.URL) (*azureapi.Response, error) {
	if f.err != nil {
		return nil, f.err
	}
	d, ok := f.docs[u.Path]
	if !ok {
		return nil, &azureapi.Error{Class: azureapi.Gone, Status: 404}
	}
	return &azureapi.Response{Status: 200, Body: []byte(d), RequestID: "get-id"}, nil
}

func (f *fakeAPI) ListPage(ctx context.Context, u *url.URL, shape catalog.Shape, p string) (*azureapi.Page, error) {
	if f.err != nil {
		return nil, f.err
	}
	var items []json.RawMessage
	list, next := f.lists[u.Path], ""
	if pages, ok := f.paged[u.Path]; ok {
		i, _ := strconv.Atoi(u.Query().Get("$skipToken"))
		list = pages[i]
		if i+1 < len(pages) {
			next = strconv.Itoa(i + 1)
		}
	}
	for _, it := range list {
		items = append(items, json.RawMessage(it))
	}
	pg := &azureapi.Page{Items: items, Status: 200, RequestID: "list-id"}
	if next != "" {
		n := *u
		q := n.Query()
		q.Set("$skipToken", next)
		n.RawQuery = q.Encode()
		pg.Next = &n
	}
	return pg, nil
}

func (f *fakeAPI) BeginDelete(ctx context.Context, u *url.URL) (*azureapi.DeleteResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, u.Path)
	delete(f.docs, u.Path)
	return &azureapi.DeleteResult{Done: true, Existed: true, Status: 200}, nil
}

func (f *fakeAPI) PollDelete(ctx context.Context, token string) (*azureapi.DeleteResult, error) {
	return nil, errors.New("no polls in these tests")
}

func (f *fakeAPI) FetchContent(ctx context.Context, raw string) (io.ReadCloser, int64, error) {
	return io.NopCloser(strings.NewReader("content")), 7, nil
}

type bundle struct {
	w   *Worker
	api *fakeAPI
	l   *ledger.Ledger
	q   *memory.Queue
}

const (
	rgPath  = "/subscriptions/s1/resourceGroups/rg-1"
	accPath = rgPath + "/providers/Microsoft.MachineLearningExperimentation/accounts/a1"
	wsPath  = accPath + "/workspaces/w1"
)

func setup(t *testing.T, op dsr.Operation) *bundle {
	t.Helper()
	return setupReq(t, dsr.Request{Operation: op, Targets: []string{rgPath}})
}

func body(s Step) []byte { s.V = Version; b, _ := json.Marshal(s); return b }

// deliver sends s as the operation's current message (its marker written
// first, as Book.Start does) and handles what was sent.
func deliver(ctx context.Context, b *bundle, s Step) error {
	s.V = Version
	if err := b.l.Pend(ctx, s.RequestID, ledger.Marker{OpKey: s.Op, MessageID: s.MessageID(), Body: body(s)}); err != nil {
		return err
	}
	return b.w.Handle(ctx, body(s), 1)
}

// walkResults calls fn with each result record and its op key.
func walkResults(b *bundle, fn func(key string, r dsr.Record)) error {
	ctx := context.Background()
	return store.Walk(ctx, b.l.Store(), dsr.ResultsPrefix("r1"), func(info store.Info) error {
		var r dsr.Record
		raw, err := store.ReadAll(ctx, b.l.Store(), info.Key)
		if err != nil {
			return err
		}
		json.Unmarshal(raw, &r)
		fn(strings.TrimSuffix(strings.TrimPrefix(info.Key, dsr.ResultsPrefix("r1")), ".json"), r)
		return nil
	})
}

func TestDecodeRejectsPoison(t *testing.T) {
	ok := Step{V: 1, Kind: KindExport, RequestID: "r1", Op: "op", Mode: dsr.Export, Res: "exp.account", Path: accPath}
	for name, mutate := range map[string]func(s *Step){
		"unknown version": func(s *Step) { s.V = 2 },
		"bad request id":  func(s *Step) { s.RequestID = "../r" },
		"unknown kind":    func(s *Step) { s.Kind = "purge" },
		"unknown mode":    func(s *Step) { s.Mode = "wipe" },
		"no op":           func(s *Step) { s.Op = "" },
		"path traversal":  func(s *Step) { s.Path = accPath + "/../a2" },
		"path elsewhere":  func(s *Step) { s.Path = "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.Storage/x/y" },
		"bad location":    func(s *Step) { s.Loc = "evil.com" },
		"unknown child":   func(s *Step) { s.Kind, s.Child = KindDiscover, "x.y" },
	} {
		s := ok
		mutate(&s)
		b, _ := json.Marshal(s)
		var p *PoisonError
		if _, err := Decode(b); !errors.As(err, &p) {
			t.Errorf("%s: %v, want a PoisonError", name, err)
		}
	}
	for _, raw := range []string{"", "null", "[]", `{"v":"1"}`, "\xff"} {
		var p *PoisonError
		if _, err := Decode([]byte(raw)); !errors.As(err, &p) {
			t.Errorf("%q: %v, want a PoisonError", raw, err)
		}
	}
	if _, err := Decode(body(ok)); err != nil {
		t.Fatalf("valid step refused: %v", err)
	}
}

// A list item that cannot be addressed safely fails alone; the rest of the
// page goes on.
func TestDiscoverIsolatesBadItems(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.lists[wsPath+"/projects"] = []string{
		`{"id":"` + wsPath + `/projects/p1"}`,
		`{"id":"` + wsPath + `/projects/.."}`,
		`{"id":"` + rgPath + `/providers/Microsoft.MachineLearningExperimentation/accounts/a2/workspaces/w1/projects/p9"}`,
		`{"name":"no id"}`,
	}
	s := Step{Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Child: "exp.project"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := b.l.Results(ctx, "r1", "", 100)
	failed := 0
	for _, raw := range recs {
		var r dsr.Record
		json.Unmarshal(raw, &r)
		if r.Outcome == dsr.Failed && r.Error.Code == "InvalidListItem" {
			failed++
			if r.UpstreamRequestID != "list-id" {
				t.Errorf("a bad item's record names no page response: %+v", r)
			}
		}
	}
	if failed != 3 {
		t.Errorf("%d InvalidListItem records, want 3", failed)
	}
	pending, _ := b.l.Pending(ctx, "r1")
	if len(pending) != 1 || !strings.HasPrefix(pending[0].OpKey, "export.exp.project.") {
		t.Errorf("pending %+v, want the export of p1 only", pending)
	}
	if active, _ := b.q.Len(); active != 1 {
		t.Errorf("%d messages, want 1", active)
	}
}

// A parent is never deleted while a child it waits on failed to delete.
func TestBarrierRefusesParentOfFailedChild(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.api.docs[accPath] = `{"location":"eastus"}`
	b.api.docs[wsPath] = `{}`
	b.api.lists[accPath+"/workspaces"] = []string{`{"id":"` + wsPath + `"}`}
	b.l.Record(ctx, dsr.OpKey(dsr.StepDelete, "exp.workspace", wsPath, 0), dsr.Record{RequestID: "r1", Outcome: dsr.Failed,
		Error: &dsr.RecordError{Code: "AuthorizationFailed", Message: "no role"}})
	op := dsr.OpKey(dsr.StepDelete, "exp.account", accPath, 0)
	s := Step{Kind: KindBarrier, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath, Op: op, Since: time.Now()}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "ChildNotDeleted" || !strings.Contains(rec.Error.Message, "AuthorizationFailed") {
		t.Fatalf("account record %+v %v", rec, err)
	}
	if len(b.api.deletes) != 0 {
		t.Fatalf("DELETE sent: %v", b.api.deletes)
	}
}

// While children remain, the barrier waits: a scheduled message, no
// record, nothing deleted.
func TestBarrierWaitsForChildren(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.api.lists[accPath+"/workspaces"] = []string{`{"id":"` + wsPath + `"}`}
	// The workspace's delete is under way.
	b.l.Pend(ctx, "r1", ledger.Marker{OpKey: dsr.OpKey(dsr.StepDelete, "exp.workspace", wsPath, 0), MessageID: "m"})
	op := dsr.OpKey(dsr.StepDelete, "exp.account", accPath, 0)
	s := Step{Kind: KindBarrier, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath, Op: op, Since: time.Now()}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if done, _ := b.l.HasRecord(ctx, "r1", op); done || len(b.api.deletes) != 0 {
		t.Fatalf("recorded=%v deletes=%v while a child remains", done, b.api.deletes)
	}
	m, err := b.l.Marker(ctx, "r1", op)
	if err != nil || !m.NotBefore.After(time.Now()) {
		t.Fatalf("marker %+v %v: want it scheduled for later", m, err)
	}
	// Children gone: the account is deleted and confirmed.
	b.api.lists[accPath+"/workspaces"] = nil
	if err := b.w.Handle(ctx, m.Body, 1); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Succeeded || len(b.api.deletes) != 1 {
		t.Fatalf("record %+v %v, deletes %v", rec, err, b.api.deletes)
	}
}

func TestThrottlingReschedulesThenGivesUp(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.err = &azureapi.Error{Class: azureapi.Throttled, Status: 429, RetryAfter: 30 * time.Second}
	op := dsr.OpKey(dsr.StepExport, "exp.workspace", wsPath, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Op: op, Loc: "eastus"}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	m, _ := b.l.Pending(ctx, "r1")
	if len(m) != 1 || m[0].NotBefore.Before(time.Now().Add(29*time.Second)) {
		t.Fatalf("marker %+v: want it scheduled 30 s ahead", m)
	}
	s.Attempt = DefaultLimits.MaxAttempts - 1
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "GaveUp" || rec.HTTPStatus != 429 {
		t.Fatalf("record %+v %v", rec, err)
	}
}

// A redelivered step whose record exists does nothing but clear its
// marker.
func TestRedeliveryOfAFinishedStep(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	op := dsr.OpKey(dsr.StepExport, "exp.workspace", wsPath, 0)
	b.l.Pend(ctx, "r1", ledger.Marker{OpKey: op})
	b.l.Record(ctx, op, dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	b.api.err = errors.New("must not be called")
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Op: op}
	if err := b.w.Handle(ctx, body(s), 3); err != nil {
		t.Fatal(err)
	}
	if m, _ := b.l.Pending(ctx, "r1"); len(m) != 0 {
		t.Fatalf("marker left: %+v", m)
	}
}
