package ledger

import (
	"context"
	"sync"
	"time"

	"amldsr/internal/dsr"
)

// readCache remembers, per request, what status derivation read from
// records (the outcome, and the error a failed one shows), keyed by op
// key and the blob's modification time, so a status call reads only the
// records that are new or changed since the last one. Records are
// create-only, so an entry stays right; the time guards against a record
// deleted and written again. Its zero value is ready.
type readCache struct {
	mu   sync.Mutex
	byID map[string]map[string]readRec
}

type readRec struct {
	modified time.Time
	outcome  dsr.Outcome
	err      dsr.StatusError
}

// maxCachedRequests bounds the cache: past it, it starts again empty.
const maxCachedRequests = 1000

func (c *readCache) get(id, opKey string, modified time.Time) (readRec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.byID[id][opKey]
	return r, ok && r.modified.Equal(modified)
}

func (c *readCache) put(id, opKey string, r readRec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil || len(c.byID) > maxCachedRequests {
		c.byID = map[string]map[string]readRec{}
	}
	m := c.byID[id]
	if m == nil {
		m = map[string]readRec{}
		c.byID[id] = m
	}
	m[opKey] = r
}

// readForStatus returns what status derivation needs of one record,
// reading it only when the cache has no entry for this version.
func (l *Ledger) readForStatus(ctx context.Context, id, opKey string, modified time.Time) (readRec, error) {
	if r, ok := l.reads.get(id, opKey, modified); ok {
		return r, nil
	}
	rec, err := l.ReadRecord(ctx, id, opKey)
	if err != nil {
		return readRec{}, err
	}
	r := readRec{modified: modified, outcome: rec.Outcome, err: statusError(rec)}
	l.reads.put(id, opKey, r)
	return r, nil
}
