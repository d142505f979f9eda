package worker

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// matched says whether an item is covered by the request, and why.
type matched struct {
	ok bool
	// context: covered only as a shared parent: exported, never deleted.
	context bool
	// descend: not covered, but items below it may be: list them.
	descend bool
	reason  string
}

// match applies the request's match rule to one item (its listed or
// fetched document). Under match "subject" an item belongs to the subject
// when systemData names them as its creator (by user principal name, or by
// object id for a user), when a compute instance is assigned to or was
// created by them, or when a model version came out of one of their jobs.
func (r *run) match(ctx context.Context, ref catalog.Ref, raw []byte) (matched, error) {
	if r.req.Match != dsr.MatchSubject {
		return matched{ok: true}, nil
	}
	k := ref.Kind
	if k.Shared || (k.Owner == catalog.NoOwner && catalog.CanMatch(k)) {
		return matched{ok: true, context: true, reason: "shared parent of the subject's items: exported as context, never deleted"}, nil
	}
	switch k.Owner {
	case catalog.PerUser:
		return matched{ok: true, reason: "listed for the subject's objectId"}, nil
	case catalog.SystemData, catalog.ComputeUser:
		if why := owns(raw, k.Owner, r.req.Subject); why != "" {
			return matched{ok: true, reason: why}, nil
		}
		if job := jobNameOf(raw); job != "" {
			why, err := r.jobOwned(ctx, ref, job)
			if err != nil || why != "" {
				return matched{ok: why != "", reason: why}, err
			}
		}
	}
	for _, c := range k.Children {
		if catalog.CanMatch(catalog.Lookup(c)) {
			return matched{descend: true}, nil
		}
	}
	return matched{}, nil
}

// document is the part of an ARM document that says who owns it.
type document struct {
	SystemData struct {
		CreatedBy, CreatedByType, CreatedByID string
	} `json:"systemData"`
	Properties struct {
		JobName    string `json:"jobName"`
		Properties struct {
			PersonalComputeInstanceSettings struct {
				AssignedUser struct{ ObjectID string } `json:"assignedUser"`
			} `json:"personalComputeInstanceSettings"`
			CreatedBy struct{ UserName, UserID string } `json:"createdBy"`
		} `json:"properties"`
	} `json:"properties"`
}

// owns says why the document belongs to subject, or "".
func owns(raw []byte, owner catalog.Owner, s *dsr.Subject) string {
	var d document
	if s == nil || json.Unmarshal(raw, &d) != nil {
		return ""
	}
	eq := func(a, b string) bool { return a != "" && b != "" && strings.EqualFold(a, b) }
	sd := d.SystemData
	switch {
	case eq(sd.CreatedBy, s.UserPrincipalName):
		return "systemData.createdBy is the subject's user principal name"
	case (sd.CreatedByType == "" || strings.EqualFold(sd.CreatedByType, "User")) && (eq(sd.CreatedBy, s.ObjectID) || eq(sd.CreatedByID, s.ObjectID)):
		return "systemData.createdBy is the subject's object id"
	}
	if owner != catalog.ComputeUser {
		return ""
	}
	ci := d.Properties.Properties
	switch {
	case eq(ci.PersonalComputeInstanceSettings.AssignedUser.ObjectID, s.ObjectID):
		return "compute instance assigned to the subject (personalComputeInstanceSettings.assignedUser)"
	case eq(ci.CreatedBy.UserID, s.ObjectID) || eq(ci.CreatedBy.UserName, s.UserPrincipalName):
		return "compute instance created by the subject (properties.createdBy)"
	}
	return ""
}

func jobNameOf(raw []byte) string {
	var d document
	json.Unmarshal(raw, &d)
	return d.Properties.JobName
}

// jobOwned says whether the job a model version names belongs to the
// subject: its delete by this request (which deletes only the subject's
// jobs) says so, else the job's own document does.
func (r *run) jobOwned(ctx context.Context, ref catalog.Ref, job string) (string, error) {
	k := catalog.Lookup("aml.job")
	if _, ok := ref.Params["workspaceName"]; !ok {
		return "", nil // a registry's asset: jobs live in workspaces
	}
	params := maps.Clone(ref.Params)
	params["id"] = job
	path, err := k.Path.Build(params)
	if err != nil {
		return "", nil // not a job name we can address
	}
	why := "produced by the subject's job " + job + " (properties.jobName)"
	if r.jobs == nil {
		r.jobs = map[string]string{}
	}
	if v, ok := r.jobs[path]; ok {
		return v, nil
	}
	rec, err := r.Ledger.ReadRecord(ctx, r.step.RequestID, dsr.OpKey(dsr.StepDelete, k.Name, path, 0))
	if err == nil && rec.Outcome == dsr.Succeeded {
		r.jobs[path] = why
		return why, nil
	}
	jobRef := catalog.Ref{Kind: k, Path: path, Params: params}
	u, err := r.API.Endpoints().ItemURL(jobRef, "")
	if err != nil {
		return "", nil
	}
	resp, err := r.API.Get(ctx, u)
	switch {
	case errors.Is(err, azureapi.ErrGone):
		r.jobs[path] = ""
		return "", nil
	case err != nil:
		return "", err
	}
	if owns(resp.Body, catalog.SystemData, r.req.Subject) == "" {
		why = ""
	}
	r.jobs[path] = why
	return why, nil
}
