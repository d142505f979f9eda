package sweep

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// TestAnOrphanIndexEntryIsDropped: an index entry whose request.json never
// came (a submit killed in between) does not make every sweep fail, and
// goes once it is old; a young one stays (its submit may be running).
func TestAnOrphanIndexEntryIsDropped(t *testing.T) {
	s, _ := setup(t)
	ctx := context.Background()
	st := s.Ledger.Store()
	put := func(id string, at time.Time) {
		b := []byte(`{"writtenAt":"` + at.UTC().Format(time.RFC3339Nano) + `"}`)
		if err := st.Put(ctx, dsr.ActiveBlob(id), bytes.NewReader(b), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("orphan-old", time.Now().Add(-time.Hour))
	put("orphan-young", time.Now())
	if _, err := s.Sweep(ctx, false); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	ids, _ := s.Ledger.Active(ctx)
	if slices.Contains(ids, "orphan-old") || !slices.Contains(ids, "orphan-young") {
		t.Fatalf("index after the sweep: %v", ids)
	}
}
