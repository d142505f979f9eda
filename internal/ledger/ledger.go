// Package ledger keeps a request's state in the store, in the contract's
// blob layout, without any blob that every worker updates:
//
//   - requests/{id}/request.json, written once at submit;
//   - one result record per operation, written once (create-only);
//   - one pending marker per started operation without a record
//     (pending/{id}/{opKey}.json), holding a copy of its queue message;
//   - summary.json when the request is terminal, and an index of the
//     requests that are not (active/{id}).
//
// A step writes the markers of the steps it starts before its own record,
// and deletes its own marker last, so a request with work left always has
// a marker. Progress and the final state are derived from markers and
// records (see Ledger.state and Ledger.Finalize for how terminal is
// decided, and how a late record supersedes a summary).
package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
	"amldsr/internal/store"
)

// Ledger reads and writes request state.
type Ledger struct {
	store     store.Store
	container string
	now       func() time.Time
	dueDays   int // DSR_DUE_DAYS (SetDueDays); zero: dsr.DefaultDueDays

	mu       sync.Mutex
	requests map[string]*dsr.AcceptedRequest // immutable once written
	caps     capCache                        // the step cap's stops (cap.go)
	reads    readCache                       // what status derivation read (reads.go)
	statuses statusCache                     // large running requests' statuses (statuscache.go)
	bg       sync.WaitGroup                  // background status derivations

	// StatusCacheFrom is the size (records plus markers) from which a
	// running request's status is served from the cache and derived again
	// in the background; zero means DefaultStatusCacheFrom.
	StatusCacheFrom int

	// FinalizeWait, when positive, bounds how long a status call that
	// finds its request terminal waits for the evidence (manifest,
	// summary, report), which reads every blob of the request. Past it the
	// call answers running, with nothing pending, and the evidence is
	// written in the background; calls meanwhile answer the same from this
	// process's cache, and the first after it the terminal summary. Zero
	// waits for it. A terminal state is never answered without its
	// evidence.
	FinalizeWait time.Duration

	// OnTerminal, when set, is called by Finalize before it writes the
	// summary of a request that has a callback (package callback starts
	// the delivery); an error fails that finalization, which is retried.
	OnTerminal func(ctx context.Context, id string) error
}

// New returns a ledger on s; container is reported in status documents.
func New(s store.Store, container string) *Ledger {
	return &Ledger{store: s, container: container, now: time.Now, requests: map[string]*dsr.AcceptedRequest{}}
}

// Store returns the underlying store.
func (l *Ledger) Store() store.Store { return l.store }

// Container is the container the request blobs live in.
func (l *Ledger) Container() string { return l.container }

func putJSON(ctx context.Context, s store.Store, key string, v any, opts store.PutOptions) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	opts.ContentType = "application/json"
	opts.Metadata = manifest.WithSum(opts.Metadata, b) // the manifest need not read it back
	return s.Put(ctx, key, bytes.NewReader(b), opts)
}

func getJSON(ctx context.Context, s store.Store, key string, v any) error {
	b, err := store.ReadAll(ctx, s, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Accept writes request.json once. When a request with the same id exists
// already, it returns that one and created=false: the caller decides
// between a replay (same body) and a conflict.
//
// The index entry active/{id} is written first, on every call, replays
// included: a request.json never exists without it, whatever failed or
// was killed in between, so the sweep always finds a request that has no
// summary yet. An entry whose request.json never came, or whose request
// is finished, is removed by the sweep.
func (l *Ledger) Accept(ctx context.Context, ar dsr.AcceptedRequest) (existing *dsr.AcceptedRequest, created bool, err error) {
	if err := l.index(ctx, ar.RequestID); err != nil {
		return nil, false, err
	}
	err = putJSON(ctx, l.store, dsr.RequestBlob(ar.RequestID), ar, store.PutOptions{IfNotExists: true})
	if errors.Is(err, store.ErrExists) {
		prev, err := l.Request(ctx, ar.RequestID)
		return prev, false, err
	}
	if err != nil {
		return nil, false, err
	}
	l.remember(&ar)
	return &ar, true, nil
}

// indexEntry is the body of active/{id}: when it was written, by the
// writer's clock (compared only with the clocks of other instances, never
// with the store's).
type indexEntry struct {
	WrittenAt time.Time `json:"writtenAt"`
}

// index puts id into the index of unfinished requests.
func (l *Ledger) index(ctx context.Context, id string) error {
	return putJSON(ctx, l.store, dsr.ActiveBlob(id), indexEntry{WrittenAt: l.now().UTC()}, store.PutOptions{})
}

// DropOrphan removes the index entry of a request whose request.json does
// not exist, once the entry is older than age (a submit that failed or
// was killed before writing request.json; a younger entry may belong to
// a submit still running). It reports whether the entry was removed.
func (l *Ledger) DropOrphan(ctx context.Context, id string, age time.Duration) (bool, error) {
	if _, err := l.Request(ctx, id); !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	var e indexEntry
	if err := getJSON(ctx, l.store, dsr.ActiveBlob(id), &e); err != nil && !errors.Is(err, store.ErrNotFound) {
		var syn *json.SyntaxError
		if !errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return false, err
		}
	}
	if !e.WrittenAt.IsZero() && l.now().Sub(e.WrittenAt) < age {
		return false, nil
	}
	return true, l.store.Delete(ctx, dsr.ActiveBlob(id))
}

// Request reads request.json (cached: it never changes). A request that
// does not exist is store.ErrNotFound.
func (l *Ledger) Request(ctx context.Context, id string) (*dsr.AcceptedRequest, error) {
	l.mu.Lock()
	ar := l.requests[id]
	l.mu.Unlock()
	if ar != nil {
		return ar, nil
	}
	ar = new(dsr.AcceptedRequest)
	if err := getJSON(ctx, l.store, dsr.RequestBlob(id), ar); err != nil {
		return nil, err
	}
	l.remember(ar)
	return ar, nil
}

func (l *Ledger) remember(ar *dsr.AcceptedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.requests) > 10000 {
		clear(l.requests)
	}
	l.requests[ar.RequestID] = ar
}

// Marker is a pending operation: the durable copy of its queue message.
type Marker struct {
	OpKey      string            `json:"opKey"`
	MessageID  string            `json:"messageId"`
	Body       json.RawMessage   `json:"body"`
	Properties map[string]string `json:"properties"`
	WrittenAt  time.Time         `json:"writtenAt"`
	// NotBefore is when the message is scheduled for; the sweep does not
	// re-drive a marker before NotBefore plus its threshold.
	NotBefore time.Time `json:"notBefore"`
	// OutageSince is when the step's message was first dead-lettered for
	// store or queue trouble; the sweep keeps it across its re-drives and
	// gives up after DSR_GIVE_UP_AFTER.
	OutageSince time.Time `json:"outageSince,omitzero"`
}

// Pend writes (or rewrites, on reschedule) the markers of requestID.
func (l *Ledger) Pend(ctx context.Context, requestID string, markers ...Marker) error {
	for _, m := range markers {
		if m.WrittenAt.IsZero() {
			m.WrittenAt = l.now().UTC()
		}
		if err := putJSON(ctx, l.store, dsr.PendingBlob(requestID, m.OpKey), m, store.PutOptions{}); err != nil {
			return fmt.Errorf("pending marker %s: %w", m.OpKey, err)
		}
	}
	return nil
}

// PendNew writes the marker of an operation that is being started, unless
// the operation has one already; then it writes nothing and returns the
// marker that is there (its current message), so that the caller sends
// nothing that would compete with it.
func (l *Ledger) PendNew(ctx context.Context, requestID string, m Marker) (existing *Marker, err error) {
	if m.WrittenAt.IsZero() {
		m.WrittenAt = l.now().UTC()
	}
	err = putJSON(ctx, l.store, dsr.PendingBlob(requestID, m.OpKey), m, store.PutOptions{IfNotExists: true})
	if !errors.Is(err, store.ErrExists) {
		if err != nil {
			return nil, fmt.Errorf("pending marker %s: %w", m.OpKey, err)
		}
		return nil, nil
	}
	cur, err := l.Marker(ctx, requestID, m.OpKey)
	if errors.Is(err, store.ErrNotFound) { // finished meanwhile: start it again
		return l.PendNew(ctx, requestID, m)
	}
	return cur, err
}

// Marker reads the pending marker of opKey; store.ErrNotFound when the
// operation has none.
func (l *Ledger) Marker(ctx context.Context, requestID, opKey string) (*Marker, error) {
	var m Marker
	if err := getJSON(ctx, l.store, dsr.PendingBlob(requestID, opKey), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// AnyPending reports whether some operation of requestID whose op key
// starts with opPrefix is pending (one listing call).
func (l *Ledger) AnyPending(ctx context.Context, requestID, opPrefix string) (bool, error) {
	page, err := l.store.List(ctx, dsr.PendingPrefix(requestID)+opPrefix, "", 1)
	if err != nil {
		return false, err
	}
	return len(page.Items) > 0, nil
}

// Done removes the marker of a finished operation.
func (l *Ledger) Done(ctx context.Context, requestID, opKey string) error {
	return l.store.Delete(ctx, dsr.PendingBlob(requestID, opKey))
}

// Pending lists the markers of requestID.
func (l *Ledger) Pending(ctx context.Context, requestID string) ([]Marker, error) {
	var out []Marker
	err := store.Walk(ctx, l.store, dsr.PendingPrefix(requestID), func(info store.Info) error {
		var m Marker
		if err := getJSON(ctx, l.store, info.Key, &m); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // finished since the listing
			}
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// Record writes rec under opKey, once. written is false when a record was
// there already (a redelivered step): the first one stands.
//
// A record written after the request's summary (by a step whose lock was
// lost, or work a stale step started) withdraws that summary when it does
// not count the record: see Finalize.
func (l *Ledger) Record(ctx context.Context, opKey string, rec dsr.Record) (written bool, err error) {
	md := map[string]string{"outcome": string(rec.Outcome), "operation": string(rec.Operation), "kind": rec.Kind}
	err = putJSON(ctx, l.store, dsr.ResultBlob(rec.RequestID, opKey), rec, store.PutOptions{IfNotExists: true, Metadata: md})
	written = err == nil
	if err != nil && !errors.Is(err, store.ErrExists) {
		return false, err
	}
	// Also when the record existed: a first try that wrote it may have
	// failed before this check.
	if err := l.checkSummary(ctx, rec.RequestID); err != nil && !errors.Is(err, errReopened) {
		return written, err
	}
	return written, nil
}

// HasRecord reports whether opKey has its result record.
func (l *Ledger) HasRecord(ctx context.Context, requestID, opKey string) (bool, error) {
	rc, _, err := l.store.Get(ctx, dsr.ResultBlob(requestID, opKey))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rc.Close()
	return true, nil
}

// ReadRecord reads the result record of opKey.
func (l *Ledger) ReadRecord(ctx context.Context, requestID, opKey string) (*dsr.Record, error) {
	var rec dsr.Record
	if err := getJSON(ctx, l.store, dsr.ResultBlob(requestID, opKey), &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Active lists the ids of requests that are not terminal yet.
func (l *Ledger) Active(ctx context.Context) ([]string, error) {
	var ids []string
	err := store.Walk(ctx, l.store, dsr.ActivePrefix, func(info store.Info) error {
		ids = append(ids, info.Key[len(dsr.ActivePrefix):])
		return nil
	})
	return ids, err
}
