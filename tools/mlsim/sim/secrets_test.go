package sim

import (
	"regexp"
	"strings"
	"testing"
)

var plantedRE = regexp.MustCompile(PlantedPrefix + `[a-z.]+-[0-9]+\.[0-9]+`)

// With PlantSecrets every document of every kind holds planted
// credentials, each value distinct, in every kind the seeded data set
// holds; the rendered kinds carry SAS signatures; without it no document
// holds one.
func TestPlantSecrets(t *testing.T) {
	s := New(Options{Seed: 1, PlantSecrets: true})
	seen := map[string]string{}
	kinds := map[string]bool{}
	for _, r := range s.Resources("https://sim", "", false) {
		doc := string(r.Document)
		if r.Kind == KindArtifact || r.Kind == KindArtifactURI {
			if !strings.Contains(doc, "?sig=") {
				t.Errorf("%s %s: no SAS signature: %s", r.Kind, r.Path, doc)
			}
			kinds[r.Kind] = true
			continue
		}
		values := plantedRE.FindAllString(doc, -1)
		if len(values) < 14 {
			t.Errorf("%s %s: %d planted values", r.Kind, r.Path, len(values))
		}
		for _, v := range values {
			if prev, dup := seen[v]; dup {
				t.Errorf("%s planted twice: %s and %s", v, prev, r.Path)
			}
			seen[v] = r.Path
		}
		kinds[r.Kind] = true
	}
	for _, r := range New(Options{Seed: 1}).Resources("https://sim", "", false) {
		if !kinds[r.Kind] {
			t.Errorf("no %s with planted secrets", r.Kind)
		}
		if strings.Contains(string(r.Document), PlantedPrefix) {
			t.Fatalf("%s holds a planted secret without PlantSecrets", r.Path)
		}
	}
	for _, c := range []struct{ kind, want string }{
		{KindExpAccount, `"accessKey":"planted-secret-exp.account-1.1"`},
		{KindAMLDatastore, `"secrets":{"key":"planted-secret-aml.datastore-`},
	} {
		if doc := string(s.Resources("https://sim", c.kind, false)[0].Document); !strings.Contains(doc, c.want) {
			t.Errorf("%s: %s lacks %s", c.kind, doc, c.want)
		}
	}
}
