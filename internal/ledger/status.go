package ledger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// Status derives the status document of a request from its markers and
// records. A terminal request's status is its summary.json.
//
// A running request of at least StatusCacheFrom steps is answered from
// the status this process derived last, and derived again in the
// background when that one is older than its refresh interval (see
// statuscache.go): its derivation lists every record and marker, which
// at that size costs seconds, not one call's worth. Such a call reads
// nothing from the store. A terminal state is never served from the
// cache: the background derivation reads summary.json first (another
// instance may have written it) and otherwise finds the end and writes
// it; the cache entry is then dropped and the next call reads it.
func (l *Ledger) Status(ctx context.Context, id string) (*dsr.Status, error) {
	ar, err := l.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if st := l.cachedStatus(id, ar); st != nil {
		return st, nil
	}
	if st, err := l.standingSummary(ctx, id); st != nil || err != nil {
		return st, err
	}
	// An instance that has not derived it yet starts from the status
	// another one saved, if the request is large.
	l.loadSnapshot(ctx, id)
	if st := l.cachedStatus(id, ar); st != nil {
		return st, nil
	}
	return l.derive(ctx, id, ar, l.FinalizeWait)
}

// Settle is Status for a caller that needs the summary as soon as the
// request is done (callback delivery): it answers from summary.json, else
// derives the status now, neither from the cache nor bounded by
// FinalizeWait, so a terminal request's evidence and summary are written
// when it returns.
func (l *Ledger) Settle(ctx context.Context, id string) (*dsr.Status, error) {
	ar, err := l.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if st, err := l.standingSummary(ctx, id); st != nil || err != nil {
		return st, err
	}
	return l.derive(ctx, id, ar, 0)
}

// standingSummary is id's summary.json as a status, or nil when there is
// none.
func (l *Ledger) standingSummary(ctx context.Context, id string) (*dsr.Status, error) {
	summary, err := l.Summary(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	summary.SetDue(l.dueDays, l.now())
	return summary, nil
}

// derive derives id's status from its markers and records, finalizes it
// when it is terminal (waiting at most wait for that when wait is
// positive: see finalizeWithin), and caches it when it is running and
// large.
func (l *Ledger) derive(ctx context.Context, id string, ar *dsr.AcceptedRequest, wait time.Duration) (*dsr.Status, error) {
	began := time.Now()
	// Markers first: a record written after this listing is still seen
	// below; see state for the second pass that makes an empty marker
	// listing trustworthy.
	pending, err := l.markers(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := l.tally(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &dsr.Status{
		RequestID: id, Operation: ar.Operation, DryRun: ar.DryRun, Targets: ar.Targets, Subject: ar.Subject,
		CreatedAt: ar.AcceptedAt, UpdatedAt: ar.AcceptedAt, Counts: t.counts,
		Output: dsr.Output{Container: l.container, Prefix: dsr.RequestPrefix(id)},
		Errors: t.errors,
	}
	if st.Errors == nil {
		st.Errors = []dsr.StatusError{}
	}
	st.Counts.Pending = unrecorded(pending, t.recorded)
	st.Counts.Discovered = len(t.recorded) + st.Counts.Pending
	if t.last.After(st.UpdatedAt) {
		st.UpdatedAt = t.last
	}
	st.State, err = l.state(ctx, st, t)
	if err != nil {
		return nil, err
	}
	st.SetDue(l.dueDays, l.now())
	if st.State.Terminal() {
		done := st.UpdatedAt
		st.CompletedAt = &done
		// The first reader to see the end writes summary.json; the sweep
		// does it for requests nobody asks about.
		if wait > 0 {
			return l.finalizeWithin(id, st, wait)
		}
		final, err := l.finalize(ctx, st)
		if err != nil {
			return nil, err
		}
		if final {
			return st, nil
		}
		// a record landed meanwhile: still running
		st = stillRunning(st, l.dueDays, l.now())
	}
	size, cost, at := len(t.recorded)+len(pending), time.Since(began), l.now()
	l.statuses.put(id, st, at, size, cost, l.cacheFrom())
	if size >= l.cacheFrom() {
		l.saveSnapshot(ctx, id, st, at, size, cost)
	}
	return st, nil
}

// markers lists the op keys of id's pending markers.
func (l *Ledger) markers(ctx context.Context, id string) (map[string]bool, error) {
	pending := map[string]bool{}
	err := store.Walk(ctx, l.store, dsr.PendingPrefix(id), func(info store.Info) error {
		pending[opKeyOf(info.Key)] = true
		return nil
	})
	return pending, err
}

// unrecorded counts the markers without a record (a marker whose record
// exists is a finished step's, about to go).
func unrecorded(pending, recorded map[string]bool) int {
	n := 0
	for k := range pending {
		if !recorded[k] {
			n++
		}
	}
	return n
}

// state decides the request's state. No clock is read, neither this
// process's nor the store's.
//
// A request is terminal when it has records, a listing of its markers
// then of its records finds every marker recorded, and a second pass
// (markers, then records) finds the same: no unrecorded marker and the
// same number of records. Records are create-only and never removed, so
// an equal count is the same set.
//
// Why two passes: a listing is not a snapshot. While the markers are
// listed, a step may write the marker of a step it starts behind the
// listing's cursor, write its record, and remove its own marker ahead of
// the cursor; both markers are then missing from the listing. But that
// step wrote its record during the marker listing: in the first pass that
// record may already be seen (the records are listed after the markers),
// so the second pass is needed, and a step that hides markers during the
// second pass's marker listing writes a record that the first pass's
// record listing (finished before) did not see and the second's (started
// after) does: the counts differ. Work that is never hidden has a marker
// that the second listing sees.
//
// What a step does after the summary (a step whose lock was lost and that
// runs on) is caught by Finalize and Record.
func (l *Ledger) state(ctx context.Context, st *dsr.Status, t *tally) (dsr.State, error) {
	switch {
	case len(t.recorded) == 0:
		return dsr.StateAccepted, nil
	case st.Counts.Pending > 0:
		return dsr.StateRunning, nil
	}
	pending, err := l.markers(ctx, st.RequestID)
	if err != nil {
		return "", err
	}
	recorded, err := l.recordKeys(ctx, st.RequestID)
	if err != nil {
		return "", err
	}
	switch {
	case unrecorded(pending, recorded) > 0 || len(recorded) != len(t.recorded):
		return dsr.StateRunning, nil
	case st.Counts.Failed > 0:
		return dsr.StateFailed, nil
	default:
		return dsr.StateSucceeded, nil
	}
}

// recordKeys lists the op keys of id's records.
func (l *Ledger) recordKeys(ctx context.Context, id string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := store.Walk(ctx, l.store, dsr.ResultsPrefix(id), func(info store.Info) error {
		keys[opKeyOf(info.Key)] = true
		return nil
	})
	return keys, err
}

type tally struct {
	counts   dsr.Counts
	recorded map[string]bool
	errors   []dsr.StatusError
	last     time.Time // latest record write, by the store's clock (shown, never compared)
}

// tally counts the records by outcome (from their metadata; a record
// without metadata is read) and reads the first failed ones, each only
// once per version (readForStatus).
func (l *Ledger) tally(ctx context.Context, id string) (*tally, error) {
	t := &tally{recorded: map[string]bool{}}
	err := store.Walk(ctx, l.store, dsr.ResultsPrefix(id), func(info store.Info) error {
		key := opKeyOf(info.Key)
		t.recorded[key] = true
		if info.Modified.After(t.last) {
			t.last = info.Modified.UTC()
		}
		outcome := dsr.Outcome(info.Metadata["outcome"])
		if outcome == "" || (outcome == dsr.Failed && len(t.errors) < dsr.MaxStatusErrors) {
			r, err := l.readForStatus(ctx, id, key, info.Modified)
			if err != nil {
				return err
			}
			outcome = r.outcome
			if outcome == dsr.Failed && len(t.errors) < dsr.MaxStatusErrors {
				t.errors = append(t.errors, r.err)
			}
		}
		t.counts.Tally(outcome)
		return nil
	})
	return t, err
}

func statusError(rec *dsr.Record) dsr.StatusError {
	e := dsr.StatusError{ResourceID: rec.Resource, Operation: rec.Operation}
	if rec.Error != nil {
		e.Code, e.Message = rec.Error.Code, rec.Error.Message
	}
	return e
}

func opKeyOf(key string) string {
	return strings.TrimSuffix(path.Base(key), ".json")
}

// Finalize writes manifest.json, then summary.json (with the manifest's
// hash), then report.html for a terminal status (see evidence.go), and
// drops the request from the active index. final is false when the summary was
// withdrawn at once because it did not count every record.
//
// A summary is superseded, never wrong for long. Its counts.discovered is
// the number of records it was derived from (a terminal request has no
// pending step). After writing it (or finding one), Finalize removes the
// index entry, then counts the records again; Record, after writing a
// record, reads the summary and counts too. Whichever of the two comes
// second sees both the summary and the record, so a record the summary
// does not count always reopens the request: the index entry is written
// again and the summary deleted, and the next status (or sweep) derives
// and writes a new one. Counting compares numbers of blobs, never clocks.
func (l *Ledger) Finalize(ctx context.Context, st *dsr.Status) (final bool, err error) {
	if !st.State.Terminal() {
		return false, errors.New("ledger: finalize of a request that is not terminal")
	}
	if err := l.indexCompletion(ctx, st); err != nil {
		return false, err
	}
	if err := l.terminal(ctx, st.RequestID); err != nil {
		return false, err
	}
	if st.ManifestSHA256 == "" { // a derived status; a summary read back has its manifest (evidence.go)
		if st.ManifestSHA256, err = l.seal(ctx, st.RequestID); err != nil {
			return false, err
		}
	}
	err = putJSON(ctx, l.store, dsr.SummaryBlob(st.RequestID), st, store.PutOptions{IfNotExists: true})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return false, err
	}
	if err := l.writeReport(ctx, st.RequestID); err != nil {
		return false, err
	}
	if err := l.store.Delete(ctx, dsr.ActiveBlob(st.RequestID)); err != nil {
		return false, err
	}
	if err := l.checkSummary(ctx, st.RequestID); errors.Is(err, errReopened) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// errReopened reports that checkSummary withdrew a stale summary.
var errReopened = errors.New("ledger: summary withdrawn")

// checkSummary withdraws id's summary when it does not count every record
// or its manifest is not the one it names: it puts the request back in the
// index, then deletes the manifest, the report and the summary. It
// returns nil when there is no summary or it stands, errReopened when it
// was withdrawn (Record treats that as success).
func (l *Ledger) checkSummary(ctx context.Context, id string) error {
	var sum dsr.Status
	if err := getJSON(ctx, l.store, dsr.SummaryBlob(id), &sum); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	recorded, err := l.recordKeys(ctx, id)
	if err != nil {
		return err
	}
	if len(recorded) == sum.Counts.Discovered {
		if ok, err := l.sealed(ctx, &sum); ok || err != nil {
			return err
		}
	}
	if err := l.index(ctx, id); err != nil {
		return err
	}
	if err := l.unseal(ctx, id); err != nil {
		return err
	}
	return errReopened
}

// Results returns one page of result records, and the token of the next
// page ("" on the last).
func (l *Ledger) Results(ctx context.Context, id, token string, max int) ([]json.RawMessage, string, error) {
	marker := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", ErrBadToken
		}
		marker = string(b)
	}
	page, err := l.store.List(ctx, dsr.ResultsPrefix(id), marker, max)
	if err != nil {
		return nil, "", err
	}
	out := make([]json.RawMessage, 0, len(page.Items))
	for _, info := range page.Items {
		b, err := store.ReadAll(ctx, l.store, info.Key)
		if err != nil {
			return nil, "", err
		}
		out = append(out, json.RawMessage(b))
	}
	next := ""
	if page.Next != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
	}
	return out, next, nil
}

// ErrBadToken is returned for a continuation token that was not ours.
var ErrBadToken = errors.New("ledger: malformed continuation token")
