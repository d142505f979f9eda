package redact

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"amldsr/internal/testenv"
)

// TestEverySpecSecretIsRemoved reads every property the official specs in
// ../shared/azure-specs mark x-ms-secret, places it where the specs put it
// (under each property name that refers to its definition, or to a
// definition it extends), and checks the rules remove it. A property the
// specs add later fails here until the rules cover it.
func TestEverySpecSecretIsRemoved(t *testing.T) {
	secrets := specSecrets(t)
	if len(secrets) < 20 {
		t.Fatalf("only %d x-ms-secret properties found in the specs", len(secrets))
	}
	for _, s := range secrets {
		parents := s.parents
		if len(parents) == 0 {
			parents = []string{""} // a response of its own (listKeys)
		}
		for _, parent := range parents {
			var doc any = map[string]any{s.prop: "planted-secret-spec", "unrelated": "kept"}
			if parent != "" {
				doc = map[string]any{parent: doc}
			}
			in, _ := json.Marshal(map[string]any{"properties": doc})
			out, paths, err := Document(in)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "planted-secret-spec") || !strings.Contains(string(out), "kept") || len(paths) != 1 {
				t.Errorf("%s.%s under %q: %s, removed %q", s.def, s.prop, parent, out, paths)
			}
		}
	}
	t.Logf("%d x-ms-secret properties of the specs, each removed where the specs place it", len(secrets))
}

type specSecret struct {
	def, prop string
	parents   []string // property names whose schema is def or a base of def
}

// specSecrets reads the x-ms-secret properties of every spec's definitions.
func specSecrets(t *testing.T) []specSecret {
	var out []specSecret
	files, _ := filepath.Glob(filepath.Join(specsDir(t), "*", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Definitions map[string]schema `json:"definitions"`
		}
		if json.Unmarshal(b, &spec) != nil {
			continue // examples and indexes
		}
		refs := referrers(spec.Definitions)
		for def, s := range spec.Definitions {
			for prop, p := range s.Properties {
				if p.Secret {
					out = append(out, specSecret{def, prop, parentNames(spec.Definitions, refs, def)})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].def+out[i].prop < out[j].def+out[j].prop })
	return out
}

type schema struct {
	Properties           map[string]schema `json:"properties"`
	Ref                  string            `json:"$ref"`
	Items                *schema           `json:"items"`
	AdditionalProperties json.RawMessage   `json:"additionalProperties"`
	AllOf                []schema          `json:"allOf"`
	Secret               bool              `json:"x-ms-secret"`
}

// target is the definition a schema refers to (directly, or as the items
// of an array or the values of a map).
func (s schema) target() string {
	ref := s.Ref
	if s.Items != nil {
		ref = s.Items.Ref
	}
	var ap schema
	if ref == "" && json.Unmarshal(s.AdditionalProperties, &ap) == nil {
		ref = ap.Ref
	}
	_, name, _ := strings.Cut(ref, "#/definitions/")
	return name
}

// referrers maps a definition to the property names that refer to it,
// inline schemas included.
func referrers(defs map[string]schema) map[string][]string {
	refs := map[string][]string{}
	var walk func(s schema)
	walk = func(s schema) {
		for prop, p := range s.Properties {
			if name := p.target(); name != "" {
				refs[name] = append(refs[name], prop)
			}
			walk(p)
		}
		if s.Items != nil {
			walk(*s.Items)
		}
		for _, a := range s.AllOf {
			walk(a)
		}
	}
	for _, d := range defs {
		walk(d)
	}
	return refs
}

// parentNames are the names under which def's properties appear: those
// that refer to def, to a definition that extends it (and so inherits the
// property), or to a definition it extends (a polymorphic property).
func parentNames(defs map[string]schema, refs map[string][]string, def string) []string {
	derived := map[string][]string{}
	for name, d := range defs {
		for _, base := range d.AllOf {
			if b := base.target(); b != "" {
				derived[b] = append(derived[b], name)
			}
		}
	}
	var names []string
	var up func(d string)
	up = func(d string) {
		names = append(names, refs[d]...)
		for _, base := range defs[d].AllOf {
			if b := base.target(); b != "" && b != d {
				up(b)
			}
		}
	}
	seen := map[string]bool{}
	var down func(d string)
	down = func(d string) {
		if seen[d] {
			return
		}
		seen[d] = true
		up(d)
		for _, x := range derived[d] {
			down(x)
		}
	}
	down(def)
	sort.Strings(names)
	return slices.Compact(names)
}

// specsDir returns ../shared/azure-specs, or skips the test.
func specsDir(t *testing.T) string {
	return testenv.SpecsDir(t, "the x-ms-secret coverage check")
}

// TestOfficialExamples: the official examples' GET responses that carry
// credentials (an experimentation account's storage key, an
// operationalization cluster's service principal secret, App Insights key
// and TLS key, a Kubernetes compute's connection strings, a datastore's
// secrets) lose exactly those, and no other example loses anything.
func TestOfficialExamples(t *testing.T) {
	want := map[string][]string{
		"machinelearningexperimentation-2017-05-01-preview/GetAccount.json": {"properties.storageAccount.accessKey"},
		"machinelearningcompute-2017-06-01-preview/OperationalizationClusters_Get.json": {
			"properties.containerService.orchestratorProperties.servicePrincipal.secret", "properties.appInsights.apiKey",
			"properties.globalServiceConfiguration.ssl.cert", "properties.globalServiceConfiguration.ssl.key"},
		"machinelearningcompute-2017-08-01-preview/OperationalizationClusters_Get.json": {
			"properties.containerService.orchestratorProperties.servicePrincipal.secret",
			"properties.globalServiceConfiguration.ssl.cert", "properties.globalServiceConfiguration.ssl.key"},
		"machinelearningservices-2024-04-01/examples/Compute/get/KubernetesCompute.json": {
			"properties.properties.relayConnectionString", "properties.properties.serviceBusConnectionString"},
		"machinelearningservices-2024-04-01/examples/Datastore/get.json": {"properties.credentials.secrets"},
	}
	dir := specsDir(t)
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".json" || strings.Contains(p, "unreferenced") || strings.Contains(filepath.Base(p), "List") || filepath.Base(p) == "list.json" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var ex struct {
			Responses map[string]struct{ Body json.RawMessage } `json:"responses"`
		}
		if json.Unmarshal(b, &ex) != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		for status, r := range ex.Responses {
			if len(r.Body) == 0 {
				continue
			}
			_, paths, err := Document(r.Body)
			if err != nil {
				t.Errorf("%s %s: %v", rel, status, err)
			}
			if !slices.Equal(paths, want[rel]) {
				t.Errorf("%s %s: removed %q, want %q", rel, status, paths, want[rel])
			}
			if want[rel] != nil {
				seen++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("%d of the %d examples with credentials were found", seen, len(want))
	}
}
