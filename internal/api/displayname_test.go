package api_test

import "testing"

// The display-name opt-in is validated at submit (400 naming the field)
// and, when valid, accepted and shown in the status document.
func TestSubmitDisplayName(t *testing.T) {
	const ws = rg + "/providers/Microsoft.MachineLearningServices/workspaces/ws"
	for _, c := range []struct {
		name, body, field string
		status            int
	}{
		{"opt-in without a display name", `{"operation":"delete","targets":["` + ws + `"],"match":"subject","subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},"allowDisplayName":true}`, "allowDisplayName", 400},
		{"bad display name", `{"operation":"export","targets":["` + ws + `"],"match":"subject","subject":{"displayName":"Alice\n"}}`, "subject.displayName", 400},
		{"opt-in", `{"operation":"delete","targets":["` + ws + `"],"match":"subject","subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","displayName":"Alice Example"},"allowDisplayName":true}`, "", 202},
	} {
		b := setup(t)
		resp, doc := b.post(t, c.body, "application/json", "")
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, resp.StatusCode, c.status, doc)
			continue
		}
		if c.field != "" && !hasField(doc, c.field) {
			t.Errorf("%s: no error for %q in %v", c.name, c.field, doc["errors"])
		}
		if c.status == 202 {
			if s, _ := doc["subject"].(map[string]any); s["displayName"] != "Alice Example" {
				t.Errorf("%s: status document %v", c.name, doc)
			}
		}
	}
}
