package ledger

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
	"amldsr/internal/store"
	"amldsr/internal/store/storetest"
)

// gatedManifest holds every put of a manifest.json until open is closed,
// as a slow store holds the finalization of a large request.
type gatedManifest struct {
	store.Store
	open chan struct{}
}

func (g *gatedManifest) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	if strings.HasSuffix(key, "/manifest.json") {
		<-g.open
	}
	return g.Store.Put(ctx, key, body, opts)
}

// TestAStatusCallWaitsForTheEvidenceAtMostFinalizeWait: a status call
// that finds the end answers running, with nothing pending, when the
// evidence takes longer than FinalizeWait; calls meanwhile answer from the
// cache without listing again; once the evidence is written the summary
// answers, with its manifest's hash.
func TestAStatusCallWaitsForTheEvidenceAtMostFinalizeWait(t *testing.T) {
	g := &gatedManifest{Store: freshDir(t), open: make(chan struct{})}
	cs := storetest.NewCounting(g)
	l := New(cs, "dsr")
	l.FinalizeWait = 20 * time.Millisecond
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	for _, k := range []string{"a", "b"} {
		l.Record(ctx, k, dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Outcome: dsr.Succeeded})
	}
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateRunning || st.Counts.Pending != 0 || st.Counts.Succeeded != 2 || st.ManifestSHA256 != "" {
		t.Fatalf("status while the manifest is held: %+v %v; want running, 2 succeeded, none pending", st, err)
	}
	cs.Reset()
	for range 3 {
		if again, err := l.Status(ctx, "r1"); err != nil || again.State != dsr.StateRunning || again.Counts.Succeeded != 2 {
			t.Fatalf("status meanwhile: %+v %v", again, err)
		}
	}
	if n := cs.Calls("list", dsr.ResultsPrefix("r1")) + cs.Calls("list", dsr.PendingPrefix("r1")); n != 0 {
		t.Errorf("status calls during the finalization listed %d times, want 0 (from the cache)", n)
	}
	close(g.open)
	l.Wait()
	st, err = l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateSucceeded || st.ManifestSHA256 == "" {
		t.Fatalf("status after the evidence: %+v %v", st, err)
	}
	sealedOK(t, l, "r1", 2)
	if _, err := store.ReadAll(ctx, l.store, manifest.ReportBlob("r1")); err != nil {
		t.Errorf("report: %v", err)
	}
}

// TestAQuickFinalizationAnswersTerminalAtOnce: evidence written within
// FinalizeWait makes that same call answer the terminal state.
func TestAQuickFinalizationAnswersTerminalAtOnce(t *testing.T) {
	l := New(freshDir(t), "dsr")
	l.FinalizeWait = time.Minute
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Outcome: dsr.Succeeded})
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateSucceeded || st.ManifestSHA256 == "" {
		t.Fatalf("status: %+v %v; want succeeded with the manifest's hash", st, err)
	}
	sealedOK(t, l, "r1", 1)
}

// TestSettleWritesTheSummaryNow: whatever FinalizeWait says, Settle (the
// callback's read) returns only once a done request's summary stands.
func TestSettleWritesTheSummaryNow(t *testing.T) {
	g := &gatedManifest{Store: freshDir(t), open: make(chan struct{})}
	l := New(g, "dsr")
	l.FinalizeWait = time.Millisecond
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Outcome: dsr.Succeeded})
	if st, err := l.Status(ctx, "r1"); err != nil || st.State != dsr.StateRunning {
		t.Fatalf("status with the manifest held: %+v %v", st, err)
	}
	settled := make(chan *dsr.Status)
	go func() {
		st, err := l.Settle(ctx, "r1")
		if err != nil {
			t.Error(err)
		}
		settled <- st
	}()
	select {
	case st := <-settled:
		t.Fatalf("Settle returned %v before the evidence could be written", st.State)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.open)
	if st := <-settled; st == nil || st.State != dsr.StateSucceeded {
		t.Fatalf("Settle: %+v", st)
	}
	if _, err := l.Summary(ctx, "r1"); err != nil {
		t.Fatalf("no summary after Settle: %v", err)
	}
	l.Wait()
}
