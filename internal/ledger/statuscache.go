package ledger

import (
	"context"
	"errors"
	"sync"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// DefaultStatusCacheFrom is the size (records plus markers) from which a
// running request's status is served from the cache: below it a
// derivation lists a few pages and is cheaper than a stale answer.
const DefaultStatusCacheFrom = 2000

// Refresh bounds of a cached status. A status is derived again when it is
// older than refreshFactor times what its last derivation cost, and at
// least minRefresh: the listing work a request's status polls cause is
// then at most 1/refreshFactor of the store's time, however often they
// come. refreshTimeout ends a background derivation that hangs; it is
// long enough for the finalization of a 100,000-step request (a manifest
// over every blob, then the report).
const (
	minRefresh     = 2 * time.Second
	refreshFactor  = 3
	refreshTimeout = 30 * time.Minute
)

// statusCache holds the last status this process derived for each large
// running request. Its zero value is ready.
type statusCache struct {
	mu   sync.Mutex
	byID map[string]*cachedStatus
	seen map[string]bool // requests this process derived a status of
}

type cachedStatus struct {
	st         dsr.Status // running, never terminal
	at         time.Time  // when it was derived, by this process's clock
	cost       time.Duration
	refreshing bool
}

// put caches st, a running status derived from size records and markers
// at at in cost, when size is at least from; a smaller request is dropped.
func (c *statusCache) put(id string, st *dsr.Status, at time.Time, size int, cost time.Duration, from int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil || len(c.seen) > maxCachedRequests {
		c.seen = map[string]bool{}
	}
	c.seen[id] = true
	if size < from {
		delete(c.byID, id)
		return
	}
	c.set(id, &cachedStatus{st: *st, at: at, cost: cost})
}

// get returns a copy of id's cached status, or nil. refresh is true for
// the one caller that finds it due for a refresh and should start it.
func (c *statusCache) get(id string, now time.Time) (st *dsr.Status, refresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byID[id]
	if e == nil {
		return nil, false
	}
	cp := e.st
	if !e.refreshing && now.Sub(e.at) >= max(minRefresh, refreshFactor*e.cost) {
		e.refreshing, refresh = true, true
	}
	return &cp, refresh
}

// recent returns a copy of id's cached status if it is at most maxAge old.
func (c *statusCache) recent(id string, now time.Time, maxAge time.Duration) *dsr.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byID[id]
	if e == nil || now.Sub(e.at) > maxAge {
		return nil
	}
	cp := e.st
	return &cp
}

func (c *statusCache) derived(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[id]
}

// failed ends a refresh that did not put a status; the next call retries.
func (c *statusCache) failed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		e.refreshing = false
	}
}

// hold caches st for id while this process finalizes the request, with no
// refresh due; false when another call of this process already does.
func (c *statusCache) hold(id string, st *dsr.Status, at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil && e.refreshing {
		return false
	}
	c.set(id, &cachedStatus{st: *st, at: at, refreshing: true})
	return true
}

// set stores e as id's entry; past maxCachedRequests the cache starts
// again empty. The caller holds c.mu.
func (c *statusCache) set(id string, e *cachedStatus) {
	if c.byID == nil || len(c.byID) > maxCachedRequests {
		c.byID = map[string]*cachedStatus{}
	}
	c.byID[id] = e
}

func (c *statusCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

func (l *Ledger) cacheFrom() int {
	if l.StatusCacheFrom > 0 {
		return l.StatusCacheFrom
	}
	return DefaultStatusCacheFrom
}

// snapshot is the body of status/{id}.json: a large running request's
// status as an instance derived it, when (by that instance's clock), from
// how many records and markers, and what the derivation cost.
type snapshot struct {
	Status    dsr.Status    `json:"status"`
	DerivedAt time.Time     `json:"derivedAt"`
	Size      int           `json:"size"`
	Cost      time.Duration `json:"costNs"`
}

// saveSnapshot writes st for the instances that have not derived id's
// status: the last writer wins, and a failure only costs them a
// derivation of their own.
func (l *Ledger) saveSnapshot(ctx context.Context, id string, st *dsr.Status, at time.Time, size int, cost time.Duration) {
	_ = putJSON(ctx, l.store, dsr.StatusSnapshotBlob(id), snapshot{Status: *st, DerivedAt: at.UTC(), Size: size, Cost: cost}, store.PutOptions{})
}

// loadSnapshot puts id's snapshot into the cache, when there is one and
// the request is large by this instance's measure, for cachedStatus to
// answer from (and refresh when due).
func (l *Ledger) loadSnapshot(ctx context.Context, id string) {
	if l.statuses.derived(id) {
		return // small when this process derived it; large ones are in the cache
	}
	var sn snapshot
	if err := getJSON(ctx, l.store, dsr.StatusSnapshotBlob(id), &sn); err != nil || sn.Status.State.Terminal() || sn.Status.RequestID != id {
		return
	}
	l.statuses.put(id, &sn.Status, sn.DerivedAt, sn.Size, sn.Cost, l.cacheFrom())
}

// cachedStatus returns id's cached running status, or nil when there is
// none, and starts its derivation in the background when it is due.
func (l *Ledger) cachedStatus(id string, ar *dsr.AcceptedRequest) *dsr.Status {
	st, refresh := l.statuses.get(id, l.now())
	if st == nil {
		return nil
	}
	if refresh {
		l.bg.Add(1)
		go func() {
			defer l.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
			defer cancel()
			l.refresh(ctx, id, ar)
		}()
	}
	st.SetDue(l.dueDays, l.now())
	return st
}

// refresh derives id's cached status again, unless its summary.json has
// been written meanwhile (by any instance): then the entry is dropped and
// the next status call answers from the summary.
func (l *Ledger) refresh(ctx context.Context, id string, ar *dsr.AcceptedRequest) {
	if _, err := l.Summary(ctx, id); err == nil {
		l.statuses.drop(id)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		l.statuses.failed(id)
		return
	}
	if _, err := l.derive(ctx, id, ar, 0); err != nil {
		l.statuses.failed(id)
	}
}

// CachedStatus returns the running status this process derived for id
// at most maxAge ago, when the request is large enough to be cached,
// without deriving one; nil when there is none. The sweep checks the step
// cap of a large request with it.
func (l *Ledger) CachedStatus(id string, maxAge time.Duration) *dsr.Status {
	return l.statuses.recent(id, l.now(), maxAge)
}

// Wait waits for the status derivations running in the background.
func (l *Ledger) Wait() { l.bg.Wait() }
