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

// A key that appears twice in one object, or that differs only in case
// from another key or from the field's name, is a field error: encoding/json
// would match it case-insensitively and let the last one win.
func TestDecodeRejectsDuplicateAndCaseVariantKeys(t *testing.T) {
	tg := `"targets":["` + rg + `"]`
	for _, c := range []struct{ name, body, field string }{
		{"dryRun then DRYRUN", `{"operation":"delete",` + tg + `,"dryRun":true,"DRYRUN":false}`, "DRYRUN"},
		{"dryRun twice", `{"operation":"delete",` + tg + `,"dryRun":true,"dryRun":false}`, "dryRun"},
		{"case variant alone", `{"operation":"delete",` + tg + `,"DryRun":true}`, "DryRun"},
		{"operation twice", `{"operation":"export",` + tg + `,"operation":"delete"}`, "operation"},
		{"targets twice", `{"operation":"export",` + tg + `,` + tg + `}`, "targets"},
		{"subject key twice", `{"operation":"export",` + tg + `,"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","objectId":"aaaaaaaa-bbbb-cccc-dddd-ffffffffffff"}}`, "subject.objectId"},
		{"subject case variant", `{"operation":"export",` + tg + `,"subject":{"userPrincipalName":"a@b.c","USERPRINCIPALNAME":"x@b.c"}}`, "subject.USERPRINCIPALNAME"},
		{"subject twice", `{"operation":"export",` + tg + `,"subject":{},"Subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}`, "Subject"},
		{"inside an unknown value", `{"operation":"export",` + tg + `,"x":{"a":1,"A":2}}`, "x.A"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.body))
			var v ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("accepted (err %v)", err)
			}
			found := false
			for _, f := range v {
				found = found || f.Field == c.field
			}
			if !found {
				t.Errorf("errors %v, want one for %q", v, c.field)
			}
		})
	}
	// Keys spelled as the contract spells them still decode.
	req, err := Decode(strings.NewReader(`{"operation":"delete",` + tg + `,"dryRun":true,"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}`))
	if err != nil || !req.DryRun {
		t.Fatalf("%+v %v", req, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"operation":"export","targets":["` + rg + `"]}`)
	f.Add(`{"operation":"delete","targets":["` + rg + `/providers/Microsoft.MachineLearningExperimentation/accounts/a"],"dryRun":true,"match":"subject","subject":{"userPrincipalName":"a@b.c"}}`)
	f.Add(`{"requestId":"x","operation":"export","targets":[],"subject":null}`)
	f.Add(`{"operation":"delete","targets":["` + rg + `"],"dryRun":true,"DRYRUN":false}`)
	f.Add(`{"operation":"export","targets":["` + rg + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","OBJECTID":"aaaaaaaa-bbbb-cccc-dddd-ffffffffffff"}}`)
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
		// What is accepted has no key that another key shadows.
		if err := scanKeys([]byte(body), requestType); err != nil {
			t.Fatalf("accepted %q with %v", body, err)
		}
	})
}
