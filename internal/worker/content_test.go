package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// copyFake is the fake API with a client that vets URLs for server-side
// copies; it counts fetches.
type copyFake struct {
	*fakeAPI
	fetches int
}

func (f *copyFake) CopySource(ctx context.Context, raw string) (int64, error) { return 1 << 30, nil }

func (f *copyFake) FetchContent(ctx context.Context, raw string) (io.ReadCloser, int64, error) {
	f.fetches++
	return f.fakeAPI.FetchContent(ctx, raw)
}

// copyStore is a dir store whose service copies from URLs, or refuses to.
type copyStore struct {
	*dir.Store
	refuse  bool
	sources []string
}

func (c *copyStore) CopyFromURL(ctx context.Context, key, src string, opts store.PutOptions) (int64, error) {
	c.sources = append(c.sources, src)
	if c.refuse {
		return 0, fmt.Errorf("%w: 501 APINotImplemented", store.ErrCopyRefused)
	}
	const copied = "copied by the service"
	return int64(len(copied)), c.Store.Put(ctx, key, strings.NewReader(copied), opts)
}

// An artifact's content goes to the store by a server-side copy from its
// content URI when the store can; when the service refuses, it is fetched
// and streamed instead. Either way the step succeeds with the content in
// the bundle.
func TestContentCopiedOrStreamed(t *testing.T) {
	const uri = "https://acct.blob.core.windows.net/c/out.txt?sv=1&sig=abc"
	for _, tc := range []struct {
		refuse      bool
		want        string
		wantFetches int
	}{
		{refuse: false, want: "copied by the service", wantFetches: 0},
		{refuse: true, want: "content", wantFetches: 1},
	} {
		t.Run(fmt.Sprintf("refused=%v", tc.refuse), func(t *testing.T) {
			ctx := context.Background()
			d, err := dir.Open(t.TempDir(), "dsr")
			if err != nil {
				t.Fatal(err)
			}
			st := &copyStore{Store: d, refuse: tc.refuse}
			l := ledger.New(st, "dsr")
			if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Export, Match: dsr.MatchAll, Targets: []string{rgPath}}}); err != nil {
				t.Fatal(err)
			}
			api := &copyFake{fakeAPI: newFake()}
			b := &bundle{w: New(api, l, memory.New(memory.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil))), api: api.fakeAPI, l: l}
			art := "/artifact/v1.0" + wsPath + "/projects/p1/artifacts/contentinfo/ExperimentRun/run1/out.txt"
			api.docs[art] = `{"contentUri":"` + uri + `"}`
			op := dsr.OpKey(dsr.StepExport, "exp.artifact", art, 0)
			s := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.artifact", Path: art, Op: op, Loc: "eastus"}
			if err := deliver(ctx, b, s); err != nil {
				t.Fatal(err)
			}
			rec, err := l.ReadRecord(ctx, "r1", op)
			if err != nil || rec.Outcome != dsr.Succeeded {
				t.Fatalf("record %+v %v", rec, err)
			}
			if len(st.sources) != 1 || st.sources[0] != uri || api.fetches != tc.wantFetches {
				t.Errorf("copies asked from %q, %d fetches; want one copy from the content URI and %d fetches", st.sources, api.fetches, tc.wantFetches)
			}
			var got string
			err = store.Walk(ctx, d, "requests/r1/export/", func(info store.Info) error {
				if raw, err := store.ReadAll(ctx, d, info.Key); err == nil && string(raw) == tc.want {
					got = info.Key
				}
				return nil
			})
			if err != nil || got == "" {
				t.Errorf("no blob under export/ holds %q (%v)", tc.want, err)
			}
		})
	}
}
