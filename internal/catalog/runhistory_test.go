package catalog

import (
	"strings"
	"testing"
)

func TestRunURL(t *testing.T) {
	job, err := NewRef("aml.job", "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws/jobs/alice-train-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := DefaultEndpoints().RunURL(job, "alice-churn", "East US")
	if err != nil {
		t.Fatal(err)
	}
	want := "https://eastus.api.azureml.ms/history/v1.0/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/alice-churn/runs/alice-train-1"
	if u.String() != want {
		t.Errorf("RunURL = %s, want %s", u, want)
	}
	if !DefaultEndpoints().Allowed(u) {
		t.Errorf("%s is not allowed to carry the token", u)
	}
	sim := Endpoints{ARM: "https://127.0.0.1:8443/arm", ModelManagement: "https://127.0.0.1:8443/mm/{location}",
		Experiments: "https://127.0.0.1:8443/exp/{location}", AML: "https://127.0.0.1:8443/aml/{location}"}
	if u, err := sim.RunURL(job, "alice-churn", "eastus"); err != nil || !strings.HasPrefix(u.String(), "https://127.0.0.1:8443/aml/eastus/history/v1.0/subscriptions/s1/") || !sim.Allowed(u) {
		t.Errorf("simulator: %v %v", u, err)
	}
	for name, bad := range map[string]func() error{
		"experiment with a slash": func() error { _, err := DefaultEndpoints().RunURL(job, "a/b", "eastus"); return err },
		"experiment ..":           func() error { _, err := DefaultEndpoints().RunURL(job, "..", "eastus"); return err },
		"bad location":            func() error { _, err := DefaultEndpoints().RunURL(job, "x", "evil.com/"); return err },
		"no location":             func() error { _, err := DefaultEndpoints().RunURL(job, "x", ""); return err },
		"not configured": func() error {
			e := DefaultEndpoints()
			e.AML = ""
			_, err := e.RunURL(job, "x", "eastus")
			return err
		},
	} {
		if bad() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAMLEndpointAllowed(t *testing.T) {
	def := DefaultEndpoints()
	for url, ok := range map[string]bool{
		"https://eastus.api.azureml.ms/history/v1.0/x":           true,
		"https://api.azureml.ms/history/v1.0/x":                  false,
		"https://eastus.api.azureml.ms.evil.com/history/v1.0/x":  false,
		"http://eastus.api.azureml.ms/history/v1.0/x":            false,
		"https://a.b.api.azureml.ms/history/v1.0/x":              false,
		"https://eastus.api.azureml.ms:8443/history/v1.0/x":      false,
		"https://user@eastus.api.azureml.ms/history/v1.0/x":      false,
		"https://westeurope.api.azureml.ms/mlflow/v1.0/anything": true,
	} {
		if got := def.Allowed(mustParse(t, url)); got != ok {
			t.Errorf("Allowed(%s) = %v, want %v", url, got, ok)
		}
	}
	none := def
	none.AML = ""
	if none.Allowed(mustParse(t, "https://eastus.api.azureml.ms/history/v1.0/x")) {
		t.Error("an unconfigured AML endpoint allows its default host")
	}
	for _, bad := range []string{"https://api.azureml.ms", "http://{location}.api.azureml.ms", "https://{location}.{location}.api.azureml.ms"} {
		e := def
		e.AML = bad
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "DSR_AML_ENDPOINT") {
			t.Errorf("DSR_AML_ENDPOINT=%s: %v", bad, err)
		}
	}
}
