package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/redact"
	"amldsr/internal/store"
)

// discoverStep is the step that lists the first page of child under
// parent.
func (r *run) discoverStep(parent catalog.Ref, child *catalog.Kind, loc string) (Step, error) {
	if _, err := parent.ListPath(child, r.subjectParams()); err != nil {
		return Step{}, err
	}
	s := r.fresh(KindDiscover, parent.Kind.Name, parent.Path)
	s.Child, s.Loc = child.Name, loc
	s.Op = s.Key()
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
		return r.record(ctx, dsr.Record{Operation: dsr.StepDiscover, Kind: child.Name, Resource: listPath, Outcome: dsr.Absent, HTTPStatus: 404,
			UpstreamRequestID: requestIDOf(err)})
	}
	if err != nil {
		return err
	}
	var next []Step
	for _, raw := range page.Items {
		steps, err := r.item(ctx, child, page, listPath, raw)
		if err != nil {
			return err
		}
		next = append(next, steps...)
	}
	seen := append(slices.Clone(r.step.Seen), linkHash(u))
	loop := ""
	if page.Next != nil {
		if i := slices.Index(seen, linkHash(page.Next)); i >= 0 {
			loop = fmt.Sprintf("page %d's next link leads back to page %d of this listing; the listing stops here",
				r.step.Page+1, r.step.Page+1-(len(seen)-1-i))
		} else {
			s := *r.step
			s.Link, s.Page, s.Attempt, s.Waits = page.Next.String(), r.step.Page+1, 0, 0
			s.Op = s.Key()
			s.Seen = seen[max(0, len(seen)-maxSeen):]
			next = append(next, s)
		}
	}
	if err := r.spawn(ctx, zeroTime, next...); err != nil {
		return err
	}
	rec := dsr.Record{Operation: dsr.StepDiscover, Kind: child.Name, Resource: listPath,
		Outcome: dsr.Succeeded, HTTPStatus: page.Status, UpstreamRequestID: page.RequestID}
	if loop != "" {
		rec.Outcome, rec.Error = dsr.Failed, &dsr.RecordError{Code: "PageLoop", Message: loop}
	}
	return r.record(ctx, rec)
}

// maxSeen bounds Step.Seen: a loop longer than this many pages is not
// seen as one, and ends at the request's step cap instead.
const maxSeen = 64

// linkHash is the short hash of a page link that Step.Seen holds.
func linkHash(u *url.URL) string {
	h := sha256.Sum256([]byte(u.String()))
	return hex.EncodeToString(h[:8])
}

// pageURL is the first page's URL (with the kind's list query), or the
// validated link of a later one.
func (r *run) pageURL(child *catalog.Kind, listPath string) (*url.URL, error) {
	e := r.API.Endpoints()
	first, err := e.URL(child, child.List, listPath, r.step.Loc, values(child.ListQuery))
	if err != nil || r.step.Link == "" {
		return first, err
	}
	u, err := url.Parse(r.step.Link)
	if err != nil || !e.Allowed(u) {
		return nil, fmt.Errorf("next page link is not on a configured endpoint")
	}
	if u.Host != first.Host || !strings.EqualFold(u.EscapedPath(), first.EscapedPath()) {
		return nil, fmt.Errorf("next page link %s://%s%s does not continue the list %s", u.Scheme, u.Host, u.EscapedPath(), first.EscapedPath())
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

// item handles one listed item of page: the steps it starts, or (for
// list-only kinds in an export) its document written here.
func (r *run) item(ctx context.Context, child *catalog.Kind, page *azureapi.Page, listPath string, raw []byte) ([]Step, error) {
	ref, err := catalog.Item(child, listPath, raw)
	if err == nil {
		err = r.storable(ref)
	}
	if err != nil {
		return nil, r.recordBadItem(ctx, child, page, listPath, raw, err)
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
	if err := r.writeListed(ctx, ref, page, raw, m.reason); err != nil {
		return nil, err
	}
	var steps []Step
	for _, name := range child.PerItem {
		k := catalog.Lookup(name)
		path, err := k.Path.Build(ref.Params)
		if err == nil {
			err = r.storable(catalog.Ref{Kind: k, Path: path, Params: ref.Params})
		}
		if err != nil {
			return nil, r.recordBadItem(ctx, k, page, listPath, raw, err)
		}
		steps = append(steps, r.visit(KindExport, catalog.Ref{Kind: k, Path: path, Params: ref.Params}, m.reason))
	}
	return steps, nil
}

// visit is the export or delete step of one resource; why is the reason a
// match "subject" request covers it.
func (r *run) visit(kind string, ref catalog.Ref, why string) Step {
	s := r.fresh(kind, ref.Kind.Name, ref.Path)
	s.Why = why
	s.Op = s.Key()
	return s
}

// writeListed writes a list-only item as it was listed (without its
// credentials), with its record, which names the page's response.
func (r *run) writeListed(ctx context.Context, ref catalog.Ref, page *azureapi.Page, raw []byte, why string) error {
	doc := dsr.ExportBlob(r.step.RequestID, ref.Path)
	body, redacted, err := redact.Document(raw)
	if err != nil {
		return r.recordBadItem(ctx, ref.Kind, page, ref.Path, raw, err)
	}
	if err := putDocument(ctx, r.Ledger, doc, body); err != nil {
		return err
	}
	return r.note(ctx, r.visit(KindExport, ref, why), dsr.Record{
		Outcome: dsr.Succeeded, HTTPStatus: page.Status, UpstreamRequestID: page.RequestID, Document: doc, MatchedBy: why, Redacted: redacted,
	})
}

// recordBadItem records an item the service listed that cannot be
// addressed safely (no key, a key with '/' or '..', an id outside the
// collection). It fails on its own; the rest of the page goes on.
func (r *run) recordBadItem(ctx context.Context, k *catalog.Kind, page *azureapi.Page, listPath string, raw []byte, cause error) error {
	h := sha256.Sum256(raw)
	kind := KindExport
	if r.step.Mode == dsr.Delete {
		kind = KindDelete
	}
	code := "InvalidListItem"
	if _, long := errors.AsType[*nameTooLong](cause); long {
		code = "NameTooLong"
	}
	s := r.fresh(kind, k.Name, listPath+"#"+hex.EncodeToString(h[:8]))
	s.Op = s.Key()
	return r.note(ctx, s, dsr.Record{Kind: k.Name, Resource: listPath, Outcome: dsr.Failed,
		HTTPStatus: page.Status, UpstreamRequestID: page.RequestID,
		Error: &dsr.RecordError{Code: code, Message: cause.Error()}})
}

// nameTooLong is a listed item whose name would make a blob name longer
// than the store takes (Azure's 1024 bytes).
type nameTooLong struct {
	key, path string
}

func (e *nameTooLong) Error() string {
	p := e.path
	if len(p) > 160 {
		p = p[:120] + "…" + p[len(p)-40:]
	}
	return fmt.Sprintf("the item's export would be a blob name of %d bytes; the store takes at most %d: %s", len(e.key), store.MaxKey, p)
}

// storable checks that an export can write ref's document (and an
// artifact's content) under a blob name the store takes: one overlong
// name fails its item, not its page.
func (r *run) storable(ref catalog.Ref) error {
	if r.step.Mode != dsr.Export {
		return nil
	}
	keys := []string{dsr.ExportBlob(r.step.RequestID, ref.Path)}
	if k := ref.Kind; k.Content {
		params := maps.Clone(ref.Params)
		maps.Copy(params, k.Fixed)
		if container, err := k.List.Build(params); err == nil {
			keys = append(keys, dsr.ContentBlob(r.step.RequestID, container, ref.Params[lastParamName(k)]))
		}
	}
	for _, key := range keys {
		if len(key) > store.MaxKey {
			return &nameTooLong{key: key, path: ref.Path}
		}
	}
	return nil
}
