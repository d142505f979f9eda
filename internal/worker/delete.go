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
	"amldsr/internal/store"
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
		return nil, r.note(ctx, r.visit(KindDelete, ref, m.reason), dsr.Record{
			Outcome: dsr.Skipped, Error: &dsr.RecordError{Code: code, Message: msg}, MatchedBy: m.reason,
		})
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
	loc, ok, err := r.ownLocation(ctx)
	if err != nil || !ok {
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
// give their data planes one). ok is false when the step has ended: the
// resource is gone (its absence recorded) or its location is not valid
// (recorded as failed); then nothing below it may start.
func (r *run) ownLocation(ctx context.Context) (loc string, ok bool, err error) {
	if !r.ref.Kind.Location {
		return r.step.Loc, true, nil
	}
	resp, done, err := r.getSelf(ctx, dsr.StepDelete)
	if err != nil || done {
		return "", false, err
	}
	loc, err = locationOf(resp.Body)
	if err != nil {
		return "", false, r.fail(ctx, resp.Status, resp.RequestID, "InvalidLocation", err.Error())
	}
	return loc, true, nil
}

// keeps reports whether the resource itself stays whatever happens below
// it: a shared parent under match "subject".
func (r *run) keeps() bool {
	return r.req.Match == dsr.MatchSubject && r.ref.Kind.Shared
}

// startChildren begins a delete with a delete order: the first group is
// listed (a dry run lists every group and plans the resource itself).
func (r *run) startChildren(ctx context.Context) error {
	loc, ok, err := r.ownLocation(ctx)
	if err != nil || !ok {
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
	return r.Book().Continue(ctx, r.now().Add(r.Limits.FirstBarrierWait), barrier)
}

// barrier checks whether the group it waits on is done. It reads every
// page of the group's collections and looks at each child the request
// deletes: a failed delete fails the parent (it must not go while its
// children remain); a child kept on purpose (skipped) is final; a child
// whose delete is under way, or done but still listed, is waited for; a
// child with no delete of its own (discovery missed it: paging shifted
// under the deletes, or it appeared while the delete ran) gets one now, in
// a round that is recorded and bounded. With nothing left to wait for, the
// barrier moves on to the next group, or to the resource itself.
func (r *run) barrier(ctx context.Context) error {
	var c census
	for _, name := range r.ref.Kind.DeleteOrder[r.step.Group] {
		child := catalog.Lookup(name)
		remaining, err := r.allPages(ctx, child)
		if err != nil {
			return err
		}
		for _, it := range remaining {
			if done, err := r.countChild(ctx, &c, it); err != nil || done {
				return err
			}
		}
	}
	switch {
	case len(c.missed) > 0:
		return r.startMissed(ctx, c.missed)
	case len(c.pending) > 0:
		return r.waitFor(ctx, c.pending)
	}
	next := *r.step
	next.Kept += c.kept
	if g := r.step.Group + 1; g < len(r.ref.Kind.DeleteOrder) {
		next.Round = 0
		return r.startGroup(ctx, next, g)
	}
	switch {
	case r.keeps():
		return r.keep(ctx, "SharedParent", skipMessage(r.ref.Kind))
	case next.Kept > 0:
		return r.keep(ctx, "KeptForOthers", fmt.Sprintf("not deleted: it still holds %d items that this request keeps (other people's, or kept on purpose)", next.Kept))
	}
	// The resource's own DELETE starts its own clock: the confirmation's
	// timeout does not count the time its children took.
	r.step.Since, r.step.Waits = r.now().UTC(), 0
	return r.deleteSelf(ctx)
}

// census is what a barrier found in its group.
type census struct {
	pending []catalog.Ref // being deleted, or deleted and still listed
	missed  []Step        // no delete of their own yet
	kept    int           // other people's, or kept on purpose: final
}

// countChild classifies one remaining child. done is true when the
// parent's step has ended (a child's delete failed: the parent is failed).
func (r *run) countChild(ctx context.Context, c *census, it listed) (done bool, err error) {
	m, err := r.match(ctx, it.ref, it.raw)
	if err != nil {
		return false, err
	}
	if !m.ok || m.context {
		c.kept++
		return false, nil
	}
	del := r.visit(KindDelete, it.ref, m.reason)
	rec, err := r.Ledger.ReadRecord(ctx, r.step.RequestID, del.Op)
	switch {
	case err == nil && rec.Outcome == dsr.Failed:
		return true, r.fail(ctx, 0, "", "ChildNotDeleted",
			fmt.Sprintf("not deleted because %s %s could not be deleted: %s", it.ref.Kind.Name, it.ref.Path, errorText(rec)))
	case err == nil && (rec.Outcome == dsr.Skipped || rec.Outcome == dsr.Planned):
		c.kept++
		return false, nil
	case err == nil:
		c.pending = append(c.pending, it.ref)
		return false, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if _, err := r.Ledger.Marker(ctx, r.step.RequestID, del.Op); err == nil {
		c.pending = append(c.pending, it.ref)
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	// While a listing of this kind is still running, its steps may not
	// have started yet: the child is not missed, only not reached.
	listing, err := r.Ledger.AnyPending(ctx, r.step.RequestID, string(dsr.StepDiscover)+"."+it.ref.Kind.Name+".")
	if err != nil || listing {
		c.pending = append(c.pending, it.ref)
		return false, err
	}
	steps, err := r.deleteItem(ctx, it.ref, m)
	if err != nil {
		return false, err
	}
	if len(steps) == 0 { // recorded as kept by deleteItem
		c.kept++
	}
	c.missed = append(c.missed, steps...)
	return false, nil
}

// startMissed starts the deletes of children that discovery missed, as
// one recorded round, and waits for them. Children that keep appearing
// fail the parent after Limits.MaxRounds rounds.
func (r *run) startMissed(ctx context.Context, missed []Step) error {
	first := missed[0]
	if r.step.Round >= r.Limits.MaxRounds {
		return r.fail(ctx, 0, "", "ChildrenKeepAppearing",
			fmt.Sprintf("not deleted: after %d rounds, children still appear that no listing had shown (%s %s and %d more)",
				r.step.Round, first.Res, first.Path, len(missed)-1))
	}
	next := *r.step
	next.Round++
	next.Waits++
	round := r.fresh(KindDiscover, r.ref.Kind.Name, r.ref.Path)
	round.Child, round.Page = first.Res, -next.Round
	round.Op = round.Key()
	kind, path := round.Resource()
	note := fmt.Sprintf("barrier round %d of the delete of %s (group %d): started %d deletes of children that discovery had not seen (%s %s first)",
		next.Round, r.ref.Path, r.step.Group, len(missed), first.Res, first.Path)
	r.Log.Warn("starting children discovery missed", "request_id", r.step.RequestID, "op", r.step.Op, "resource_id", r.ref.Path, "round", next.Round, "children", len(missed))
	if err := r.spawn(ctx, zeroTime, missed...); err != nil {
		return err
	}
	if err := r.note(ctx, round, dsr.Record{Kind: kind, Resource: path, Outcome: dsr.Succeeded, Note: note}); err != nil {
		return err
	}
	return later(next, waitBackoff(r.step.Waits))
}

// waitFor reschedules the barrier while children are still being deleted,
// until BarrierTimeout.
func (r *run) waitFor(ctx context.Context, pending []catalog.Ref) error {
	if r.now().Sub(r.step.Since) > r.Limits.BarrierTimeout {
		return r.fail(ctx, 0, "", "ChildrenRemain",
			fmt.Sprintf("not deleted: %s %s and %d others remained after %v", pending[0].Kind.Name, pending[0].Path, len(pending)-1, r.Limits.BarrierTimeout))
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

// maxBarrierPages bounds the pages a barrier reads of one collection.
const maxBarrierPages = 1000

// allPages lists every page of child under the resource. A chain that
// loops or runs past maxBarrierPages is an upstream error.
func (r *run) allPages(ctx context.Context, child *catalog.Kind) ([]listed, error) {
	listPath, err := r.ref.ListPath(child, r.subjectParams())
	if err != nil {
		return nil, err
	}
	u, err := r.API.Endpoints().URL(child, child.List, listPath, r.step.Loc, values(child.ListQuery))
	if err != nil {
		return nil, err
	}
	var out []listed
	seen := map[string]bool{}
	for n := 0; u != nil; n++ {
		if n == maxBarrierPages || seen[u.String()] {
			return nil, &azureapi.Error{Class: azureapi.Permanent, Code: "EndlessList",
				Message: fmt.Sprintf("the list of %s under %s did not end after %d pages", child.Name, r.ref.Path, n)}
		}
		seen[u.String()] = true
		page, err := r.API.ListPage(ctx, u, child.Shape, child.TokenParam)
		if errors.Is(err, azureapi.ErrGone) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		items := 0
		for _, raw := range page.Items {
			if ref, err := catalog.Item(child, listPath, raw); err == nil {
				out = append(out, listed{ref: ref, raw: raw})
				items++
			}
		}
		if items == 0 && len(page.Items) > 0 {
			return nil, &azureapi.Error{Class: azureapi.Permanent, Code: "InvalidListItem", Message: "children remain that cannot be addressed"}
		}
		u = page.Next
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
	if r.req.DryRun { // admit keeps dry runs out of every delete phase
		return &PoisonError{Reason: "DryRun", Description: "a DELETE under a dry run", Step: r.step}
	}
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
	if r.now().Sub(next.Since) > r.Limits.OperationTimeout {
		return r.fail(ctx, res.Status, res.RequestID, "OperationTimedOut",
			fmt.Sprintf("the delete's long-running operation had not ended after %v", r.Limits.OperationTimeout))
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
// confirming makes the running step the confirmation of a DELETE that
// answered status: if the confirming GET fails and the step is retried
// (settle reschedules r.step), the retry confirms again instead of sending
// a second DELETE, which would find 404 and record "absent" although this
// request deleted the resource.
func (r *run) confirming(status int, upstream string) {
	if r.step.Phase == PhaseConfirm {
		return
	}
	next := *r.step
	next.Kind, next.Phase, next.Status, next.UpstreamID, next.Attempt, next.Token = KindDelete, PhaseConfirm, status, upstream, 0, ""
	if next.Since.IsZero() {
		next.Since = r.started
	}
	r.step = &next
}

func (r *run) confirm(ctx context.Context, status int, upstream string) error {
	u, err := r.API.Endpoints().URL(r.ref.Kind, r.ref.Kind.Path, r.ref.Path, r.step.Loc, nil)
	if err != nil {
		return r.fail(ctx, 0, "", "InvalidResource", err.Error())
	}
	r.confirming(status, upstream)
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
