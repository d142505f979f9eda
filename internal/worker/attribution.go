package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// Attribution of jobs, and of what they produced.
//
// A job's verdict (whose it is, by which rule) is decided once per request
// and kept as an attribution fact (dsr.AttributionBlob), written
// create-only before anything else can happen to the job on behalf of the
// request: the job's own match writes it before the discover step that
// listed the job spawns its delete, and a model version examined first
// writes it from the job it reads. Whoever comes later reads the fact, so
//
//   - a model version examined after the job's delete (recorded succeeded
//     or absent, or not recorded at all because the worker crashed between
//     the DELETE and the record) is attributed as the job was;
//   - a version examined before the job's step ran is attributed as the
//     job's step will then match it (the step reads the same fact).
//
// The outcome therefore depends neither on the order of the steps nor on
// how the job's delete ended. A job that is gone and has no fact was never
// seen by this request (so it deleted nothing of it): its outputs are then
// attributed by their own creator only.

// fact is the content of an attribution blob.
type fact struct {
	V   int    `json:"v"`
	Job string `json:"job"`
	verdict
}

// jobVerdict is the verdict of job ref (document raw): the request's fact
// when there is one, else the job's creator, then kept as the fact.
func (r *run) jobVerdict(ctx context.Context, ref catalog.Ref, raw []byte) (verdict, error) {
	if f, ok, err := r.readFact(ctx, ref.Path); err != nil || ok {
		return f.verdict, err
	}
	v, err := r.creatorOf(ctx, ref, raw)
	if err != nil {
		return verdict{}, err
	}
	return r.keepFact(ctx, ref.Path, v)
}

// producedBy is the verdict on an item produced by job (its
// properties.jobName) in the item's workspace: the job's verdict, read
// from the request's fact, else from the job itself.
func (r *run) producedBy(ctx context.Context, item catalog.Ref, job string) (verdict, error) {
	if _, ok := item.Params["workspaceName"]; !ok {
		return verdict{}, nil // a registry's asset: jobs live in workspaces
	}
	k := catalog.Lookup("aml.job")
	params := maps.Clone(item.Params)
	params["id"] = job
	path, err := k.Path.Build(params)
	if err != nil {
		return verdict{}, nil // not a job name we can address
	}
	jobRef, err := catalog.NewRef(k.Name, path)
	if err != nil {
		return verdict{}, nil
	}
	f, ok, err := r.readFact(ctx, path)
	if err != nil {
		return verdict{}, err
	}
	v := f.verdict
	if !ok {
		u, err := r.API.Endpoints().ItemURL(jobRef, "")
		if err != nil {
			return verdict{}, nil
		}
		resp, err := r.API.Get(ctx, u)
		switch {
		case errors.Is(err, azureapi.ErrGone):
			return verdict{}, nil // never seen by this request: see above
		case err != nil:
			return verdict{}, err
		}
		if v, err = r.jobVerdict(ctx, jobRef, resp.Body); err != nil {
			return verdict{}, err
		}
	}
	if v.Rule == ruleNone {
		return verdict{}, nil
	}
	return verdict{v.Rule, "produced by the subject's job " + job + " (properties.jobName): " + v.Why}, nil
}

func (r *run) readFact(ctx context.Context, jobPath string) (fact, bool, error) {
	b, err := store.ReadAll(ctx, r.Ledger.Store(), dsr.AttributionBlob(r.step.RequestID, jobPath))
	if errors.Is(err, store.ErrNotFound) {
		return fact{}, false, nil
	}
	if err != nil {
		return fact{}, false, err
	}
	var f fact
	if err := json.Unmarshal(b, &f); err != nil || !strings.EqualFold(f.Job, jobPath) {
		return fact{}, false, fmt.Errorf("attribution fact of %s is unreadable", jobPath)
	}
	return f, true, nil
}

// keepFact writes v as the job's fact, unless one exists: then the first
// decision stands and is returned.
func (r *run) keepFact(ctx context.Context, jobPath string, v verdict) (verdict, error) {
	b, _ := json.Marshal(fact{V: 1, Job: jobPath, verdict: v})
	err := r.Ledger.Store().Put(ctx, dsr.AttributionBlob(r.step.RequestID, jobPath), bytes.NewReader(b),
		store.PutOptions{IfNotExists: true, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		f, ok, err := r.readFact(ctx, jobPath)
		if err == nil && !ok {
			err = fmt.Errorf("attribution fact of %s vanished", jobPath)
		}
		return f.verdict, err
	}
	return v, err
}

// runCreator reads the job's run in the run history data plane and
// applies the object id rule to its createdBy.userObjectId. known is false
// when the creator's object id cannot be learnt there (no subject object
// id to compare, no experiment name, no run, no AML endpoint configured),
// and the other rules decide.
func (r *run) runCreator(ctx context.Context, job catalog.Ref, experiment string) (v verdict, known bool, err error) {
	if r.req.Subject == nil || r.req.Subject.ObjectID == "" || experiment == "" {
		return verdict{}, false, nil
	}
	loc, err := r.workspaceLocation(ctx, job)
	if err != nil || loc == "" {
		return verdict{}, false, err
	}
	u, err := r.API.Endpoints().RunURL(job, experiment, loc)
	if err != nil {
		return verdict{}, false, nil
	}
	resp, err := r.API.Get(ctx, u)
	switch {
	case errors.Is(err, azureapi.ErrGone):
		return verdict{}, false, nil
	case err != nil:
		return verdict{}, false, err
	}
	var run struct {
		CreatedBy struct {
			UserObjectID string `json:"userObjectId"`
		} `json:"createdBy"`
	}
	if json.Unmarshal(resp.Body, &run) != nil || run.CreatedBy.UserObjectID == "" {
		return verdict{}, false, nil
	}
	if eq(run.CreatedBy.UserObjectID, r.req.Subject.ObjectID) {
		return verdict{ruleObjectID, "the job's run history names the subject's object id (createdBy.userObjectId)"}, true, nil
	}
	return verdict{}, true, nil
}

// workspaceLocation is the {location} of the workspace of ref: the step's
// own when the step came down from the workspace, else read from it. A
// workspace that is gone has none ("").
func (r *run) workspaceLocation(ctx context.Context, ref catalog.Ref) (string, error) {
	if r.step.Loc != "" {
		return r.step.Loc, nil
	}
	loc, err := r.ancestorLocation(ctx, ref, "aml.workspace")
	var ae *azureapi.Error
	if errors.As(err, &ae) && (ae.Class == azureapi.Gone || ae.Code == "InvalidLocation" || ae.Code == "NoAncestor") {
		return "", nil
	}
	return loc, err
}
