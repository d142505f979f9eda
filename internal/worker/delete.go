package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// deleteItem decides what a delete does with one listed item: kinds
// without a delete of their own are recorded as skipped here (or, when
// they hold deletable kinds, visited to record those); the rest get a
// delete step.
func (r *run) deleteItem(ctx context.Context, ref catalog.Ref, m matched) ([]Step, error) {
	k := ref.Kind
	if k.Delete == catalog.ViaParent {
		return nil, nil
	}
	if (k.Delete == catalog.ExportOnly || m.context) && len(k.Children) == 0 {
		code, msg := skipReason(k, m.context)
		_, err := r.Ledger.Record(ctx, dsr.OpKey(dsr.StepDelete, k.Name, ref.Path, 0), dsr.Record{
			RequestID: r.step.RequestID, Operation: dsr.StepDelete, Kind: k.Name, Resource: ref.Path,
			Outcome: dsr.Skipped, Attempts: r.attempts, StartedAt: r.started, FinishedAt: r.now().UTC(),
			Error: &dsr.RecordError{Code: code, Message: msg}, MatchedBy: m.reason,
		})
		return nil, err
	}
	return []Step{r.visit(KindDelete, ref, m.reason)}, nil
}

func skipReason(k *catalog.Kind, context bool) (string, string) {
	if context {
		return "SharedParent", k.Name + " is a shared parent: under match \"subject\" it is never deleted"
	}
	return "ExportOnly", "the seed offers no delete for " + k.Name + ": exported only, not deleted"
}

// delete runs one phase of a resource's delete. A resource with a delete
// order first deletes its children group by group: it lists the group,
// then waits (a barrier, rescheduled) until the group's collections hold
// nothing the request deletes, and only then deletes itself. Every delete
// is confirmed by a GET that answers 404 before it is recorded.
func (r *run) delete(ctx context.Context) error {
	k := r.ref.Kind
	switch r.step.Phase {
	case PhaseSelf:
		return r.deleteSelf(ctx)
	case PhasePoll:
		return r.poll(ctx)
	case PhaseConfirm:
		return r.confirm(ctx, r.step.Status, r.step.UpstreamID)
	}
	if r.step.Kind == KindBarrier {
		return r.barrier(ctx)
	}
	subject := r.req.Match == dsr.MatchSubject
	switch {
	case k.Role == catalog.Scope:
		return r.expandScope(ctx)
	case k.Delete == catalog.ExportOnly || (subject && k.Owner == catalog.NoOwner && !k.Shared):
		return r.skipAndDescend(ctx)
	case subject && !k.Shared && r.step.Why == "":
		return r.deleteTarget(ctx)
	case len(k.DeleteOrder) == 0:
		if r.req.DryRun {
			return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Planned, MatchedBy: r.step.Why})
		}
		return r.deleteSelf(ctx)
	default:
		return r.startChildren(ctx)
	}
}

// deleteTarget reads a match "subject" request's own target to see whether
// it is the subject's before deleting anything.
func (r *run) deleteTarget(ctx context.Context) error {
	resp, done, err := r.getSelf(ctx, dsr.StepDelete)
	if err != nil || done {
		return err
	}
	m, done, err := r.matchTarget(ctx, resp.Body)
	if err != nil || done {
		return err
	}
	r.step.Why = m.reason
	return r.delete(ctx)
}

// skipAndDescend records a resource the delete keeps (export-only, or the
// context of a subject's items) and lists the deletable kinds below.
func (r *run) skipAndDescend(ctx context.Context) error {
	loc, err := r.ownLocation(ctx)
	if err != nil || loc == "-" {
		return err
	}
	steps, err := r.childDiscoveries(ctx, r.ref, r.ref.Kind.Children, loc)
	if err != nil {
		return err
	}
	if err := r.spawn(ctx, zeroTime, steps...); err != nil {
		return err
	}
	code, msg := skipReason(r.ref.Kind, r.req.Match == dsr.MatchSubject && r.ref.Kind.Delete != catalog.ExportOnly)
	return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Skipped, Error: &dsr.RecordError{Code: code, Message: msg}})
}

// ownLocation reads the resource to learn its location (for kinds that
// give their data planes one). "-" means the step has ended: the resource
// is gone (its absence recorded) or could not be read.
func (r *run) ownLocation(ctx context.Context) (string, error) {
	if !r.ref.Kind.Location {
		return r.step.Loc, nil
	}
	resp, done, err := r.getSelf(ctx, dsr.StepDelete)
	if err != nil || done {
		return "-", err
	}
	loc, err := locationOf(resp.Body)
	if err != nil {
		return "", r.fail(ctx, resp.Status, resp.RequestID, "InvalidLocation", err.Error())
	}
	return loc, nil
}

// keeps reports whether the resource itself stays whatever happens below
// it: a shared parent under match "subject".
func (r *run) keeps() bool {
	return r.req.Match == dsr.MatchSubject && r.ref.Kind.Shared
}

// startChildren begins a delete with a delete order: the first group is
// listed (a dry run lists every group and plans the resource itself).
func (r *run) startChildren(ctx context.Context) error {
	loc, err := r.ownLocation(ctx)
	if err != nil || loc == "-" {
		return err
	}
	order := r.ref.Kind.DeleteOrder
	if r.req.DryRun {
		var all []string
		for _, g := range order {
			all = append(all, g...)
		}
		steps, err := r.childDiscoveries(ctx, r.ref, all, loc)
		if err != nil {
			return err
		}
		if err := r.spawn(ctx, zeroTime, steps...); err != nil {
			return err
		}
		if r.keeps() {
			return r.keep(ctx, "SharedParent", skipMessage(r.ref.Kind))
		}
		return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Planned, MatchedBy: r.step.Why})
	}
	next := *r.step
	next.Loc, next.Since = loc, r.now().UTC()
	return r.startGroup(ctx, next, 0)
}

func skipMessage(k *catalog.Kind) string {
	_, msg := skipReason(k, true)
	return msg
}

// keep records the resource as skipped: the delete leaves it in place.
func (r *run) keep(ctx context.Context, code, msg string) error {
	return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Skipped, MatchedBy: r.step.Why,
		Error: &dsr.RecordError{Code: code, Message: msg}})
}

// startGroup lists group g of the delete order and schedules the barrier
// that waits for it.
func (r *run) startGroup(ctx context.Context, self Step, g int) error {
	steps, err := r.childDiscoveries(ctx, r.ref, r.ref.Kind.DeleteOrder[g], self.Loc)
	if err != nil {
		return err
	}
	barrier := self
	barrier.Kind, barrier.Phase, barrier.Group, barrier.Attempt, barrier.Waits = KindBarrier, "", g, 0, 0
	if err := r.spawn(ctx, zeroTime, steps...); err != nil {
		return err
	}
	return r.spawn(ctx, r.now().Add(r.Limits.FirstBarrierWait), barrier)
}

// barrier checks whether the group it waits on is done. It fails the
// delete when a child's delete failed (the parent must not go while its
// children remain), waits again while children the request deletes are
// still there, and moves on to the next group, or to the resource itself,
// when only children of other people (match "subject") remain, or none.
func (r *run) barrier(ctx context.Context) error {
	g := r.step.Group
	kept := 0
	for _, name := range r.ref.Kind.DeleteOrder[g] {
		child := catalog.Lookup(name)
		remaining, err := r.firstPage(ctx, child)
		if err != nil {
			return err
		}
		pending, others, err := r.classify(ctx, remaining)
		if err != nil || (pending == nil && others == 0 && len(remaining) > 0) {
			return err
		}
		if len(pending) > 0 {
			return r.waitFor(ctx, child, pending)
		}
		kept += others
	}
	next := *r.step
	next.Kept += kept
	if g+1 < len(r.ref.Kind.DeleteOrder) {
		return r.startGroup(ctx, next, g+1)
	}
	switch {
	case r.keeps():
		return r.keep(ctx, "SharedParent", skipMessage(r.ref.Kind))
	case next.Kept > 0:
		return r.keep(ctx, "KeptForOthers", fmt.Sprintf("not deleted: it still holds %d items of other people, which a match \"subject\" delete leaves", next.Kept))
	}
	return r.deleteSelf(ctx)
}

// classify splits the remaining children into those the request deletes
// (pending) and those of other people. A pending child whose delete failed
// for good fails the parent (recorded here); then both results are empty.
func (r *run) classify(ctx context.Context, remaining []listed) (pending []catalog.Ref, others int, err error) {
	for _, it := range remaining {
		m, err := r.match(ctx, it.ref, it.raw)
		if err != nil {
			return nil, 0, err
		}
		if !m.ok || m.context {
			others++
			continue
		}
		rec, err := r.Ledger.ReadRecord(ctx, r.step.RequestID, dsr.OpKey(dsr.StepDelete, it.ref.Kind.Name, it.ref.Path, 0))
		if err == nil && rec.Outcome == dsr.Failed {
			return nil, 0, r.fail(ctx, 0, "", "ChildNotDeleted",
				fmt.Sprintf("not deleted because %s %s could not be deleted: %s", it.ref.Kind.Name, it.ref.Path, errorText(rec)))
		}
		pending = append(pending, it.ref)
	}
	return pending, others, nil
}

// waitFor reschedules the barrier while children are still being deleted,
// until BarrierTimeout.
func (r *run) waitFor(ctx context.Context, child *catalog.Kind, pending []catalog.Ref) error {
	if r.now().Sub(r.step.Since) > r.Limits.BarrierTimeout {
		return r.fail(ctx, 0, "", "ChildrenRemain",
			fmt.Sprintf("not deleted: %s %s and others remained after %v", child.Name, pending[0].Path, r.Limits.BarrierTimeout))
	}
	next := *r.step
	next.Waits++
	return later(next, waitBackoff(r.step.Waits))
}

// waitBackoff spaces the checks of something that is expected to finish
// soon: 1 s, 1.5 s, 2 s, ... up to 30 s.
func waitBackoff(waits int) time.Duration {
	return min(time.Second+time.Duration(waits)*500*time.Millisecond, 30*time.Second)
}

// listed is a listed item with its document.
type listed struct {
	ref catalog.Ref
	raw []byte
}

// firstPage lists the first page of child under the resource.
func (r *run) firstPage(ctx context.Context, child *catalog.Kind) ([]listed, error) {
	listPath, err := r.ref.ListPath(child, nil)
	if err != nil {
		return nil, err
	}
	u, err := r.API.Endpoints().URL(child, child.List, listPath, r.step.Loc, values(child.ListQuery))
	if err != nil {
		return nil, err
	}
	page, err := r.API.ListPage(ctx, u, child.Shape, child.TokenParam)
	if errors.Is(err, azureapi.ErrGone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []listed
	for _, raw := range page.Items {
		if ref, err := catalog.Item(child, listPath, raw); err == nil {
			out = append(out, listed{ref: ref, raw: raw})
		}
	}
	if len(out) == 0 && len(page.Items) > 0 {
		return nil, &azureapi.Error{Class: azureapi.Permanent, Code: "InvalidListItem", Message: "children remain that cannot be addressed"}
	}
	return out, nil
}

func errorText(rec *dsr.Record) string {
	if rec.Error == nil {
		return string(rec.Outcome)
	}
	return rec.Error.Code + ": " + rec.Error.Message
}

// deleteSelf sends DELETE for the resource, with the kind's delete query
// (forceToPurge, underlyingResourceAction).
func (r *run) deleteSelf(ctx context.Context) error {
	u, err := r.API.Endpoints().URL(r.ref.Kind, r.ref.Kind.Path, r.ref.Path, r.step.Loc, values(r.ref.Kind.DeleteQuery))
	if err != nil {
		return r.fail(ctx, 0, "", "InvalidResource", err.Error())
	}
	res, err := r.API.BeginDelete(ctx, u)
	if err != nil {
		return err
	}
	return r.afterDelete(ctx, res)
}

func (r *run) afterDelete(ctx context.Context, res *azureapi.DeleteResult) error {
	switch {
	case res.Done && !res.Existed:
		return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Absent, HTTPStatus: res.Status, UpstreamRequestID: res.RequestID, MatchedBy: r.step.Why})
	case res.Done:
		return r.confirm(ctx, res.Status, res.RequestID)
	}
	next := *r.step
	next.Kind, next.Attempt, next.Waits = KindDelete, 0, r.step.Waits+1
	next.Status, next.UpstreamID = res.Status, res.RequestID
	if next.Since.IsZero() {
		next.Since = r.now().UTC()
	}
	if res.ResumeToken != "" {
		next.Phase, next.Token = PhasePoll, res.ResumeToken
	} else {
		next.Phase = PhaseConfirm
	}
	return later(next, res.RetryAfter)
}

// poll polls a long-running delete once. An operation that ended Failed
// is recorded with its own code and message, or, for a transient code,
// started again (a bounded number of times).
func (r *run) poll(ctx context.Context) error {
	res, err := r.API.PollDelete(ctx, r.step.Token)
	if errors.Is(err, azureapi.ErrGone) {
		return r.confirm(ctx, http.StatusOK, requestIDOf(err))
	}
	var ae *azureapi.Error
	if errors.As(err, &ae) && ae.OperationFailed && ae.Class != azureapi.Permanent {
		// The operation failed for a transient reason: settle's retry
		// sends DELETE again instead of polling the failed operation, up to
		// MaxAttempts operations.
		if r.step.Restarts+1 >= r.Limits.MaxAttempts {
			return r.fail(ctx, ae.Status, ae.RequestID, ae.Code, fmt.Sprintf("%d operations of the delete failed; the last: %s", r.step.Restarts+1, ae.Message))
		}
		r.step.Phase, r.step.Token = PhaseSelf, ""
		r.step.Restarts++
	}
	if err != nil {
		return err
	}
	if res.Done {
		return r.confirm(ctx, res.Status, res.RequestID)
	}
	return r.afterDelete(ctx, res)
}

// confirm GETs the resource and records the delete once it answers 404.
func (r *run) confirm(ctx context.Context, status int, upstream string) error {
	u, err := r.API.Endpoints().URL(r.ref.Kind, r.ref.Kind.Path, r.ref.Path, r.step.Loc, nil)
	if err != nil {
		return r.fail(ctx, 0, "", "InvalidResource", err.Error())
	}
	_, err = r.API.Get(ctx, u)
	if errors.Is(err, azureapi.ErrGone) {
		return r.record(ctx, dsr.Record{Operation: dsr.StepDelete, Outcome: dsr.Succeeded, HTTPStatus: status, UpstreamRequestID: upstream, MatchedBy: r.step.Why})
	}
	if err != nil {
		return err
	}
	since := r.step.Since
	if since.IsZero() {
		since = r.started
	}
	if r.now().Sub(since) > r.Limits.ConfirmTimeout {
		return r.fail(ctx, status, upstream, "StillPresent", fmt.Sprintf("the delete answered %d but a GET still finds the resource after %v", status, r.Limits.ConfirmTimeout))
	}
	next := *r.step
	next.Kind, next.Phase, next.Status, next.UpstreamID, next.Waits = KindDelete, PhaseConfirm, status, upstream, r.step.Waits+1
	next.Since = since
	return later(next, waitBackoff(r.step.Waits))
}
