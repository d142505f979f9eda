package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

func TestRetentionPurgesExportedData(t *testing.T) {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	testRetention(t, st)
}

// failingDeletes fails every Delete under export/ after the first n.
type failingDeletes struct {
	store.Store
	left atomic.Int64
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if strings.Contains(key, "/export/") && f.left.Add(-1) < 0 {
		return errors.New("injected: the process died here")
	}
	return f.Store.Delete(ctx, key)
}

// testRetention runs on st, with an injected clock: a finished request
// keeps its exported data until DSR_RETENTION_DAYS after completedAt,
// then the sweep writes purged.json and removes export/** and nothing
// else; a purge cut short is finished by the next sweep, with the same
// purged.json; a setting of 0 keeps everything.
func testRetention(t *testing.T, st store.Store) {
	ctx := context.Background()
	fail := &failingDeletes{Store: st}
	fail.left.Store(1 << 40)
	l := ledger.New(fail, "dsr")
	files := map[string]string{ // name under requests/{id}/ → body
		"export/subscriptions/s1/resourceGroups/rg-1.json":                     `{"id":"rg-1"}`,
		"export/subscriptions/s1/resourceGroups/rg-1/models/m1.json":           `{"id":"m1","name":"m1"}`,
		"export/subscriptions/s1/resourceGroups/rg-1/runs/r/content/out/a.txt": "model weights",
	}
	var names []string
	var size int64
	for n, b := range files {
		names = append(names, n)
		size += int64(len(b))
	}
	slices.Sort(names)
	for _, id := range []string{"r1", "r2"} {
		if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: id, Operation: dsr.Export,
			Targets: []string{target}, Match: dsr.MatchAll}, AcceptedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		for n, b := range files {
			if err := st.Put(ctx, dsr.RequestPrefix(id)+n, strings.NewReader(b), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		l.Record(ctx, "export.one", dsr.Record{RequestID: id, Operation: dsr.StepExport, Outcome: dsr.Succeeded})
	}
	s := &Sweeper{Ledger: l, Queue: memory.New(memory.Options{LockDuration: time.Second}), RedriveAfter: time.Hour,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sweepAt := func(at time.Time) Report {
		t.Helper()
		s.now = func() time.Time { return at }
		rep, err := s.Sweep(ctx, false)
		if err != nil {
			t.Fatalf("sweep at %v: %v", at, err)
		}
		return rep
	}
	now := time.Now().UTC()
	if rep := sweepAt(now); rep.Finalized != 2 {
		t.Fatalf("not finalized: %+v", rep)
	}
	sum, err := l.Status(ctx, "r1")
	if err != nil || sum.CompletedAt == nil {
		t.Fatalf("%+v %v", sum, err)
	}
	done := *sum.CompletedAt
	exists := func(id, name string) bool {
		_, err := store.ReadAll(ctx, st, dsr.RequestPrefix(id)+name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	// Keep for ever (0), and before the due time: nothing goes.
	if rep := sweepAt(done.AddDate(1, 0, 0)); rep.Purged != 0 || !exists("r1", names[0]) {
		t.Fatalf("RetentionDays 0 purged: %+v", rep)
	}
	s.RetentionDays = 7
	if rep := sweepAt(done.AddDate(0, 0, 7).Add(-time.Minute)); rep.Purged != 0 || !exists("r1", names[0]) || exists("r1", "purged.json") {
		t.Fatalf("purged before its time: %+v", rep)
	}
	// Due: r1 whole; r2's purge dies after its first delete.
	fail.left.Store(int64(len(files)) + 1)
	at := done.AddDate(0, 0, 7).Add(time.Minute)
	s.now = func() time.Time { return at }
	if _, err := s.Sweep(ctx, false); err == nil {
		t.Fatal("the injected failure was not reported")
	}
	check := func(id string) {
		t.Helper()
		for _, n := range names {
			if exists(id, n) {
				t.Errorf("%s: %s still there", id, n)
			}
		}
		for _, n := range []string{"request.json", "summary.json", "results/export.one.json"} {
			if !exists(id, n) {
				t.Errorf("%s: %s was removed", id, n)
			}
		}
		b, err := store.ReadAll(ctx, st, dsr.PurgedBlob(id))
		if err != nil {
			t.Fatalf("%s: no purged.json: %v", id, err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range p["files"].([]any) {
			got = append(got, f.(string))
		}
		if p["v"] != 1.0 || p["requestId"] != id || p["purgedAt"] != at.Format(time.RFC3339Nano) || p["retentionDays"] != 7.0 ||
			!slices.Equal(got, names) || p["count"] != float64(len(names)) || p["bytes"] != float64(size) || len(p) != 7 {
			t.Errorf("%s: purged.json %s", id, b)
		}
	}
	check("r1")
	if exists("r2", names[0]) && exists("r2", names[1]) && exists("r2", names[2]) {
		t.Fatal("r2's purge did not start")
	}
	if !exists("r2", "purged.json") {
		t.Fatal("r2's deletes began before purged.json was written")
	}
	fail.left.Store(1 << 40)
	if rep := sweepAt(at.Add(time.Hour)); rep.Purged != 1 {
		t.Fatalf("the next sweep did not finish r2's purge: %+v", rep)
	}
	check("r2")
	// Nothing is left to do: the due-date index is empty.
	if rep := sweepAt(at.Add(2 * time.Hour)); rep.Purged != 0 {
		t.Fatalf("purged again: %+v", rep)
	}
	var left []string
	store.Walk(ctx, st, "retention/", func(info store.Info) error { left = append(left, info.Key); return nil })
	if len(left) != 0 {
		t.Fatalf("index entries left: %v", left)
	}
}
