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
func (l *Ledger) Status(ctx context.Context, id string) (*dsr.Status, error) {
	ar, err := l.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	var summary dsr.Status
	if err := getJSON(ctx, l.store, dsr.SummaryBlob(id), &summary); err == nil {
		return &summary, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	start := l.now()
	// Markers first: a record written after this listing is still seen
	// below, and an operation started after it is covered by the quiet
	// period (its starter wrote a record just now).
	pending := map[string]bool{}
	if err := store.Walk(ctx, l.store, dsr.PendingPrefix(id), func(info store.Info) error {
		pending[opKeyOf(info.Key)] = true
		return nil
	}); err != nil {
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
	for k := range pending {
		if !t.recorded[k] {
			st.Counts.Pending++
		}
	}
	st.Counts.Discovered = len(t.recorded) + st.Counts.Pending
	if t.last.After(st.UpdatedAt) {
		st.UpdatedAt = t.last
	}
	st.State = l.state(st, t, start)
	if st.State.Terminal() {
		done := st.UpdatedAt
		st.CompletedAt = &done
		// The first reader to see the end writes summary.json; the sweep
		// does it for requests nobody asks about.
		if err := l.Finalize(ctx, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (l *Ledger) state(st *dsr.Status, t *tally, start time.Time) dsr.State {
	switch {
	case len(t.recorded) == 0:
		return dsr.StateAccepted
	case st.Counts.Pending > 0 || t.lastWrite.After(start.Add(-l.Quiet)):
		return dsr.StateRunning
	case st.Counts.Failed > 0:
		return dsr.StateFailed
	default:
		return dsr.StateSucceeded
	}
}

type tally struct {
	counts    dsr.Counts
	recorded  map[string]bool
	errors    []dsr.StatusError
	last      time.Time // latest finishedAt seen
	lastWrite time.Time // latest record write, by the store's clock
}

// tally counts the records by outcome (from their metadata; a record
// without metadata is read) and reads the first failed ones.
func (l *Ledger) tally(ctx context.Context, id string) (*tally, error) {
	t := &tally{recorded: map[string]bool{}}
	err := store.Walk(ctx, l.store, dsr.ResultsPrefix(id), func(info store.Info) error {
		key := opKeyOf(info.Key)
		t.recorded[key] = true
		if info.Modified.After(t.lastWrite) {
			t.lastWrite = info.Modified
			t.last = info.Modified.UTC()
		}
		outcome := dsr.Outcome(info.Metadata["outcome"])
		if outcome == "" || (outcome == dsr.Failed && len(t.errors) < dsr.MaxStatusErrors) {
			rec, err := l.ReadRecord(ctx, id, key)
			if err != nil {
				return err
			}
			outcome = rec.Outcome
			if outcome == dsr.Failed && len(t.errors) < dsr.MaxStatusErrors {
				t.errors = append(t.errors, statusError(rec))
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

// Finalize writes summary.json for a terminal status (once) and drops the
// request from the active index.
func (l *Ledger) Finalize(ctx context.Context, st *dsr.Status) error {
	if !st.State.Terminal() {
		return errors.New("ledger: finalize of a request that is not terminal")
	}
	err := putJSON(ctx, l.store, dsr.SummaryBlob(st.RequestID), st, store.PutOptions{IfNotExists: true})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return l.store.Delete(ctx, dsr.ActiveBlob(st.RequestID))
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
