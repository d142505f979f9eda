package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/content"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/manifest"
	"amldsr/internal/redact"
	"amldsr/internal/store"
)

var zeroTime time.Time

// export fetches one document and writes it under export/, then starts the
// listing of the kinds below it. A scope (subscription, resource group) has
// no document: it only starts listings.
func (r *run) export(ctx context.Context) error {
	k := r.ref.Kind
	if k.Role == catalog.Scope {
		return r.expandScope(ctx)
	}
	resp, done, err := r.getSelf(ctx, dsr.StepExport)
	if err != nil || done {
		return err
	}
	m, done, err := r.matchTarget(ctx, resp.Body)
	if err != nil || done {
		return err
	}
	doc := dsr.ExportBlob(r.step.RequestID, r.ref.Path)
	body, redacted, err := redact.Document(resp.Body)
	if err != nil {
		return r.fail(ctx, resp.Status, resp.RequestID, "InvalidDocument", err.Error())
	}
	if err := putDocument(ctx, r.Ledger, doc, body); err != nil {
		return err
	}
	if k.Content {
		if err := r.streamContent(ctx, resp.Body); err != nil {
			return err
		}
	}
	loc := r.step.Loc
	if k.Location {
		if loc, err = locationOf(resp.Body); err != nil {
			return r.fail(ctx, resp.Status, resp.RequestID, "InvalidLocation", err.Error())
		}
	}
	steps, err := r.childDiscoveries(ctx, r.ref, k.Children, loc)
	if err != nil {
		return err
	}
	if err := r.spawn(ctx, zeroTime, steps...); err != nil {
		return err
	}
	return r.record(ctx, dsr.Record{Operation: dsr.StepExport, Outcome: dsr.Succeeded, HTTPStatus: resp.Status,
		UpstreamRequestID: resp.RequestID, Document: doc, MatchedBy: m.reason, Redacted: redacted})
}

// getSelf fetches the step's own resource. When it is gone (404), or
// cannot be addressed, that outcome of op is recorded and done is true.
func (r *run) getSelf(ctx context.Context, op dsr.Step) (resp *azureapi.Response, done bool, err error) {
	u, err := r.API.Endpoints().ItemURL(r.ref, r.step.Loc)
	if err != nil {
		return nil, true, r.fail(ctx, 0, "", "InvalidResource", err.Error())
	}
	resp, err = r.API.Get(ctx, u)
	if errors.Is(err, azureapi.ErrGone) {
		return nil, true, r.record(ctx, dsr.Record{Operation: op, Outcome: dsr.Absent, HTTPStatus: 404, UpstreamRequestID: requestIDOf(err)})
	}
	return resp, false, err
}

// matchTarget applies match "subject" to a request's own target, which no
// listing matched: a target that is not the subject's is recorded as
// skipped (and, when the subject's items may lie below it, listed). done
// says the step has finished.
func (r *run) matchTarget(ctx context.Context, doc []byte) (matched, bool, error) {
	if r.step.Why != "" || r.req.Match != dsr.MatchSubject {
		return matched{ok: true, reason: r.step.Why}, false, nil
	}
	m, err := r.match(ctx, r.ref, doc)
	if err != nil || m.ok {
		return m, false, err
	}
	var steps []Step
	if m.descend {
		if steps, err = r.childDiscoveries(ctx, r.ref, r.ref.Kind.Children, r.step.Loc); err != nil {
			return m, true, err
		}
	}
	if err := r.spawn(ctx, zeroTime, steps...); err != nil {
		return m, true, err
	}
	if m.held != "" {
		return m, true, r.record(ctx, dsr.Record{Outcome: dsr.Skipped, MatchedBy: m.reason,
			Error: &dsr.RecordError{Code: m.held, Message: heldMessage}})
	}
	return m, true, r.record(ctx, dsr.Record{Outcome: dsr.Skipped,
		Error: &dsr.RecordError{Code: "NotTheSubjects", Message: "the target does not belong to the subject; only what below it does is covered"}})
}

// expandScope starts the listings below a subscription or resource group.
func (r *run) expandScope(ctx context.Context) error {
	steps, err := r.childDiscoveries(ctx, r.ref, r.ref.Kind.Children, "")
	if err != nil {
		return err
	}
	if err := r.spawn(ctx, zeroTime, steps...); err != nil {
		return err
	}
	return r.record(ctx, dsr.Record{Operation: dsr.StepDiscover, Outcome: dsr.Succeeded})
}

// childDiscoveries returns the first-page listings of kinds under parent.
// Collections the request does not cover get a skipped record instead:
// kinds a delete leaves to their parent, kinds no subject can own, and
// per-user lists when the subject has no objectId.
func (r *run) childDiscoveries(ctx context.Context, parent catalog.Ref, kinds []string, loc string) ([]Step, error) {
	var steps []Step
	for _, name := range kinds {
		child := catalog.Lookup(name)
		if r.step.Mode == dsr.Delete && child.Delete == catalog.ViaParent {
			continue
		}
		if skip, code, msg := r.skipCollection(child); skip {
			if err := r.recordSkippedCollection(ctx, parent, child, code, msg); err != nil {
				return nil, err
			}
			continue
		}
		childLoc := loc
		if child.Host != catalog.ARM && childLoc == "" {
			var err error
			if childLoc, err = r.resolveLocation(ctx, parent, child); err != nil {
				return nil, err
			}
		}
		s, err := r.discoverStep(parent, child, childLoc)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func (r *run) skipCollection(child *catalog.Kind) (bool, string, string) {
	if r.req.Match == dsr.MatchSubject && !catalog.CanMatch(child) && !child.Shared {
		return true, "NotAttributable", child.Name + " documents carry no owner, so none can be attributed to the subject"
	}
	if child.NeedsObjectID && (r.req.Subject == nil || r.req.Subject.ObjectID == "") {
		return true, "SubjectObjectIdRequired", child.Name + " is listed per user: the request has no subject.objectId"
	}
	return false, "", ""
}

func (r *run) recordSkippedCollection(ctx context.Context, parent catalog.Ref, child *catalog.Kind, code, msg string) error {
	listPath, err := parent.ListPath(child, map[string]string{"objectId": "{objectId}"})
	if err != nil {
		listPath = parent.Path
	}
	s := r.fresh(KindDiscover, parent.Kind.Name, parent.Path)
	s.Child = child.Name
	s.Op = s.Key()
	return r.note(ctx, s, dsr.Record{Kind: child.Name, Resource: listPath, Outcome: dsr.Skipped, Attempts: 1,
		Error: &dsr.RecordError{Code: code, Message: msg}})
}

// resolveLocation reads the location of the account that owns child's
// data plane (when the request targeted something below the account).
func (r *run) resolveLocation(ctx context.Context, parent catalog.Ref, child *catalog.Kind) (string, error) {
	return r.ancestorLocation(ctx, parent, child.LocationFrom)
}

// ancestorLocation reads the location of ref's ancestor of kind: a
// *azureapi.Error when it cannot (Gone, InvalidLocation, NoAncestor, or
// the call's own).
func (r *run) ancestorLocation(ctx context.Context, ref catalog.Ref, kind string) (string, error) {
	anc, err := ref.Ancestor(kind)
	if err != nil {
		return "", &azureapi.Error{Class: azureapi.Permanent, Code: "NoAncestor", Message: err.Error()}
	}
	u, err := r.API.Endpoints().ItemURL(anc, "")
	if err != nil {
		return "", &azureapi.Error{Class: azureapi.Permanent, Code: "NoAncestor", Message: err.Error()}
	}
	resp, err := r.API.Get(ctx, u)
	if err != nil {
		return "", err
	}
	loc, err := locationOf(resp.Body)
	if err != nil {
		return "", &azureapi.Error{Class: azureapi.Permanent, Code: "InvalidLocation", Message: err.Error()}
	}
	return loc, nil
}

// locationOf reads and validates "location" of an ARM document.
func locationOf(doc []byte) (string, error) {
	var v struct {
		Location string `json:"location"`
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return "", err
	}
	return catalog.NormalizeLocation(v.Location)
}

// streamContent brings an artifact's content from the URI its content info
// names into the bundle (see content.Copy): copied by the storage service,
// or fetched without credentials and streamed.
func (r *run) streamContent(ctx context.Context, info []byte) error {
	var ci struct {
		ContentURI string `json:"contentUri"`
	}
	if err := json.Unmarshal(info, &ci); err != nil || ci.ContentURI == "" {
		return &azureapi.Error{Class: azureapi.Permanent, Code: "NoContentURI", Message: "the content info names no contentUri"}
	}
	k := r.ref.Kind
	params := maps.Clone(r.ref.Params)
	maps.Copy(params, k.Fixed)
	container, err := k.List.Build(params)
	if err != nil {
		return &azureapi.Error{Class: azureapi.Permanent, Code: "InvalidResource", Message: err.Error()}
	}
	key := dsr.ContentBlob(r.step.RequestID, container, r.ref.Params[lastParamName(k)])
	// A server-side copy where the store and the service can, else streamed.
	if _, err := content.Copy(ctx, r.API, r.Ledger.Store(), key, ci.ContentURI, store.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		if ae := (*azureapi.Error)(nil); errors.As(err, &ae) {
			return ae // the content's own failure (over the cap)
		}
		if ctx.Err() == nil && !errors.Is(err, store.ErrExists) {
			return &azureapi.Error{Class: azureapi.Transient, Code: "ContentStream", Message: azureapi.StripSAS(fmt.Sprintf("streaming content: %v", err))}
		}
		return err
	}
	return nil
}

func lastParamName(k *catalog.Kind) string {
	names := k.Path.Params()
	return names[len(names)-1]
}

func putDocument(ctx context.Context, l *ledger.Ledger, key string, raw []byte) error {
	return l.Store().Put(ctx, key, bytes.NewReader(raw), store.PutOptions{ContentType: "application/json", Metadata: manifest.WithSum(nil, raw)})
}

func requestIDOf(err error) string {
	var e *azureapi.Error
	if errors.As(err, &e) {
		return e.RequestID
	}
	return ""
}
