package config

import (
	"strings"
	"testing"
)

// DSR_AML_ENDPOINT is the run history data plane: a {location} template,
// https://{location}.api.azureml.ms by default.
func TestAMLEndpoint(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.Endpoints.AML != "https://{location}.api.azureml.ms" {
		t.Fatalf("default: %q %v", c.Endpoints.AML, err)
	}
	c, err = Load(env(map[string]string{"DSR_AML_ENDPOINT": "https://127.0.0.1:8443/aml/{location}"}), nil)
	if err != nil || c.Endpoints.AML != "https://127.0.0.1:8443/aml/{location}" {
		t.Fatalf("set: %q %v", c.Endpoints.AML, err)
	}
	for _, bad := range []string{"https://api.azureml.ms", "http://{location}.api.azureml.ms"} {
		if _, err := Load(env(map[string]string{"DSR_AML_ENDPOINT": bad}), nil); err == nil || !strings.Contains(err.Error(), "DSR_AML_ENDPOINT") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
