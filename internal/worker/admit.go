package worker

import (
	"fmt"

	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// admit checks a decoded step against its request before anything runs:
// the request's mode, its dry run in every phase, a resource under one of
// its targets and under the allowed scopes, and the op key that the step's
// own resource derives. A step that does not fit is poison: a forged or
// corrupted message must not delete outside the request, under an export,
// or despite a dry run.
func (w *Worker) admit(req *dsr.AcceptedRequest, s *Step) error {
	poison := func(reason, format string, args ...any) error {
		return &PoisonError{Reason: reason, Description: fmt.Sprintf(format, args...), Step: s}
	}
	if s.Mode != req.Operation {
		return poison("ModeMismatch", "a %s step under a %s request", s.Mode, req.Operation)
	}
	if req.DryRun && (s.Kind == KindBarrier || s.Phase != PhaseStart) {
		return poison("DryRun", "a %s step in phase %q under a dry run, which deletes nothing", s.Kind, s.Phase)
	}
	if want := s.Key(); s.Op != want {
		return poison("OpKeyMismatch", "op key %q does not belong to %s %s (want %q)", s.Op, s.Res, s.Path, want)
	}
	ref, err := catalog.NewRef(s.Res, s.Path)
	if err != nil {
		return poison("InvalidStep", "%v", err)
	}
	scope := catalog.ScopeOf(ref)
	if scope == "" || !catalog.Under(scope, req.Targets) {
		return poison("OutsideTargets", "%s %s lies outside the request's targets", s.Res, s.Path)
	}
	if len(w.AllowedScopes) > 0 && !catalog.Under(scope, w.AllowedScopes) {
		return poison("OutsideAllowedScopes", "%s %s lies outside DSR_ALLOWED_SCOPES", s.Res, s.Path)
	}
	return nil
}
