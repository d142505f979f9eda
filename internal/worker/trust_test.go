package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
)

const (
	amlWS = rgPath + "/providers/Microsoft.MachineLearningServices/workspaces/ws1"
	alice = "alice@contoso.com"
)

// setupReq is setup with a request of the caller's.
func setupReq(t *testing.T, req dsr.Request) *bundle {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	req.RequestID = "r1"
	if req.Match == "" {
		req.Match = dsr.MatchAll
	}
	if _, _, err := l.Accept(context.Background(), dsr.AcceptedRequest{Request: req}); err != nil {
		t.Fatal(err)
	}
	q := memory.New(memory.Options{})
	api := newFake()
	w := New(api, l, q, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &bundle{w: w, api: api, l: l, q: q}
}

// barrierOf is the barrier step of the delete of an experimentation
// account, waiting on group g.
func barrierOf(res, path string, g int) Step {
	s := Step{V: Version, Kind: KindBarrier, RequestID: "r1", Mode: dsr.Delete, Res: res, Path: path, Group: g, Since: time.Now().UTC()}
	s.Op = s.Key()
	return s
}

func markerOf(t *testing.T, b *bundle, op string) *Step {
	t.Helper()
	ms, err := b.l.Pending(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.OpKey == op {
			var s Step
			json.Unmarshal(m.Body, &s)
			return &s
		}
	}
	return nil
}

// Finding 1: a barrier reads every page of a child collection, not only
// the first, and starts the delete of a child that has no delete step of
// its own (one that discovery missed because paging shifted under the
// deletes, or that appeared while the delete ran), recording the round.
func TestBarrierReadsEveryPageAndStartsMissedChildren(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	w2 := accPath + "/workspaces/w2"
	b.api.paged = map[string][][]string{accPath + "/workspaces": {{}, {`{"id":"` + w2 + `"}`}}}
	s := barrierOf("exp.account", accPath, 0)
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if len(b.api.deletes) != 0 {
		t.Fatalf("the account was deleted while w2 remained on page 2: %v", b.api.deletes)
	}
	w2op := dsr.OpKey(dsr.StepDelete, "exp.workspace", w2, 0)
	if m := markerOf(t, b, w2op); m == nil || m.Kind != KindDelete || m.Path != w2 {
		t.Fatalf("no delete step started for the missed child w2: %+v", m)
	}
	if m := markerOf(t, b, s.Op); m == nil || m.Kind != KindBarrier || m.Round != 1 {
		t.Fatalf("barrier not rescheduled as round 1: %+v", m)
	}
	rounds := 0
	for _, r := range records(t, b) {
		if r.Operation == dsr.StepDiscover && r.Kind == "exp.workspace" && strings.Contains(r.Note, "round 1") {
			rounds++
		}
	}
	if rounds != 1 {
		t.Fatalf("%d round records, want 1: %+v", rounds, records(t, b))
	}
}

// Rounds are bounded: children that keep appearing fail the parent with a
// clear reason instead of looping for ever.
func TestBarrierRoundsAreBounded(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.api.lists[accPath+"/workspaces"] = []string{`{"id":"` + wsPath + `"}`}
	s := barrierOf("exp.account", accPath, 0)
	s.Round = b.w.Limits.MaxRounds
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "ChildrenKeepAppearing" {
		t.Fatalf("record %+v %v", rec, err)
	}
	if len(b.api.deletes) != 0 {
		t.Fatalf("deleted: %v", b.api.deletes)
	}
}

// Finding 2: a child kept on purpose (skipped) is final: the barrier moves
// on to the next group instead of waiting for it for hours.
func TestBarrierTreatsKeptChildrenAsFinal(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{amlWS}, Match: dsr.MatchSubject,
		Subject: &dsr.Subject{UserPrincipalName: alice}})
	ctx := context.Background()
	model := amlWS + "/models/m1"
	b.api.lists[amlWS+"/models"] = []string{`{"id":"` + model + `","systemData":{"createdBy":"` + alice + `","createdByType":"User"}}`}
	b.l.Record(ctx, dsr.OpKey(dsr.StepDelete, "aml.model", model, 0), dsr.Record{RequestID: "r1", Operation: dsr.StepDelete,
		Kind: "aml.model", Resource: model, Outcome: dsr.Skipped, Error: &dsr.RecordError{Code: "KeptForOthers", Message: "holds bob's versions"}})
	s := barrierOf("aml.workspace", amlWS, 3)
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	m := markerOf(t, b, s.Op)
	if m == nil || m.Kind != KindBarrier || m.Group != 4 {
		t.Fatalf("the barrier did not move on to group 4 (computes): %+v", m)
	}
}

// Finding 5: a parent whose location cannot be read fails alone: it
// starts none of its children.
func TestInvalidLocationStartsNoChildren(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.api.docs[accPath] = `{"location":"not a location!"}`
	s := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "InvalidLocation" {
		t.Fatalf("record %+v %v", rec, err)
	}
	if ms, _ := b.l.Pending(ctx, "r1"); len(ms) != 0 {
		t.Fatalf("children started under a parent without a location: %+v", ms)
	}
}

// Finding 14: every step is checked against its request. A mismatch is
// poison; nothing is sent upstream.
func TestStepsAreTiedToTheirRequest(t *testing.T) {
	other := "/subscriptions/s1/resourceGroups/rg-2/providers/Microsoft.MachineLearningExperimentation/accounts/a9"
	del := func(path string) Step {
		s := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: path}
		s.Op = s.Key()
		return s
	}
	for _, tc := range []struct {
		name   string
		req    dsr.Request
		step   Step
		reason string
	}{
		{"delete under an export", dsr.Request{Operation: dsr.Export, Targets: []string{rgPath}}, del(accPath), "ModeMismatch"},
		{"outside the targets", dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}}, del(other), "OutsideTargets"},
		{"delete phase in a dry run", dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}, DryRun: true},
			func() Step { s := del(accPath); s.Phase = PhaseSelf; return s }(), "DryRun"},
		{"barrier in a dry run", dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}, DryRun: true},
			barrierOf("exp.account", accPath, 0), "DryRun"},
		{"op key of another resource", dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}},
			func() Step { s := del(accPath); s.Op = dsr.OpKey(dsr.StepDelete, "exp.account", other, 0); return s }(), "OpKeyMismatch"},
		{"op key of an export", dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}},
			func() Step { s := del(accPath); s.Op = dsr.OpKey(dsr.StepExport, "exp.account", accPath, 0); return s }(), "OpKeyMismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setupReq(t, tc.req)
			ctx := context.Background()
			b.api.docs[accPath] = `{"location":"eastus"}`
			b.api.docs[other] = `{"location":"eastus"}`
			err := deliver(ctx, b, tc.step)
			var p *PoisonError
			if !errors.As(err, &p) || p.Reason != tc.reason {
				t.Fatalf("err %v, want poison %s", err, tc.reason)
			}
			if len(b.api.deletes) != 0 {
				t.Fatalf("deleted: %v", b.api.deletes)
			}
		})
	}
}

// DSR_ALLOWED_SCOPES bounds steps too, not only submits.
func TestStepsStayInAllowedScopes(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	b.w.AllowedScopes = []string{"/subscriptions/s1/resourceGroups/rg-other"}
	b.api.docs[accPath] = `{"location":"eastus"}`
	s := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath}
	s.Op = s.Key()
	var p *PoisonError
	if err := deliver(context.Background(), b, s); !errors.As(err, &p) || p.Reason != "OutsideAllowedScopes" {
		t.Fatalf("err %v, want poison OutsideAllowedScopes", err)
	}
}

// A message that is not its operation's current one (forged, or stale
// after a reschedule) does nothing: a forged confirm cannot write the
// record that the real delete would write.
func TestForgedConfirmCannotPreemptADelete(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	proj := wsPath + "/projects/p1"
	real := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.project", Path: proj, Loc: "eastus"}
	real.Op = real.Key()
	if err := b.w.Book().Start(ctx, time.Time{}, real); err != nil {
		t.Fatal(err)
	}
	forged := real
	forged.Phase, forged.Status, forged.UpstreamID = PhaseConfirm, 200, "forged"
	if err := b.w.Handle(ctx, body(forged), 1); err != nil {
		t.Fatal(err)
	}
	if done, _ := b.l.HasRecord(ctx, "r1", real.Op); done {
		rec, _ := b.l.ReadRecord(ctx, "r1", real.Op)
		t.Fatalf("a forged confirm wrote the delete's record: %+v", rec)
	}
	if m := markerOf(t, b, real.Op); m == nil || m.Phase != PhaseStart {
		t.Fatalf("the real step's marker was replaced: %+v", m)
	}
}

// Finding 20: the message id covers every field that makes a step
// distinct, so duplicate detection never drops a reschedule.
func TestMessageIDCoversTheWholeStep(t *testing.T) {
	base := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath, Phase: PhasePoll, Token: "t1"}
	base.Op = base.Key()
	for name, mutate := range map[string]func(*Step){
		"token":      func(s *Step) { s.Token = "t2" },
		"status":     func(s *Step) { s.Status = 202 },
		"upstreamId": func(s *Step) { s.UpstreamID = "u" },
		"loc":        func(s *Step) { s.Loc = "westus" },
		"why":        func(s *Step) { s.Why = "w" },
		"kept":       func(s *Step) { s.Kept = 1 },
		"since":      func(s *Step) { s.Since = time.Unix(1, 0) },
		"link":       func(s *Step) { s.Link = "https://x/y" },
		"round":      func(s *Step) { s.Round = 1 },
	} {
		s := base
		mutate(&s)
		if s.MessageID() == base.MessageID() {
			t.Errorf("changing %s keeps the message id", name)
		}
	}
	if base.MessageID() != base.MessageID() {
		t.Error("the message id is not deterministic")
	}
}

// A bad list item in a delete is keyed and recorded as a delete.
func TestBadItemOfADeleteIsRecordedAsADelete(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.api.lists[wsPath+"/projects"] = []string{`{"name":"no id"}`}
	s := Step{V: Version, Kind: KindDiscover, RequestID: "r1", Mode: dsr.Delete, Res: "exp.workspace", Path: wsPath, Child: "exp.project", Loc: "eastus"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	raws, keys := resultKeys(t, b)
	found := false
	for i, r := range raws {
		if r.Error != nil && r.Error.Code == "InvalidListItem" {
			found = true
			if r.Operation != dsr.StepDelete || !strings.HasPrefix(keys[i], "delete.") {
				t.Errorf("bad item recorded as %s under key %s", r.Operation, keys[i])
			}
		}
	}
	if !found {
		t.Fatal("no InvalidListItem record")
	}
}

func resultKeys(t *testing.T, b *bundle) ([]dsr.Record, []string) {
	t.Helper()
	var recs []dsr.Record
	var keys []string
	err := walkResults(b, func(key string, r dsr.Record) { recs = append(recs, r); keys = append(keys, key) })
	if err != nil {
		t.Fatal(err)
	}
	return recs, keys
}

// The operation a step records is derived in one place: a scope target's
// root step lists, whatever the request's mode.
func TestOperationOfAStep(t *testing.T) {
	for _, tc := range []struct {
		s    Step
		want dsr.Step
	}{
		{Step{Kind: KindExport, Mode: dsr.Export, Res: "arm.resourcegroup", Path: rgPath}, dsr.StepDiscover},
		{Step{Kind: KindDelete, Mode: dsr.Delete, Res: "arm.resourcegroup", Path: rgPath}, dsr.StepDiscover},
		{Step{Kind: KindDiscover, Mode: dsr.Delete, Res: "exp.workspace", Path: wsPath, Child: "exp.project"}, dsr.StepDiscover},
		{Step{Kind: KindExport, Mode: dsr.Export, Res: "exp.account", Path: accPath}, dsr.StepExport},
		{Step{Kind: KindBarrier, Mode: dsr.Delete, Res: "exp.account", Path: accPath}, dsr.StepDelete},
		{Step{Kind: KindDelete, Mode: dsr.Delete, Res: "exp.account", Path: accPath}, dsr.StepDelete},
	} {
		if got := tc.s.Operation(); got != tc.want {
			t.Errorf("%s %s %s: %s, want %s", tc.s.Kind, tc.s.Mode, tc.s.Res, got, tc.want)
		}
	}
}

// A next-page link that leaves its list (forged, or an upstream that
// points elsewhere) is not followed.
func TestNextPageLinkStaysOnItsList(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Export, Targets: []string{rgPath}})
	ctx := context.Background()
	other := rgPath + "/providers/Microsoft.MachineLearningExperimentation/accounts/a2/workspaces"
	b.api.lists[other] = []string{`{"id":"` + other + `/w9"}`}
	s := Step{V: Version, Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.account", Path: accPath, Child: "exp.workspace",
		Page: 1, Link: "https://management.azure.com" + other + "?api-version=2017-05-01-preview&$skiptoken=x"}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "InvalidPage" {
		t.Fatalf("record %+v %v", rec, err)
	}
	if ms, _ := b.l.Pending(ctx, "r1"); len(ms) != 0 {
		t.Fatalf("items of another list started: %+v", ms)
	}
}

// A child that the listing of its kind has not reached yet is not missed:
// the barrier waits for the listing instead of starting a second delete.
func TestBarrierWaitsForARunningListing(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.api.lists[accPath+"/workspaces"] = []string{`{"id":"` + wsPath + `"}`}
	listing := Step{V: Version, Kind: KindDiscover, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath, Child: "exp.workspace", Page: 1}
	listing.Op = listing.Key()
	b.l.Pend(ctx, "r1", ledger.Marker{OpKey: listing.Op, MessageID: listing.MessageID(), Body: body(listing)})
	s := barrierOf("exp.account", accPath, 0)
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if m := markerOf(t, b, dsr.OpKey(dsr.StepDelete, "exp.workspace", wsPath, 0)); m != nil {
		t.Fatalf("a delete was started while the listing still runs: %+v", m)
	}
	if m := markerOf(t, b, s.Op); m == nil || m.Round != 0 || m.Waits != 1 {
		t.Fatalf("the barrier should wait, round 0: %+v", m)
	}
}

// stickyFake answers DELETE but the resource stays visible for a while.
type stickyFake struct{ *fakeAPI }

func (f stickyFake) BeginDelete(ctx context.Context, u *url.URL) (*azureapi.DeleteResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, u.Path)
	return &azureapi.DeleteResult{Done: true, Existed: true, Status: 200}, nil
}

// A parent whose children took longer than the confirmation timeout still
// gets its own time to confirm: the clock of the confirmation starts with
// its DELETE, not with its children.
func TestConfirmationClockStartsWithTheDelete(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.w.API = stickyFake{b.api}
	b.api.docs[accPath] = `{"location":"eastus"}`
	s := barrierOf("exp.account", accPath, 0)
	s.Since = time.Now().Add(-time.Hour).UTC()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if rec, err := b.l.ReadRecord(ctx, "r1", s.Op); err == nil {
		t.Fatalf("recorded before the confirmation had its time: %+v", rec)
	}
	m := markerOf(t, b, s.Op)
	if m == nil || m.Phase != PhaseConfirm || time.Since(m.Since) > time.Minute {
		t.Fatalf("want a confirmation whose clock starts now: %+v", m)
	}
}

// runningFake answers every poll "still running".
type runningFake struct{ *fakeAPI }

func (f runningFake) PollDelete(ctx context.Context, token string) (*azureapi.DeleteResult, error) {
	return &azureapi.DeleteResult{ResumeToken: token, Status: 202, RetryAfter: time.Second}, nil
}

// An operation that never finishes is not polled for ever: past
// Limits.OperationTimeout the delete fails with a clear reason.
func TestAnOperationThatNeverEndsTimesOut(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	b.w.API = runningFake{b.api}
	s := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.workspace", Path: wsPath, Loc: "eastus",
		Phase: PhasePoll, Token: "t", Since: time.Now().Add(-b.w.Limits.OperationTimeout - time.Minute).UTC()}
	s.Op = s.Key()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "OperationTimedOut" {
		t.Fatalf("record %+v %v", rec, err)
	}
}

// Every record's error text loses its SAS signatures, whichever step
// wrote it (here a bad list item whose error quotes a URL).
func TestRecordsCarryNoSignature(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Export, Targets: []string{rgPath}})
	ctx := context.Background()
	s := Step{V: Version, Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.account", Path: accPath}
	s.Op = s.Key()
	if err := b.w.Book().Note(ctx, s, dsr.Record{Outcome: dsr.Failed,
		Error: &dsr.RecordError{Code: "X", Message: "fetching https://h/c?sv=1&sig=SECRETSIG failed"}}); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
	if err != nil || strings.Contains(rec.Error.Message, "SECRETSIG") {
		t.Fatalf("record %+v %v", rec, err)
	}
}

// A record a step writes for another operation (a child it skips) names
// that operation's resource, not the step's own.
func TestInlineRecordNamesItsOwnResource(t *testing.T) {
	b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
	ctx := context.Background()
	ref, err := catalog.NewRef("exp.workspace", wsPath)
	if err != nil {
		t.Fatal(err)
	}
	barrier := barrierOf("exp.account", accPath, 0)
	accRef, _ := catalog.NewRef("exp.account", accPath)
	r := &run{Worker: b.w, step: &barrier, ref: accRef, req: &dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Delete}}, attempts: 1}
	child := r.visit(KindDelete, ref, "")
	if err := r.note(ctx, child, dsr.Record{Outcome: dsr.Skipped}); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", child.Op)
	if err != nil || rec.Kind != "exp.workspace" || rec.Resource != wsPath {
		t.Fatalf("record %+v %v", rec, err)
	}
}
