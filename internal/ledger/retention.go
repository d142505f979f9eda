package ledger

import (
	"context"
	"errors"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// RetentionPrefix indexes finished requests by the UTC date of their
// completion: retention/{yyyy-mm-dd}/{id}, written by Finalize before the
// summary. The retention purge lists the dates up to its cut-off instead
// of every request; an entry goes once its request is purged. Keyed by
// completion, not by due date, so that a change of DSR_RETENTION_DAYS
// applies to requests finished before it.
const RetentionPrefix = "retention/"

const dayLayout = "2006-01-02"

// RetentionBlob is the index entry of id, completed at completed.
func RetentionBlob(completed time.Time, id string) string {
	return RetentionPrefix + completed.UTC().Format(dayLayout) + "/" + id
}

// Completion is one entry of the retention index.
type Completion struct {
	Key       string
	RequestID string
}

type completionEntry struct {
	RequestID   string    `json:"requestId"`
	CompletedAt time.Time `json:"completedAt"`
}

// indexCompletion writes the retention index entry of a terminal status
// (idempotent: the same status gives the same entry).
func (l *Ledger) indexCompletion(ctx context.Context, st *dsr.Status) error {
	done := st.UpdatedAt
	if st.CompletedAt != nil {
		done = *st.CompletedAt
	}
	return putJSON(ctx, l.store, RetentionBlob(done, st.RequestID),
		completionEntry{RequestID: st.RequestID, CompletedAt: done.UTC()}, store.PutOptions{})
}

var errStop = errors.New("stop")

// CompletedThrough lists the retention index entries of requests completed
// on or before the UTC date of through (the listing stops at the first
// later date).
func (l *Ledger) CompletedThrough(ctx context.Context, through time.Time) ([]Completion, error) {
	last := through.UTC().Format(dayLayout)
	var out []Completion
	err := store.Walk(ctx, l.store, RetentionPrefix, func(info store.Info) error {
		day, id, ok := strings.Cut(strings.TrimPrefix(info.Key, RetentionPrefix), "/")
		if !ok {
			return nil
		}
		if day > last {
			return errStop
		}
		out = append(out, Completion{Key: info.Key, RequestID: id})
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return out, err
}

// DropCompletion removes a retention index entry.
func (l *Ledger) DropCompletion(ctx context.Context, c Completion) error {
	return l.store.Delete(ctx, c.Key)
}

// Purge removes id's exported documents and content (export/**) and keeps
// everything else. Before it deletes anything it writes purged.json
// (create-only) listing what it removes, so a purge cut short is finished
// by the next call, which finds purged.json and deletes what is left.
// removed is how many blobs this call deleted.
func (l *Ledger) Purge(ctx context.Context, id string, now time.Time, retentionDays int) (p *dsr.Purged, removed int, err error) {
	var keys []string
	p = &dsr.Purged{V: 1, RequestID: id, PurgedAt: now.UTC(), RetentionDays: retentionDays, Files: []string{}}
	err = store.Walk(ctx, l.store, dsr.ExportPrefix(id), func(info store.Info) error {
		keys = append(keys, info.Key)
		p.Files = append(p.Files, strings.TrimPrefix(info.Key, dsr.RequestPrefix(id)))
		p.Bytes += info.Size
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	p.Count = len(p.Files)
	err = putJSON(ctx, l.store, dsr.PurgedBlob(id), p, store.PutOptions{IfNotExists: true})
	if errors.Is(err, store.ErrExists) {
		p = new(dsr.Purged)
		err = getJSON(ctx, l.store, dsr.PurgedBlob(id), p)
	}
	if err != nil {
		return nil, 0, err
	}
	for _, key := range keys {
		if err := l.store.Delete(ctx, key); err != nil {
			return p, removed, err
		}
		removed++
	}
	return p, removed, nil
}
