package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// discoverStep is the step that lists the first page of child under
// parent.
func (r *run) discoverStep(parent catalog.Ref, child *catalog.Kind, loc string) (Step, error) {
	listPath, err := parent.ListPath(child, r.subjectParams())
	if err != nil {
		return Step{}, err
	}
	s := r.fresh(KindDiscover, parent.Kind.Name, parent.Path)
	s.Child, s.Loc = child.Name, loc
	s.Op = dsr.OpKey(dsr.StepDiscover, child.Name, listPath, 0)
	return s, nil
}

func (r *run) subjectParams() map[string]string {
	if s := r.req.Subject; s != nil && s.ObjectID != "" {
		return map[string]string{"objectId": s.ObjectID}
	}
	return nil
}

// discover lists one page of a collection, starts a step per item (or
// writes list-only items directly), and starts the next page.
func (r *run) discover(ctx context.Context) error {
	child := catalog.Lookup(r.step.Child)
	listPath, err := r.ref.ListPath(child, r.subjectParams())
	if err != nil {
		return r.fail(ctx, 0, "", "InvalidCollection", err.Error())
	}
	u, err := r.pageURL(child, listPath)
	if err != nil {
		return r.fail(ctx, 0, "", "InvalidPage", err.Error())
	}
	page, err := r.API.ListPage(ctx, u, child.Shape, child.TokenParam)
	if errors.Is(err, azureapi.ErrGone) {
		return r.record(ctx, dsr.Record{Operation: dsr.StepDiscover, Kind: child.Name, Resource: listPath, Outcome: dsr.Absent, HTTPStatus: 404})
	}
	if err != nil {
		return err
	}
	var next []Step
	for _, raw := range page.Items {
		steps, err := r.item(ctx, child, listPath, raw)
		if err != nil {
			return err
		}
		next = append(next, steps...)
	}
	if page.Next != nil {
		s := *r.step
		s.Link, s.Page, s.Attempt, s.Waits = page.Next.String(), r.step.Page+1, 0, 0
		s.Op = dsr.OpKey(dsr.StepDiscover, child.Name, listPath, s.Page)
		next = append(next, s)
	}
	if err := r.spawn(ctx, zeroTime, next...); err != nil {
		return err
	}
	return r.record(ctx, dsr.Record{Operation: dsr.StepDiscover, Kind: child.Name, Resource: listPath,
		Outcome: dsr.Succeeded, HTTPStatus: page.Status, UpstreamRequestID: page.RequestID})
}

// pageURL is the first page's URL (with the kind's list query), or the
// validated link of a later one.
func (r *run) pageURL(child *catalog.Kind, listPath string) (*url.URL, error) {
	e := r.API.Endpoints()
	if r.step.Link == "" {
		return e.URL(child, child.List, listPath, r.step.Loc, values(child.ListQuery))
	}
	u, err := url.Parse(r.step.Link)
	if err != nil || !e.Allowed(u) {
		return nil, fmt.Errorf("next page link is not on a configured endpoint")
	}
	return u, nil
}

func values(m map[string]string) url.Values {
	q := url.Values{}
	for k, v := range m {
		q.Set(k, v)
	}
	return q
}

// item handles one listed item: the steps it starts, or (for list-only
// kinds in an export) its document written here.
func (r *run) item(ctx context.Context, child *catalog.Kind, listPath string, raw []byte) ([]Step, error) {
	ref, err := catalog.Item(child, listPath, raw)
	if err != nil {
		return nil, r.recordBadItem(ctx, child, listPath, raw, err)
	}
	m, err := r.match(ctx, ref, raw)
	switch {
	case err != nil:
		return nil, err
	case m.held != "":
		return r.hold(ctx, ref, m)
	case m.descend:
		return r.childDiscoveries(ctx, ref, ref.Kind.Children, r.step.Loc)
	case !m.ok:
		return nil, nil
	case r.step.Mode == dsr.Delete:
		return r.deleteItem(ctx, ref, m)
	case !child.WriteItems:
		return []Step{r.visit(KindExport, ref, m.reason)}, nil
	}
	if err := r.writeListed(ctx, ref, raw, m.reason); err != nil {
		return nil, err
	}
	var steps []Step
	for _, name := range child.PerItem {
		k := catalog.Lookup(name)
		path, err := k.Path.Build(ref.Params)
		if err != nil {
			return nil, r.recordBadItem(ctx, k, listPath, raw, err)
		}
		steps = append(steps, r.visit(KindExport, catalog.Ref{Kind: k, Path: path, Params: ref.Params}, m.reason))
	}
	return steps, nil
}

// visit is the export or delete step of one resource; why is the reason a
// match "subject" request covers it.
func (r *run) visit(kind string, ref catalog.Ref, why string) Step {
	s := r.fresh(kind, ref.Kind.Name, ref.Path)
	op := dsr.StepExport
	if kind == KindDelete {
		op = dsr.StepDelete
	}
	s.Op, s.Why = dsr.OpKey(op, ref.Kind.Name, ref.Path, 0), why
	return s
}

// writeListed writes a list-only item as it was listed, with its record.
func (r *run) writeListed(ctx context.Context, ref catalog.Ref, raw []byte, why string) error {
	doc := dsr.ExportBlob(r.step.RequestID, ref.Path)
	body, redacted := redact(raw, ref.Kind.Redact)
	if err := putDocument(ctx, r.Ledger, doc, body); err != nil {
		return err
	}
	_, err := r.Ledger.Record(ctx, dsr.OpKey(dsr.StepExport, ref.Kind.Name, ref.Path, 0), dsr.Record{
		RequestID: r.step.RequestID, Operation: dsr.StepExport, Kind: ref.Kind.Name, Resource: ref.Path,
		Outcome: dsr.Succeeded, HTTPStatus: 200, Attempts: r.attempts, StartedAt: r.started, FinishedAt: r.now().UTC(),
		Document: doc, MatchedBy: why, Redacted: redacted,
	})
	return err
}

// recordBadItem records an item the service listed that cannot be
// addressed safely (no key, a key with '/' or '..', an id outside the
// collection). It fails on its own; the rest of the page goes on.
func (r *run) recordBadItem(ctx context.Context, k *catalog.Kind, listPath string, raw []byte, cause error) error {
	h := sha256.Sum256(raw)
	_, err := r.Ledger.Record(ctx, dsr.OpKey(dsr.StepExport, k.Name, listPath+"#"+hex.EncodeToString(h[:8]), 0), dsr.Record{
		RequestID: r.step.RequestID, Operation: r.itemOperation(), Kind: k.Name, Resource: listPath,
		Outcome: dsr.Failed, Attempts: r.attempts, StartedAt: r.started, FinishedAt: r.now().UTC(),
		Error: &dsr.RecordError{Code: "InvalidListItem", Message: cause.Error()},
	})
	return err
}

func (r *run) itemOperation() dsr.Step {
	if r.step.Mode == dsr.Delete {
		return dsr.StepDelete
	}
	return dsr.StepExport
}
