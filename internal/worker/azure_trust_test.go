package worker

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/dsr"
)

// pollFake is fakeAPI whose PollDelete and FetchContent answer as told.
type pollFake struct {
	*fakeAPI
	pollErr    error
	content    io.ReadCloser
	contentErr error
}

func (f *pollFake) PollDelete(ctx context.Context, token string) (*azureapi.DeleteResult, error) {
	return nil, f.pollErr
}

func (f *pollFake) FetchContent(ctx context.Context, raw string) (io.ReadCloser, int64, error) {
	return f.content, -1, f.contentErr
}

func pollStep() (Step, string) {
	op := dsr.OpKey(dsr.StepDelete, "exp.workspace", wsPath, 0)
	return Step{Kind: KindDelete, Phase: PhasePoll, Token: "resume", RequestID: "r1", Mode: dsr.Delete,
		Res: "exp.workspace", Path: wsPath, Op: op, Loc: "eastus"}, op
}

// A long-running delete that ended Failed for good is recorded with the
// operation's own code and message.
func TestFailedOperationIsRecordedWithItsCode(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.w.API = &pollFake{fakeAPI: b.api, pollErr: &azureapi.Error{Class: azureapi.Permanent, Status: 200, RequestID: "poll-id",
		Code: "ScopeLocked", Message: "the scope is locked", OperationFailed: true}}
	s, op := pollStep()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "ScopeLocked" || rec.Error.Message != "the scope is locked" || rec.UpstreamRequestID != "poll-id" {
		t.Fatalf("record %+v %v", rec, err)
	}
}

// A long-running delete that ended Failed for a transient reason is
// started again: the rescheduled step sends DELETE, it does not poll the
// failed operation again; the new DELETE completes the step.
func TestTransientlyFailedOperationIsDeletedAgain(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.w.API = &pollFake{fakeAPI: b.api, pollErr: &azureapi.Error{Class: azureapi.Transient, Status: 200,
		Code: "InternalServerError", Message: "try again", OperationFailed: true}}
	s, op := pollStep()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	if done, _ := b.l.HasRecord(ctx, "r1", op); done {
		t.Fatal("a transient failure of the operation was recorded")
	}
	m, _ := b.l.Pending(ctx, "r1")
	if len(m) != 1 {
		t.Fatalf("markers %+v, want one", m)
	}
	var next Step
	if err := json.Unmarshal(m[0].Body, &next); err != nil {
		t.Fatal(err)
	}
	if next.Phase != PhaseSelf || next.Token != "" || next.Attempt != 1 {
		t.Fatalf("rescheduled step %+v: want phase %q, no token, attempt 1", next, PhaseSelf)
	}
	if err := b.w.Handle(ctx, m[0].Body, 1); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Succeeded || len(b.api.deletes) != 1 {
		t.Fatalf("record %+v %v, deletes %v", rec, err, b.api.deletes)
	}
}

// No SAS signature reaches a record through the fail path.
func TestFailedRecordCarriesNoSignature(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.err = &azureapi.Error{Class: azureapi.Permanent, Code: "Odd", Message: `Get "https://acct.blob/c/x?sv=1&sig=TOPSECRET": refused`}
	op := dsr.OpKey(dsr.StepExport, "exp.workspace", wsPath, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Op: op, Loc: "eastus"}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed {
		t.Fatalf("record %+v %v", rec, err)
	}
	if strings.Contains(rec.Error.Message, "TOPSECRET") || !strings.Contains(rec.Error.Message, "sig=REDACTED") {
		t.Fatalf("record message %q", rec.Error.Message)
	}
}

// tooLarge is a content body that fails like an over-cap content does.
type tooLarge struct{}

func (tooLarge) Read([]byte) (int, error) {
	return 0, &azureapi.Error{Class: azureapi.Permanent, Code: "ContentTooLarge", Message: "the content is larger than 10 bytes"}
}
func (tooLarge) Close() error { return nil }

// Content over the cap fails its step for good with the fetch's own code
// (not a transient stream error retried until it gives up).
func TestContentOverTheCapFails(t *testing.T) {
	b := setup(t, dsr.Export)
	ctx := context.Background()
	art := "/artifact/v1.0" + wsPath + "/projects/p1/artifacts/contentinfo/ExperimentRun/run1/out.txt"
	b.api.docs[art] = `{"contentUri":"https://acct.blob.core.windows.net/c/out.txt?sv=1&sig=abc"}`
	b.w.API = &pollFake{fakeAPI: b.api, content: tooLarge{}}
	op := dsr.OpKey(dsr.StepExport, "exp.artifact", art, 0)
	s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.artifact", Path: art, Op: op, Loc: "eastus"}
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "ContentTooLarge" {
		t.Fatalf("record %+v %v", rec, err)
	}
}

// Operations that keep failing for transient reasons are started again a
// bounded number of times, then the delete fails with the last
// operation's code and message.
func TestOperationRestartsAreBounded(t *testing.T) {
	b := setup(t, dsr.Delete)
	ctx := context.Background()
	b.w.API = &pollFake{fakeAPI: b.api, pollErr: &azureapi.Error{Class: azureapi.Transient, Status: 200,
		Code: "AnotherOperationInProgress", Message: "busy", OperationFailed: true}}
	s, op := pollStep()
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	m, _ := b.l.Pending(ctx, "r1")
	var next Step
	if len(m) != 1 || json.Unmarshal(m[0].Body, &next) != nil || next.Phase != PhaseSelf || next.Restarts != 1 {
		t.Fatalf("after one failed operation: %+v", next)
	}
	s.Restarts = DefaultLimits.MaxAttempts - 1
	if err := deliver(ctx, b, s); err != nil {
		t.Fatal(err)
	}
	rec, err := b.l.ReadRecord(ctx, "r1", op)
	if err != nil || rec.Outcome != dsr.Failed || rec.Error.Code != "AnotherOperationInProgress" || !strings.Contains(rec.Error.Message, "busy") {
		t.Fatalf("record %+v %v", rec, err)
	}
}
