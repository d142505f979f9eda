package dsr

import (
	"errors"
	"strings"
	"testing"
)

const rg = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-1"

func TestDecodeAppliesDefaults(t *testing.T) {
	req, err := Decode(strings.NewReader(`{"operation":"delete","targets":["` + rg + `"],"subject":{"objectId":"AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Match != MatchAll || req.RequestID != "" || req.DryRun {
		t.Errorf("defaults: %+v", req)
	}
	if id := req.WithDefaults().RequestID; !ValidRequestID(id) || len(id) != 36 {
		t.Errorf("generated id %q", id)
	}
	if a, b := req.WithDefaults().RequestID, req.WithDefaults().RequestID; a == b {
		t.Error("two generated ids are equal")
	}
}

func TestDecodeCollectsEveryFieldError(t *testing.T) {
	_, err := Decode(strings.NewReader(`{"requestId":"-x","operation":"nope","targets":["/x"],"subject":{"objectId":"1"},"match":"who"}`))
	var v ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("%v", err)
	}
	want := map[string]bool{"requestId": true, "operation": true, "targets[0]": true, "subject.objectId": true, "match": true}
	for _, f := range v {
		delete(want, f.Field)
	}
	if len(want) > 0 {
		t.Errorf("no error for %v in %v", want, v)
	}
}

func TestSame(t *testing.T) {
	a := Request{RequestID: "r", Operation: Export, Targets: []string{rg}, Match: MatchAll}
	b := a
	b.Targets = []string{rg}
	if !a.Same(b) {
		t.Error("equal requests differ")
	}
	b.DryRun = true
	if a.Same(b) {
		t.Error("different requests are the same")
	}
}

func TestOpKey(t *testing.T) {
	arm := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a"
	if OpKey(StepExport, "exp.account", arm, 0) != OpKey(StepExport, "exp.account", strings.ToUpper(arm), 0) {
		t.Error("ARM op keys depend on case; ARM names do not")
	}
	a := OpKey(StepExport, "mm.model", "/api/x/models/m1", 0)
	if a == OpKey(StepExport, "mm.model", "/api/x/models/M1", 0) {
		t.Error("data-plane ids that differ in case share an op key")
	}
	for _, b := range []string{
		OpKey(StepDelete, "mm.model", "/api/x/models/m1", 0),
		OpKey(StepExport, "mm.model", "/api/x/models/m2", 0),
		OpKey(StepExport, "mm.model", "/api/x/models/m1", 1),
	} {
		if a == b {
			t.Errorf("collision: %s", a)
		}
	}
	if !strings.HasPrefix(a, "export.mm.model.") || ValidRequestID(a) == false {
		t.Errorf("key %q is not a readable blob name", a)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"operation":"export","targets":["` + rg + `"]}`)
	f.Add(`{"operation":"delete","targets":["` + rg + `/providers/Microsoft.MachineLearningExperimentation/accounts/a"],"dryRun":true,"match":"subject","subject":{"userPrincipalName":"a@b.c"}}`)
	f.Add(`{"requestId":"x","operation":"export","targets":[],"subject":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := Decode(strings.NewReader(body))
		if err != nil {
			return
		}
		// Whatever is accepted is valid again, and complete.
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted %q but Validate says %v", body, err)
		}
		if len(req.Targets) == 0 || len(req.Targets) > MaxTargets || (req.Operation != Export && req.Operation != Delete) {
			t.Fatalf("accepted an incomplete request %+v", req)
		}
	})
}
