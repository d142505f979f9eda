package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != Local || c.Listen != "127.0.0.1:7071" || c.Queue != "dsr-work" || c.DataDir != "./.dsr-data" || c.Container != "dsr" ||
		c.Endpoints.ARM != "https://management.azure.com" || c.TokenScope != "https://management.core.windows.net//.default" ||
		c.RedriveAfter != 30*time.Minute || c.SweepSchedule != "0 */5 * * * *" {
		t.Fatalf("%+v", c)
	}
}

func TestModes(t *testing.T) {
	sb := map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "ns.servicebus.windows.net", "DSR_STORAGE_URL": "https://a.blob.core.windows.net"}
	sb["FUNCTIONS_CUSTOMHANDLER_PORT"] = "40123"
	sb["WEBSITE_HOSTNAME"] = "app.azurewebsites.net"
	if c, err := Load(env(sb), nil); err != nil || c.Mode != Functions {
		t.Fatalf("functions: %v %v", c.Mode, err)
	}
	delete(sb, "FUNCTIONS_CUSTOMHANDLER_PORT")
	delete(sb, "WEBSITE_HOSTNAME")
	if c, err := Load(env(sb), []string{"worker"}); err != nil || c.Mode != Worker {
		t.Fatalf("worker: %v %v", c.Mode, err)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for name, kv := range map[string]map[string]string{
		"DSR_ARM_ENDPOINT":             {"DSR_ARM_ENDPOINT": "http://management.azure.com"},
		"DSR_MODELMANAGEMENT_ENDPOINT": {"DSR_MODELMANAGEMENT_ENDPOINT": "https://mm.example"},
		"FUNCTIONS_CUSTOMHANDLER_PORT": {"FUNCTIONS_CUSTOMHANDLER_PORT": "http"},
		"DSR_LISTEN":                   {"DSR_LISTEN": "7071"},
		"DSR_CONCURRENCY":              {"DSR_CONCURRENCY": "0"},
		"DSR_REDRIVE_AFTER":            {"DSR_REDRIVE_AFTER": "soon"},
		"DSR_TOKEN_SCOPE":              {"DSR_TOKEN_SCOPE": "https://management.azure.com/"},
		"DSR_ALLOWED_SCOPES":           {"DSR_ALLOWED_SCOPES": "/subscriptions/s,rg"},
		"DSR_CONTAINER":                {"DSR_CONTAINER": "DSR"},
		"DSR_LOG_LEVEL":                {"DSR_LOG_LEVEL": "loud"},
		"DSR_STORAGE_URL":              {"DSR_STORAGE_URL": "https://a", "DSR_STORAGE_CONNECTION_STRING": "x"},
		"ServiceBusConnection":         {"ServiceBusConnection": "x", "ServiceBusConnection__fullyQualifiedNamespace": "y"},
		"arguments":                    {"": ""},
	} {
		args := []string(nil)
		if name == "arguments" {
			args = []string{"serve"}
		}
		_, err := Load(env(kv), args)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := Load(env(map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "40123"}), nil)
	if err == nil || !strings.Contains(err.Error(), "Service Bus") {
		t.Errorf("functions mode without Service Bus: %v", err)
	}
}

func TestMaxStepsPerRequest(t *testing.T) {
	if c, err := Load(env(nil), nil); err != nil || c.MaxStepsPerRequest != 1_000_000 {
		t.Fatalf("default %d %v", c.MaxStepsPerRequest, err)
	}
	if c, err := Load(env(map[string]string{"DSR_MAX_STEPS_PER_REQUEST": "5000"}), nil); err != nil || c.MaxStepsPerRequest != 5000 {
		t.Fatalf("5000: %d %v", c.MaxStepsPerRequest, err)
	}
	for _, v := range []string{"0", "-1", "lots", "1e6"} {
		if _, err := Load(env(map[string]string{"DSR_MAX_STEPS_PER_REQUEST": v}), nil); err == nil || !strings.Contains(err.Error(), "DSR_MAX_STEPS_PER_REQUEST") {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestContentSettings(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.MaxContentBytes != 5<<30 || c.ContentAllowPrivate {
		t.Fatalf("defaults: %d %v %v", c.MaxContentBytes, c.ContentAllowPrivate, err)
	}
	c, err = Load(env(map[string]string{"DSR_MAX_CONTENT_BYTES": "1048576", "DSR_CONTENT_ALLOW_PRIVATE": "true"}), nil)
	if err != nil || c.MaxContentBytes != 1<<20 || !c.ContentAllowPrivate {
		t.Fatalf("set: %d %v %v", c.MaxContentBytes, c.ContentAllowPrivate, err)
	}
	for name, v := range map[string]string{"DSR_MAX_CONTENT_BYTES": "0", "DSR_CONTENT_ALLOW_PRIVATE": "sure"} {
		if _, err := Load(env(map[string]string{name: v}), nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
	if _, err := Load(env(map[string]string{"DSR_MAX_CONTENT_BYTES": "5GiB"}), nil); err == nil {
		t.Error("DSR_MAX_CONTENT_BYTES=5GiB accepted")
	}
}

func TestOutageSettings(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.OutageHold != 5*time.Minute || c.GiveUpAfter != 24*time.Hour {
		t.Fatalf("defaults: %v %v %v", c.OutageHold, c.GiveUpAfter, err)
	}
	c, err = Load(env(map[string]string{"DSR_OUTAGE_HOLD": "90s", "DSR_GIVE_UP_AFTER": "2h"}), nil)
	if err != nil || c.OutageHold != 90*time.Second || c.GiveUpAfter != 2*time.Hour {
		t.Fatalf("set: %v %v %v", c.OutageHold, c.GiveUpAfter, err)
	}
	if _, err := Load(env(map[string]string{"DSR_OUTAGE_HOLD": "soon"}), nil); err == nil || !strings.Contains(err.Error(), "DSR_OUTAGE_HOLD") {
		t.Fatalf("bad value: %v", err)
	}
}

func TestCallbackSettings(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || len(c.CallbackHosts) != 0 || c.CallbackSecret != "" {
		t.Fatalf("defaults: %v %q %v", c.CallbackHosts, c.CallbackSecret, err)
	}
	c, err = Load(env(map[string]string{"DSR_CALLBACK_HOSTS": "prod-12.westeurope.logic.azure.com, hooks.example.com", "DSR_CALLBACK_SECRET": "k"}), nil)
	if err != nil || len(c.CallbackHosts) != 2 || c.CallbackHosts[1] != "hooks.example.com" || c.CallbackSecret != "k" {
		t.Fatalf("set: %q %q %v", c.CallbackHosts, c.CallbackSecret, err)
	}
}
