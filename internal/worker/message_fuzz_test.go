package worker

import (
	"encoding/json"
	"errors"
	"testing"

	"amldsr/internal/dsr"
)

// FuzzDecodeMessage: any body either decodes into a valid step or is a
// *PoisonError; a decoded step encodes and decodes to the same step, with
// the same message id, and its op key is derived from its own resource.
func FuzzDecodeMessage(f *testing.F) {
	seed := Step{V: Version, Kind: KindDelete, RequestID: "r1", Mode: dsr.Delete, Res: "exp.account", Path: accPath, Phase: PhasePoll, Token: "t"}
	seed.Op = seed.Key()
	b, _ := json.Marshal(seed)
	f.Add(b)
	disc := Step{V: Version, Kind: KindDiscover, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Child: "exp.project", Page: 2, Link: "https://x/y?$skiptoken=2"}
	disc.Op = disc.Key()
	b, _ = json.Marshal(disc)
	f.Add(b)
	for _, s := range []string{"", "null", "{}", `{"v":1}`, `{"v":1,"kind":"barrier","requestId":"r","op":"x","mode":"delete","res":"arm.subscription","path":"/subscriptions/s"}`,
		`{"v":1,"kind":"export","requestId":"r","op":"x","mode":"export","res":"exp.account","path":"/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningExperimentation/accounts/a/../b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Decode(body)
		if err != nil {
			var p *PoisonError
			if !errors.As(err, &p) {
				t.Fatalf("error %v is not a PoisonError", err)
			}
			return
		}
		again, err := Decode(s.Message().Body)
		if err != nil {
			t.Fatalf("a decoded step does not decode again: %v", err)
		}
		if again.MessageID() != s.MessageID() {
			t.Fatalf("message id changed across an encode/decode: %s vs %s", again.MessageID(), s.MessageID())
		}
		if s.Key() == "" {
			t.Fatal("empty op key")
		}
	})
}
