package dsr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// subject.displayName and allowDisplayName: a display name is accepted as
// a hint, and the opt-in needs match "subject" and a display name.
func TestDisplayNameFields(t *testing.T) {
	const subj = `"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","displayName":"Alice Example"}`
	req, err := Decode(strings.NewReader(`{"operation":"delete","targets":["` + rg + `"],"match":"subject",` + subj + `,"allowDisplayName":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Subject.DisplayName != "Alice Example" || !req.AllowDisplayName {
		t.Errorf("decoded %+v %+v", req, req.Subject)
	}
	for name, c := range map[string]struct{ body, field string }{
		"opt-in without a display name": {`{"operation":"delete","targets":["` + rg + `"],"match":"subject","subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},"allowDisplayName":true}`, "allowDisplayName"},
		"opt-in under match all":        {`{"operation":"delete","targets":["` + rg + `"],` + subj + `,"allowDisplayName":true}`, "allowDisplayName"},
		"control character":             {`{"operation":"export","targets":["` + rg + `"],"match":"subject","subject":{"displayName":"Alice\u0000"}}`, "subject.displayName"},
		"surrounding spaces":            {`{"operation":"export","targets":["` + rg + `"],"match":"subject","subject":{"displayName":" Alice"}}`, "subject.displayName"},
		"too long":                      {`{"operation":"export","targets":["` + rg + `"],"match":"subject","subject":{"displayName":"` + strings.Repeat("a", 257) + `"}}`, "subject.displayName"},
	} {
		_, err := Decode(strings.NewReader(c.body))
		var v ValidationError
		if !errors.As(err, &v) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want an error on %s", name, err, c.field)
		}
	}
	// A request without the new fields is stored as before, so a replay
	// of a request accepted earlier is still the same request.
	old := Request{RequestID: "r", Operation: Export, Targets: []string{rg}, Match: MatchSubject, Subject: &Subject{ObjectID: "x"}}
	if b, _ := json.Marshal(old); strings.Contains(string(b), "isplayName") {
		t.Errorf("new fields written when unset: %s", b)
	}
}
