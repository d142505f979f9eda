package worker

import (
	"context"
	"encoding/json"
	"strings"

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
	// held is set (to the skip code, DisplayNameOnly) when only the
	// subject's display name attributes the item to them and the delete
	// lacks allowDisplayName: the item is not deleted, and its record says
	// so; reason says which rule matched.
	held string
}

// match applies the request's match rule to one item (its listed or
// fetched document). Under match "subject" an item belongs to the subject
// by the rules of "Who created an item" (see creatorOf): a known creator
// object id alone decides; else a user principal name in
// systemData.createdBy; else, only when the request names the subject's
// display name, that display name, which a delete acts on only with
// allowDisplayName. What a job produced (a model version's
// properties.jobName) belongs to the job's creator.
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
		a, err := r.attribution(ctx, ref, raw)
		if err != nil {
			return matched{}, err
		}
		switch {
		case a.Rule == ruleObjectID || a.Rule == ruleUPN:
			return matched{ok: true, reason: a.Why}, nil
		case a.Rule == ruleDisplayName && (r.req.Operation != dsr.Delete || r.req.AllowDisplayName):
			return matched{ok: true, reason: a.Why}, nil
		case a.Rule == ruleDisplayName:
			return matched{held: "DisplayNameOnly", reason: a.Why, descend: matchableChildren(k)}, nil
		}
	}
	return matched{descend: matchableChildren(k)}, nil
}

func matchableChildren(k *catalog.Kind) bool {
	for _, c := range k.Children {
		if catalog.CanMatch(catalog.Lookup(c)) {
			return true
		}
	}
	return false
}

// The rules of "Who created an item", strongest first.
const (
	ruleNone        = ""
	ruleObjectID    = "objectId"
	ruleUPN         = "userPrincipalName"
	ruleDisplayName = "displayName"
)

// verdict is what one rule says about an item: the rule that attributes
// it to the subject (ruleNone: not theirs) and why, for matchedBy.
type verdict struct {
	Rule string `json:"rule"`
	Why  string `json:"why,omitempty"`
}

// attribution decides whose an item is: its own creator, and for a model
// version also the creator of the job that produced it (the stronger of
// the two verdicts wins). A job's own verdict is kept as the request's
// attribution fact before its delete can start (see jobVerdict).
func (r *run) attribution(ctx context.Context, ref catalog.Ref, raw []byte) (verdict, error) {
	if ref.Kind.Name == "aml.job" {
		return r.jobVerdict(ctx, ref, raw)
	}
	own, err := r.creatorOf(ctx, ref, raw)
	if err != nil || own.Rule == ruleObjectID || own.Rule == ruleUPN {
		return own, err
	}
	job := jobNameOf(raw)
	if job == "" {
		return own, nil
	}
	produced, err := r.producedBy(ctx, ref, job)
	if err != nil {
		return verdict{}, err
	}
	if produced.Rule != ruleNone && (own.Rule == ruleNone || produced.Rule == ruleObjectID || produced.Rule == ruleUPN) {
		return produced, nil
	}
	return own, nil
}

// document is the part of an ARM document that says who created it.
type document struct {
	SystemData struct {
		CreatedBy, CreatedByType, CreatedByID string
	} `json:"systemData"`
	Properties struct {
		JobName        string `json:"jobName"`
		ExperimentName string `json:"experimentName"`
		Properties     struct {
			PersonalComputeInstanceSettings struct {
				AssignedUser struct{ ObjectID string } `json:"assignedUser"`
			} `json:"personalComputeInstanceSettings"`
			CreatedBy struct{ UserName, UserID string } `json:"createdBy"`
		} `json:"properties"`
	} `json:"properties"`
}

func eq(a, b string) bool { return a != "" && b != "" && strings.EqualFold(a, b) }

// creatorOf applies the rules to an item's own creator. Where the item's
// creator object id is known (a job's run history, a compute instance's
// assigned user or creator, a systemData that holds an object id), it
// alone decides, whatever systemData.createdBy says besides.
func (r *run) creatorOf(ctx context.Context, ref catalog.Ref, raw []byte) (verdict, error) {
	var d document
	s := r.req.Subject
	if s == nil || json.Unmarshal(raw, &d) != nil {
		return verdict{}, nil
	}
	if ref.Kind.Owner == catalog.ComputeUser {
		ci := d.Properties.Properties
		switch {
		case eq(ci.PersonalComputeInstanceSettings.AssignedUser.ObjectID, s.ObjectID):
			return verdict{ruleObjectID, "compute instance assigned to the subject (personalComputeInstanceSettings.assignedUser.objectId)"}, nil
		case eq(ci.CreatedBy.UserID, s.ObjectID):
			return verdict{ruleObjectID, "compute instance created by the subject (properties.createdBy.userId)"}, nil
		case eq(ci.CreatedBy.UserName, s.UserPrincipalName):
			return verdict{ruleUPN, "compute instance created by the subject (properties.createdBy.userName is their user principal name)"}, nil
		case s.ObjectID != "" && (ci.PersonalComputeInstanceSettings.AssignedUser.ObjectID != "" || ci.CreatedBy.UserID != ""):
			return verdict{}, nil // someone else's object id
		}
	}
	if ref.Kind.Name == "aml.job" {
		v, known, err := r.runCreator(ctx, ref, d.Properties.ExperimentName)
		if err != nil || known {
			return v, err
		}
	}
	return systemDataVerdict(d, s), nil
}

// systemDataVerdict applies the rules to systemData alone.
func systemDataVerdict(d document, s *dsr.Subject) verdict {
	sd := d.SystemData
	user := sd.CreatedByType == "" || strings.EqualFold(sd.CreatedByType, "User")
	switch {
	case user && s.ObjectID != "" && (catalog.ValidGUID(sd.CreatedByID) || catalog.ValidGUID(sd.CreatedBy)):
		if eq(sd.CreatedByID, s.ObjectID) || eq(sd.CreatedBy, s.ObjectID) {
			return verdict{ruleObjectID, "systemData names the subject's object id"}
		}
		return verdict{} // another object id decides
	case user && eq(sd.CreatedBy, s.UserPrincipalName):
		return verdict{ruleUPN, "systemData.createdBy is the subject's user principal name"}
	case user && eq(sd.CreatedBy, s.DisplayName):
		return verdict{ruleDisplayName, "systemData.createdBy is the subject's display name (subject.displayName; not an identity)"}
	}
	return verdict{}
}

func jobNameOf(raw []byte) string {
	var d document
	json.Unmarshal(raw, &d)
	return d.Properties.JobName
}

// hold records an item a delete leaves in place because only the
// subject's display name attributes it to them (m.held), and lists what
// below it may be theirs.
func (r *run) hold(ctx context.Context, ref catalog.Ref, m matched) ([]Step, error) {
	err := r.note(ctx, r.visit(KindDelete, ref, m.reason), dsr.Record{
		Outcome: dsr.Skipped, MatchedBy: m.reason, Error: &dsr.RecordError{Code: m.held, Message: heldMessage},
	})
	if err != nil || !m.descend {
		return nil, err
	}
	return r.childDiscoveries(ctx, ref, ref.Kind.Children, r.step.Loc)
}

const heldMessage = "not deleted: only its creator's display name is the subject's, and a display name is not an identity; " +
	`a delete acts on it only with "allowDisplayName": true`
