package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
	"amldsr/internal/report"
	"amldsr/internal/store"
)

// The evidence of a terminal request: manifest.json, written before
// summary.json (which carries its hash), and report.html, written after.
//
// A manifest is only trusted together with the summary that names its
// hash. A reopened request loses all three (checkSummary). A manifest
// without a summary (a crash in between) is rebuilt at the next finalize
// and kept when it still matches, replaced when it does not. A summary
// whose manifest is gone or has other bytes (a finalizer that raced a
// reopen) is withdrawn like a summary that misses a record.

// seal writes id's manifest, or keeps the one there when a fresh build
// lists the same files, and returns the SHA-256 of the blob's bytes. The
// manifest streams from the listing into the store (manifest.Write): it
// is never held whole. Its encoding is deterministic, so equal digests
// are the same manifest.
func (l *Ledger) seal(ctx context.Context, id string) (string, error) {
	bundle := manifest.StoreSource(l.store, dsr.RequestPrefix(id))
	fresh, err := l.putManifest(ctx, bundle, id, true)
	if !errors.Is(err, store.ErrExists) {
		return fresh.Digest, err
	}
	old, err := l.digestOf(ctx, manifest.Blob(id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if fresh.Digest == "" { // the Put refused before the build was done
		if fresh, err = manifest.Write(ctx, bundle, id, io.Discard); err != nil {
			return "", err
		}
	}
	if old == fresh.Digest {
		return old, nil
	}
	fresh, err = l.putManifest(ctx, bundle, id, false)
	return fresh.Digest, err
}

// putManifest builds the manifest of id's bundle and writes it as it is
// built, create-only when createOnly; a build that fails writes nothing.
// The facts are the build's when it was read to its end, even by a Put
// that then refused it (ErrExists); else zero.
func (l *Ledger) putManifest(ctx context.Context, bundle manifest.Source, id string, createOnly bool) (manifest.Facts, error) {
	pr, pw := io.Pipe()
	built := make(chan manifest.Facts, 1)
	go func() {
		f, err := manifest.Write(ctx, bundle, id, pw)
		pw.CloseWithError(err) // the Put fails, and commits nothing, on a failed build
		if err != nil {
			f = manifest.Facts{}
		}
		built <- f
	}()
	err := l.store.Put(ctx, manifest.Blob(id), pr, store.PutOptions{IfNotExists: createOnly, ContentType: "application/json"})
	pr.CloseWithError(errors.Join(err, errPutEnded)) // a Put that ends early stops the build
	f := <-built
	return f, err
}

// errPutEnded ends a manifest build whose Put returned before reading it all.
var errPutEnded = errors.New("ledger: the manifest's put ended")

// digestOf is the SHA-256 of key's bytes, read as they stream.
func (l *Ledger) digestOf(ctx context.Context, key string) (string, error) {
	rc, _, err := l.store.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	d, _, err := manifest.DigestOf(store.ContextReader(ctx, rc))
	return d, err
}

// sealed reports whether the manifest's bytes are those whose hash the
// summary carries. A summary without a hash (written before manifests
// existed) stands.
func (l *Ledger) sealed(ctx context.Context, sum *dsr.Status) (bool, error) {
	if sum.ManifestSHA256 == "" {
		return true, nil
	}
	d, err := l.digestOf(ctx, manifest.Blob(sum.RequestID))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && d == sum.ManifestSHA256, err
}

// unseal deletes the evidence of a reopened request, manifest first: a
// summary left without its manifest is withdrawn when next checked.
func (l *Ledger) unseal(ctx context.Context, id string) error {
	for _, key := range []string{manifest.Blob(id), manifest.ReportBlob(id), dsr.SummaryBlob(id)} {
		if err := l.store.Delete(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// dueDays is the deadline the report shows when the summary has no dueAt.
const dueDays = 30

// writeReport renders report.html from the standing summary, the request,
// its records and its manifest. A summary withdrawn meanwhile leaves
// nothing to report (the next finalize writes it).
func (l *Ledger) writeReport(ctx context.Context, id string) error {
	raw, err := store.ReadAll(ctx, l.store, dsr.SummaryBlob(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	in := report.Input{}
	var due struct {
		DueAt *time.Time `json:"dueAt"`
	}
	if err := json.Unmarshal(raw, &in.Status); err != nil {
		return err
	}
	if json.Unmarshal(raw, &due) == nil && due.DueAt != nil {
		in.DueAt = *due.DueAt
	} else {
		in.DueAt = in.Status.CreatedAt.AddDate(0, 0, dueDays)
	}
	ar, err := l.Request(ctx, id)
	if err != nil {
		return err
	}
	in.Request = *ar
	facts, err := l.scanManifest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // reopened meanwhile
	} else if err != nil {
		return err
	}
	in.Manifest = &facts
	// A record the page does not list is counted from its listing (Record
	// writes operation, kind and outcome as metadata): an export's report
	// reads no record.
	var tally report.Tally
	counted := func(info store.Info) bool {
		op, opOK := info.Metadata["operation"]
		outcome, outcomeOK := info.Metadata["outcome"]
		if !opOK || !outcomeOK || outcome == "" || report.Lists(dsr.Step(op), dsr.Outcome(outcome)) {
			return false
		}
		tally.Count(dsr.Step(op), info.Metadata["kind"], dsr.Outcome(outcome))
		return true
	}
	if err := l.eachRecord(ctx, id, counted, func(rec *dsr.Record) { tally.Add(*rec) }); err != nil {
		return err
	}
	// The page streams into the store as it is rendered: a delete of
	// 100,000 resources lists each, and the page is never held whole.
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tally.Render(pw, in)) }()
	err = l.store.Put(ctx, manifest.ReportBlob(id), pr, store.PutOptions{ContentType: "text/html; charset=utf-8"})
	pr.CloseWithError(err) // a failed Put stops the rendering
	return err
}

// scanManifest reads id's manifest as it streams (its file count and
// root for the report), never holding it whole.
func (l *Ledger) scanManifest(ctx context.Context, id string) (manifest.Facts, error) {
	rc, _, err := l.store.Get(ctx, manifest.Blob(id))
	if err != nil {
		return manifest.Facts{}, err
	}
	defer rc.Close()
	return manifest.Scan(store.ContextReader(ctx, rc))
}
