package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	"amldsr/internal/store"
)

// cursor is CursorBlob's body.
type cursor struct {
	// After is the last request the sweep that ran out of budget
	// finished; empty after a full round.
	After string    `json:"after"`
	At    time.Time `json:"at"`
}

// readCursor returns where to start; "" (the beginning) when there is no
// cursor or it cannot be read.
func readCursor(ctx context.Context, s store.Store) string {
	b, err := store.ReadAll(ctx, s, CursorBlob)
	if err != nil {
		return ""
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.After
}

func writeCursor(ctx context.Context, s store.Store, after string, now time.Time) error {
	b, _ := json.Marshal(cursor{After: after, At: now.UTC()})
	return s.Put(ctx, CursorBlob, bytes.NewReader(b), store.PutOptions{ContentType: "application/json"})
}

// rotate orders ids (sorted) to start after the cursor and wrap around,
// so every request is reached however often the budget runs out.
func rotate(ids []string, after string) []string {
	if after == "" {
		return ids
	}
	i := sort.SearchStrings(ids, after)
	if i < len(ids) && ids[i] == after {
		i++
	}
	return append(ids[i:len(ids):len(ids)], ids[:i]...)
}

// fingerprint is what a request's marker listing looked like: enough to
// tell that nothing was added, removed or rewritten since.
type fingerprint struct {
	n      int
	newest time.Time
}

func fingerprintOf(markers []store.Info) fingerprint {
	fp := fingerprint{n: len(markers)}
	for _, m := range markers {
		if m.Modified.After(fp.newest) {
			fp.newest = m.Modified
		}
	}
	return fp
}

// unchanged reports whether id's markers are as at its last full visit.
// A request with pending markers that did not change cannot have become
// terminal, and its markers are not stale (the caller checks), so the
// visit has nothing to do.
func (s *Sweeper) unchanged(id string, fp fingerprint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.seen[id]
	return ok && prev == fp
}

func (s *Sweeper) remember(id string, fp fingerprint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil || len(s.seen) > 100_000 {
		s.seen = map[string]fingerprint{}
	}
	s.seen[id] = fp
}

func (s *Sweeper) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
}
