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
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// inFlight counts the record reads under way at once, and fails the read
// of one record when fail names it.
type inFlight struct {
	store.Store
	fail     string
	mu       sync.Mutex
	now, max int
}

func (f *inFlight) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	if !strings.Contains(key, "/results/") {
		return f.Store.Get(ctx, key)
	}
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
	time.Sleep(time.Millisecond) // a round trip, so that reads overlap
	if f.fail != "" && strings.HasSuffix(key, "/"+f.fail+".json") {
		return nil, store.Info{}, errOutage
	}
	return f.Store.Get(ctx, key)
}

// TestEachRecordReadsInParallelInKeyOrder: a report's records come in the
// order of their keys, across the batches they are read in, several at a
// time; a read that fails stops it and names the record.
func TestEachRecordReadsInParallelInKeyOrder(t *testing.T) {
	f := &inFlight{Store: freshDir(t)}
	l := New(f, "dsr")
	ctx := context.Background()
	l.Accept(ctx, accepted("r1"))
	const n = 2*recordBatch + 17
	var want []string
	for i := range n {
		key := fmt.Sprintf("k%04d", i)
		want = append(want, key)
		if _, err := l.Record(ctx, key, dsr.Record{RequestID: "r1", Operation: dsr.StepExport, Resource: "/x/" + key, Outcome: dsr.Succeeded}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := l.eachRecord(ctx, "r1", nil, func(r *dsr.Record) { got = append(got, strings.TrimPrefix(r.Resource, "/x/")) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d records, out of order or missing (first %v)", len(got), got[:min(5, len(got))])
	}
	if f.max < 2 || f.max > recordReaders {
		t.Errorf("at most %d reads at once, want 2 to %d", f.max, recordReaders)
	}
	f.fail = "k0300"
	err := l.eachRecord(ctx, "r1", nil, func(*dsr.Record) {})
	if !errors.Is(err, errOutage) || !strings.Contains(err.Error(), "k0300") {
		t.Fatalf("a failed read: %v, want the outage naming k0300", err)
	}
}
