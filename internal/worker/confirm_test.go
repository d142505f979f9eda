package worker

import (
	"context"
	"net/url"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/dsr"
)

// flakyConfirm deletes for real, but the first GETs after the DELETE fail
// transiently (a 503 that outlived the pipeline's retries, a throttle).
type flakyConfirm struct {
	*fakeAPI
	failGets *int
}

func (f flakyConfirm) BeginDelete(ctx context.Context, u *url.URL) (*azureapi.DeleteResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, u.Path)
	if _, ok := f.docs[u.Path]; !ok {
		return &azureapi.DeleteResult{Done: true, Existed: false, Status: 404}, nil
	}
	delete(f.docs, u.Path)
	return &azureapi.DeleteResult{Done: true, Existed: true, Status: 200, RequestID: "delete-id"}, nil
}

func (f flakyConfirm) Get(ctx context.Context, u *url.URL) (*azureapi.Response, error) {
	if *f.failGets > 0 {
		*f.failGets--
		return nil, &azureapi.Error{Class: azureapi.Transient, Status: 503, Code: "ServiceUnavailable"}
	}
	return f.fakeAPI.Get(ctx, u)
}

// A DELETE that succeeded is not forgotten when its confirming GET fails
// for a while: the step goes on confirming, it does not DELETE again (which
// would find 404 and record "absent", as if the resource had never been
// there: a false proof). Found by TestSeedEndToEnd/429and503.
func TestAFailedConfirmationDoesNotDeleteAgain(t *testing.T) {
	for _, fails := range []int{1, 3} {
		b := setupReq(t, dsr.Request{Operation: dsr.Delete, Targets: []string{rgPath}})
		ctx := context.Background()
		n := fails
		f := flakyConfirm{fakeAPI: b.api, failGets: &n}
		b.w.API = f
		b.api.docs[wsPath] = `{"name":"w1"}`
		s := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.workspace", Path: wsPath, Loc: "eastus", Phase: PhaseSelf}
		s.Op = s.Key()
		if err := deliver(ctx, b, s); err != nil {
			t.Fatal(err)
		}
		for range fails + 2 {
			m := markerOf(t, b, s.Op)
			if m == nil {
				break
			}
			if m.Phase != PhaseConfirm {
				t.Fatalf("after a failed confirmation the step is in phase %q, want %q (a second DELETE would follow)", m.Phase, PhaseConfirm)
			}
			if err := deliver(ctx, b, *m); err != nil {
				t.Fatal(err)
			}
		}
		rec, err := b.l.ReadRecord(ctx, "r1", s.Op)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Outcome != dsr.Succeeded || rec.HTTPStatus != 200 || rec.UpstreamRequestID != "delete-id" {
			t.Errorf("%d failed GETs: record %+v, want succeeded with the DELETE's 200 and request id", fails, rec)
		}
		if len(f.deletes) != 1 {
			t.Errorf("%d failed GETs: %d DELETEs sent, want 1", fails, len(f.deletes))
		}
	}
}
