package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
	"amldsr/internal/store"
	"amldsr/internal/store/storetest"
)

// sealedOK checks that id's bundle verifies: a manifest listing every
// record, and a summary naming the manifest's bytes.
func sealedOK(t *testing.T, l *Ledger, id string, records int) *manifest.Manifest {
	t.Helper()
	ctx := context.Background()
	raw, err := store.ReadAll(ctx, l.store, manifest.Blob(id))
	if err != nil {
		t.Fatalf("no manifest: %v", err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var sum dsr.Status
	if err := getJSON(ctx, l.store, dsr.SummaryBlob(id), &sum); err != nil || sum.ManifestSHA256 != manifest.Digest(raw) {
		t.Fatalf("summary manifestSha256 %q, manifest hashes to %s (%v)", sum.ManifestSHA256, manifest.Digest(raw), err)
	}
	r, err := manifest.Verify(ctx, manifest.StoreSource(l.store, dsr.RequestPrefix(id)))
	if err != nil || !r.OK() {
		t.Fatalf("bundle does not verify: %+v %v", r, err)
	}
	n := 0
	for _, f := range m.Files {
		if len(f.Name) > 8 && f.Name[:8] == "results/" {
			n++
		}
	}
	if n != records {
		t.Fatalf("manifest lists %d records, want %d", n, records)
	}
	return m
}

// putOrder records the keys of every put.
type putOrder struct {
	store.Store
	mu   sync.Mutex
	puts []string
}

func (o *putOrder) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	o.mu.Lock()
	o.puts = append(o.puts, key)
	o.mu.Unlock()
	return o.Store.Put(ctx, key, body, opts)
}

// keys lists the puts under prefix, leaving out the names given.
func (o *putOrder) keys(prefix string, except ...string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
next:
	for _, k := range o.puts {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		for _, e := range except {
			if strings.HasPrefix(k[len(prefix):], e) {
				continue next
			}
		}
		out = append(out, k)
	}
	return out
}

// TestTerminalWritesTheManifestBeforeTheSummary: the first status that
// sees the end writes manifest.json, then summary.json with its hash, then
// report.html; the status returned carries the hash too.
func TestTerminalWritesTheManifestBeforeTheSummary(t *testing.T) {
	l, f := newFlaky(t)
	o := &putOrder{Store: f}
	l.store = o
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Outcome: dsr.Succeeded})
	l.Record(ctx, "b", dsr.Record{RequestID: "r1", Operation: dsr.StepDelete, Outcome: dsr.Succeeded, HTTPStatus: 404, UpstreamRequestID: "up-b"})
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateSucceeded || st.ManifestSHA256 == "" {
		t.Fatalf("status %v %q %v", st.State, st.ManifestSHA256, err)
	}
	sealedOK(t, l, "r1", 2)
	want := []string{manifest.Blob("r1"), dsr.SummaryBlob("r1"), manifest.ReportBlob("r1")}
	if got := o.keys("requests/r1/", "results/", "request.json"); !slices.Equal(got, want) {
		t.Fatalf("writes %v, want %v", got, want)
	}
}

// TestALateRecordDropsTheManifest: a record after the summary reopens the
// request and drops its manifest and report with the summary; the next
// status seals the bundle afresh, the late record listed.
func TestALateRecordDropsTheManifest(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	if st, _ := l.Status(ctx, "r1"); st.State != dsr.StateSucceeded {
		t.Fatalf("first: %s", st.State)
	}
	first := sealedOK(t, l, "r1", 1)
	l.Record(ctx, "late", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	for _, key := range []string{manifest.Blob("r1"), dsr.SummaryBlob("r1"), manifest.ReportBlob("r1")} {
		if _, _, err := l.store.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after a late record: %v", key, err)
		}
	}
	if st, _ := l.Status(ctx, "r1"); st.State != dsr.StateSucceeded || st.Counts.Discovered != 2 {
		t.Fatalf("again: %s %+v", st.State, st.Counts)
	}
	if again := sealedOK(t, l, "r1", 2); again.Root == first.Root {
		t.Fatal("the new manifest has the old root")
	}
}

// TestCrashBetweenManifestAndSummary: the summary's write fails after the
// manifest's. The next finalize finds the manifest: it still matches, so
// it is kept; after another record it no longer does, and is replaced.
func TestCrashBetweenManifestAndSummary(t *testing.T) {
	l, f := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	f.arm(dsr.SummaryBlob("r1"))
	if _, err := l.Status(ctx, "r1"); err == nil {
		t.Fatal("status succeeded although the summary's write failed")
	}
	_, info1, err := l.store.Get(ctx, manifest.Blob("r1"))
	if err != nil {
		t.Fatalf("no manifest before the summary: %v", err)
	}
	if st, err := l.Status(ctx, "r1"); err != nil || st.State != dsr.StateSucceeded {
		t.Fatalf("retry: %v %v", st, err)
	}
	sealedOK(t, l, "r1", 1)
	if _, info2, _ := l.store.Get(ctx, manifest.Blob("r1")); !info2.Modified.Equal(info1.Modified) {
		t.Error("a manifest that still matched was rewritten")
	}

	// Crash again, then a record lands before the next finalize.
	l.Accept(ctx, accepted("r2"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r2", Outcome: dsr.Succeeded})
	f.arm(dsr.SummaryBlob("r2"))
	l.Status(ctx, "r2")
	l.Record(ctx, "b", dsr.Record{RequestID: "r2", Outcome: dsr.Succeeded})
	if st, err := l.Status(ctx, "r2"); err != nil || st.Counts.Discovered != 2 {
		t.Fatalf("after the record: %v %v", st, err)
	}
	sealedOK(t, l, "r2", 2)
}

// TestASummaryWithoutItsManifestIsWithdrawn: a summary whose manifest is
// gone or different (a reopen that deleted the manifest and died before
// the summary, or a finalizer that raced a reopen) is withdrawn when it
// is next checked, and the next status seals again.
func TestASummaryWithoutItsManifestIsWithdrawn(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	st, _ := l.Status(ctx, "r1")
	if err := l.store.Delete(ctx, manifest.Blob("r1")); err != nil {
		t.Fatal(err)
	}
	if final, err := l.Finalize(ctx, st); err != nil || final {
		t.Fatalf("finalize of a summary without its manifest: final=%v %v", final, err)
	}
	if st, _ := l.Status(ctx, "r1"); st.State != dsr.StateSucceeded {
		t.Fatalf("again: %s", st.State)
	}
	sealedOK(t, l, "r1", 1)
}

// lateAfterSummary writes a record right after the summary's write, as a
// step whose lock was lost would.
type lateAfterSummary struct {
	store.Store
	once sync.Once
}

func (s *lateAfterSummary) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	err := s.Store.Put(ctx, key, body, opts)
	if key == dsr.SummaryBlob("r1") {
		s.once.Do(func() {
			s.Store.Put(ctx, dsr.ResultBlob("r1", "late"), strings.NewReader(`{"outcome":"succeeded"}`), store.PutOptions{})
		})
	}
	return err
}

// TestAReopenedStatusCarriesNoManifestHash: a status whose summary was
// withdrawn at once is running, without the hash of a manifest that is
// gone.
func TestAReopenedStatusCarriesNoManifestHash(t *testing.T) {
	l, _ := newFlaky(t)
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "a", dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	l.store = &lateAfterSummary{Store: l.store}
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateRunning || st.ManifestSHA256 != "" {
		t.Fatalf("reopened: %s %q %v", st.State, st.ManifestSHA256, err)
	}
	if st, _ := l.Status(ctx, "r1"); st.State != dsr.StateSucceeded {
		t.Fatalf("again: %s", st.State)
	}
	sealedOK(t, l, "r1", 2)
}

// failReportOnce fails the first put of a report.html after reading part
// of its body, as a connection reset in the middle of an upload does.
type failReportOnce struct {
	store.Store
	failed sync.Once
	did    bool
}

func (f *failReportOnce) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	fail := false
	if strings.HasSuffix(key, "/report.html") {
		f.failed.Do(func() { fail, f.did = true, true })
	}
	if fail {
		io.CopyN(io.Discard, body, 10)
		return errors.New("injected: connection reset during the upload")
	}
	return f.Store.Put(ctx, key, body, opts)
}

// TestAReportCutOffIsWrittenByTheNextFinalize: the report streams into
// the store as it is rendered; an upload that fails midway fails that
// status call and leaves the request in the active index, so the sweep's
// next Finalize writes the whole report.
func TestAReportCutOffIsWrittenByTheNextFinalize(t *testing.T) {
	l, _ := newFlaky(t)
	f := &failReportOnce{Store: l.store}
	l.store = f
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	l.Record(ctx, "b", dsr.Record{RequestID: "r1", Operation: dsr.StepDelete, Outcome: dsr.Succeeded, HTTPStatus: 404, UpstreamRequestID: "up-b"})
	if _, err := l.Status(ctx, "r1"); err == nil || !f.did {
		t.Fatalf("status with the report's upload cut off: %v (cut off: %v)", err, f.did)
	}
	st, err := l.Status(ctx, "r1")
	if err != nil || st.State != dsr.StateSucceeded {
		t.Fatalf("next status: %v %v", st.State, err)
	}
	if active, err := l.Active(ctx); err != nil || !slices.Contains(active, "r1") {
		t.Fatalf("r1 left the active index with its report cut off: %v %v", active, err)
	}
	if _, err := l.Finalize(ctx, st); err != nil {
		t.Fatal(err)
	}
	page, err := store.ReadAll(ctx, l.store, manifest.ReportBlob("r1"))
	if err != nil || !strings.Contains(string(page), "up-b") || !strings.Contains(string(page), "</html>") {
		t.Fatalf("report after the retry: %d bytes, %v", len(page), err)
	}
}

// TestTheReportReadsOnlyTheRecordsItLists: the report counts the records
// it does not list from their listing's metadata; it reads only deletes
// and failures, and its counts still cover every record.
func TestTheReportReadsOnlyTheRecordsItLists(t *testing.T) {
	cs := storetest.NewCounting(freshDir(t))
	l := New(cs, "dsr")
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	for i := range 50 {
		l.Record(ctx, fmt.Sprint("e", i), dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Kind: "ws.job", Resource: fmt.Sprint("/x/e", i), Outcome: dsr.Succeeded})
	}
	l.Record(ctx, "d", dsr.Record{RequestID: "r1", Operation: dsr.StepDelete, Kind: "ws.job", Resource: "/x/d", Outcome: dsr.Succeeded, HTTPStatus: 404, UpstreamRequestID: "up-d"})
	l.Record(ctx, "f", dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Kind: "ws.model", Resource: "/x/f", Outcome: dsr.Failed, Error: &dsr.RecordError{Code: "Boom"}})
	l.Record(ctx, "s", dsr.Record{RequestID: "r1", Operation: dsr.StepDelete, Kind: "ws.compute", Resource: "/x/s", Outcome: dsr.Skipped})
	if _, err := l.Status(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	cs.Reset()
	if err := l.writeReport(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if n := cs.Calls("get", dsr.ResultsPrefix("r1")); n != 2 {
		t.Errorf("the report read %d records, want 2 (the delete and the failure)", n)
	}
	page, err := store.ReadAll(ctx, l.store, manifest.ReportBlob("r1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"up-d", "Boom", ">50<", "ws.compute"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the report does not show %q", want)
		}
	}
}
