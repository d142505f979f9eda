package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	const s = "/subscriptions/00000000-1111-2222-3333-444444444444"
	for _, c := range []struct {
		id, kind, path string
	}{
		{s, "arm.subscription", s},
		{s + "/resourceGroups/rg-1", "arm.resourcegroup", s + "/resourceGroups/rg-1"},
		{s + "/resourcegroups/rg-1", "arm.resourcegroup", s + "/resourceGroups/rg-1"},
		{s + "/resourceGroups/rg/providers/Microsoft.MachineLearningModelManagement/accounts/a", "mm.account", ""},
		{s + "/resourceGroups/rg/providers/microsoft.machinelearningexperimentation/ACCOUNTS/a/workspaces/w/projects/p(1)", "exp.project",
			s + "/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w/projects/p(1)"},
		{s + "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws", "aml.workspace", ""},
		{s + "/resourceGroups/rg/providers/Microsoft.MachineLearningCompute/operationalizationClusters/c", "mlc.cluster",
			s + "/resourcegroups/rg/providers/Microsoft.MachineLearningCompute/operationalizationClusters/c"},
	} {
		ref, err := ParseTarget(c.id)
		if err != nil {
			t.Errorf("%s: %v", c.id, err)
			continue
		}
		want := c.path
		if want == "" {
			want = c.id
		}
		if ref.Kind.Name != c.kind || ref.Path != want {
			t.Errorf("%s: got %s %s, want %s %s", c.id, ref.Kind.Name, ref.Path, c.kind, want)
		}
	}
}

func TestParseTargetRejects(t *testing.T) {
	const s = "/subscriptions/00000000-1111-2222-3333-444444444444"
	for _, id := range []string{
		"", "subscriptions/x", "https://management.azure.com" + s, s + "/",
		s + "//resourceGroups/rg", s + "/resourceGroups/rg/../x", s + "/resourceGroups/..",
		s + "/resourceGroups/rg%2F..%2Fother", s + "/resourceGroups/rg?api-version=1", s + "/resourceGroups/rg#x",
		s + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
		s + "/resourceGroups/rg/providers/Microsoft.MachineLearningModelManagement/accounts/a/extra",
		s + "/resourceGroups/rg./providers/Microsoft.MachineLearningModelManagement/accounts/a",
		s + "/resourceGroups/r g", s + "/resourceGroups/rg\x00", s + "/resourceGroups/" + strings.Repeat("a", 261),
		s + "/resourceGroups/rg\\..\\x", s + "/resourceGroups/évian",
	} {
		if ref, err := ParseTarget(id); err == nil {
			t.Errorf("%q: accepted as %s %s", id, ref.Kind.Name, ref.Path)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w")
	f.Add("/subscriptions/s/resourcegroups/rg")
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningCompute/operationalizationClusters/%2e%2e")
	f.Fuzz(func(t *testing.T, id string) {
		ref, err := ParseTarget(id)
		if err != nil {
			return
		}
		// Whatever is accepted builds only canonical, validated paths that
		// parse back to the same ref, and a URL on the configured host.
		again, err := NewRef(ref.Kind.Name, ref.Path)
		if err != nil || again.Path != ref.Path {
			t.Fatalf("%q: accepted as %s but does not round-trip: %v", id, ref.Path, err)
		}
		u, err := DefaultEndpoints().ItemURL(ref, "")
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if u.Host != "management.azure.com" || !DefaultEndpoints().Allowed(u) {
			t.Fatalf("%q: URL %s leaves the ARM host", id, u)
		}
		if strings.Contains(ref.Path, "..") && !strings.Contains(id, "..") {
			t.Fatalf("%q: path %s gained '..'", id, ref.Path)
		}
	})
}

func TestValidSegment(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"model-1", true}, {"run_12.3", true}, {"my model (v2)", true}, {"ünïcode", true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {`a\b`, false}, {"a%2Fb", false},
		{"a?b", false}, {"a#b", false}, {"a\nb", false}, {"a\x7fb", false}, {strings.Repeat("x", 261), false},
		{"\xff", false},
	} {
		if err := ValidSegment(c.s); (err == nil) != c.ok {
			t.Errorf("ValidSegment(%q) = %v, want ok=%v", c.s, err, c.ok)
		}
	}
}

func TestNormalizeLocation(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"eastus", "eastus"}, {"East US 2", "eastus2"}, {"East US 2 EUAP", "eastus2euap"},
		{"", ""}, {"e", ""}, {"evil.com/", ""}, {"eastus.evil", ""}, {"east-us", ""}, {"a:8080", ""},
		{strings.Repeat("a", 41), ""}, {"127.0.0.1", ""},
	} {
		got, err := NormalizeLocation(c.in)
		if c.out == "" {
			if err == nil {
				t.Errorf("NormalizeLocation(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.out {
			t.Errorf("NormalizeLocation(%q) = %q, %v; want %q", c.in, got, err, c.out)
		}
	}
}

func TestAllowed(t *testing.T) {
	sim := Endpoints{ARM: "https://127.0.0.1:8443/arm", ModelManagement: "https://127.0.0.1:8443/mm/{location}", Experiments: "https://127.0.0.1:8443/exp/{location}"}
	def := DefaultEndpoints()
	for _, c := range []struct {
		e   Endpoints
		url string
		ok  bool
	}{
		{def, "https://management.azure.com/subscriptions/x?api-version=1", true},
		{def, "https://MANAGEMENT.azure.com/subscriptions/x", true},
		{def, "https://eastus.modelmanagement.azureml.net/api/x", true},
		{def, "https://westeurope.experiments.azureml.net/history/v1.0/x", true},
		{def, "http://management.azure.com/subscriptions/x", false},
		{def, "https://management.azure.com.evil.com/x", false},
		{def, "https://user@management.azure.com/x", false},
		{def, "https://evil.com/x", false},
		{def, "https://a.b.modelmanagement.azureml.net/x", false},
		{def, "https://modelmanagement.azureml.net/x", false},
		{def, "https://eastus.modelmanagement.azureml.net.evil.com/x", false},
		{def, "https://management.azure.com:444/x", false},
		{sim, "https://127.0.0.1:8443/arm/subscriptions/x", true},
		{sim, "https://127.0.0.1:8443/mm/eastus/api/x", true},
		{sim, "https://127.0.0.1:8443/exp/eastus2/history/x", true},
		{sim, "https://127.0.0.1:8443/armx/subscriptions/x", false},
		{sim, "https://127.0.0.1:8443/msi/token", false},
		{sim, "https://127.0.0.1:8443/mm/East%20US/api/x", false},
		{sim, "https://127.0.0.1:8443/mm/../arm/x", false},
		{sim, "https://127.0.0.1:8443/content/x", false},
		{sim, "https://127.0.0.1:9999/arm/subscriptions/x", false},
	} {
		if got := c.e.Allowed(mustParse(t, c.url)); got != c.ok {
			t.Errorf("Allowed(%s) = %v, want %v", c.url, got, c.ok)
		}
	}
}

func TestEndpointsValidate(t *testing.T) {
	if err := DefaultEndpoints().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Endpoints{
		{ARM: "http://management.azure.com", ModelManagement: DefaultModelManagement, Experiments: DefaultExperiments},
		{ARM: DefaultARM, ModelManagement: "https://modelmanagement.azureml.net", Experiments: DefaultExperiments},
		{ARM: DefaultARM + "/{location}", ModelManagement: DefaultModelManagement, Experiments: DefaultExperiments},
		{ARM: DefaultARM + "?x=1", ModelManagement: DefaultModelManagement, Experiments: DefaultExperiments},
		{ARM: DefaultARM, ModelManagement: DefaultModelManagement, Experiments: "https://{location}.{location}.x"},
	} {
		if e.Validate() == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}

func TestItemRejectsARMIdOutsideCollection(t *testing.T) {
	rg, _ := ParseTarget("/subscriptions/s1/resourceGroups/rg-1")
	k := Lookup("exp.account")
	listPath, _ := rg.ListPath(k, nil)
	for _, id := range []string{
		"/subscriptions/s1/resourceGroups/rg-2/providers/Microsoft.MachineLearningExperimentation/accounts/a",
		"/subscriptions/s2/resourceGroups/rg-1/providers/Microsoft.MachineLearningExperimentation/accounts/a",
		"/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningExperimentation/accounts/..",
		"/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningModelManagement/accounts/a",
	} {
		raw, _ := json.Marshal(map[string]string{"id": id})
		if ref, err := Item(k, listPath, raw); err == nil {
			t.Errorf("%s accepted as %s", id, ref.Path)
		}
	}
	raw, _ := json.Marshal(map[string]string{"id": "/subscriptions/S1/resourcegroups/RG-1/providers/Microsoft.MachineLearningExperimentation/accounts/a"})
	ref, err := Item(k, listPath, raw)
	if err != nil || ref.Path != "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningExperimentation/accounts/a" {
		t.Errorf("case variant: %v %s", err, ref.Path)
	}
}

func TestTemplateEscapesValues(t *testing.T) {
	k := Lookup("exp.artifact")
	ref, err := NewRef(k.Name, "/artifact/v1.0/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w/projects/p/artifacts/contentinfo/ExperimentRun/run 1/outputs/my file#1.txt")
	if err == nil {
		t.Fatalf("'#' accepted in %s", ref.Path)
	}
	ref, err = NewRef(k.Name, "/artifact/v1.0/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w/projects/p/artifacts/contentinfo/ExperimentRun/run 1/outputs/my file.txt")
	if err != nil {
		t.Fatal(err)
	}
	u, err := DefaultEndpoints().ItemURL(ref, "eastus")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(u.String(), "/ExperimentRun/run%201/outputs/my%20file.txt") {
		t.Errorf("URL %s", u)
	}
	if _, err := DefaultEndpoints().ItemURL(ref, "evil.com"); err == nil {
		t.Error("location evil.com accepted")
	}
}
