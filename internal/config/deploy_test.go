package config

import (
	"maps"
	"strings"
	"testing"
)

// functionsEnv is the least a Functions app needs besides its public URL.
func functionsEnv(extra map[string]string) map[string]string {
	kv := map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "40123",
		"ServiceBusConnection__fullyQualifiedNamespace": "ns.servicebus.windows.net", "DSR_STORAGE_URL": "https://a.blob.core.windows.net"}
	maps.Copy(kv, extra)
	return kv
}

// In Functions mode links are absolute https: from DSR_PUBLIC_URL, else
// https://$WEBSITE_HOSTNAME; with neither, start-up stops naming both.
// Local and worker mode keep deriving links from the request.
func TestPublicURL(t *testing.T) {
	for _, c := range []struct {
		name string
		kv   map[string]string
		args []string
		want string // PublicURL; "!" + text: an error containing text
	}{
		{"functions: WEBSITE_HOSTNAME", functionsEnv(map[string]string{"WEBSITE_HOSTNAME": "dsr-app.azurewebsites.net"}), nil, "https://dsr-app.azurewebsites.net"},
		{"functions: DSR_PUBLIC_URL wins", functionsEnv(map[string]string{"WEBSITE_HOSTNAME": "dsr-app.azurewebsites.net", "DSR_PUBLIC_URL": "https://dsr.contoso.com/"}), nil, "https://dsr.contoso.com/"},
		{"functions: DSR_PUBLIC_URL behind a gateway path", functionsEnv(map[string]string{"DSR_PUBLIC_URL": "https://apim.contoso.com/amldsr"}), nil, "https://apim.contoso.com/amldsr"},
		{"functions: neither", functionsEnv(nil), nil, "!DSR_PUBLIC_URL or WEBSITE_HOSTNAME"},
		{"functions: http public URL", functionsEnv(map[string]string{"DSR_PUBLIC_URL": "http://dsr.contoso.com"}), nil, "!DSR_PUBLIC_URL"},
		{"functions: http on loopback (the test host)", functionsEnv(map[string]string{"DSR_PUBLIC_URL": "http://127.0.0.1:7072"}), nil, "http://127.0.0.1:7072"},
		{"functions: WEBSITE_HOSTNAME with a scheme", functionsEnv(map[string]string{"WEBSITE_HOSTNAME": "https://x.azurewebsites.net"}), nil, "!WEBSITE_HOSTNAME"},
		{"local: from the request", map[string]string{"WEBSITE_HOSTNAME": "ignored.example"}, nil, ""},
		{"local: DSR_PUBLIC_URL http", map[string]string{"DSR_PUBLIC_URL": "http://box.lan:7071"}, nil, "http://box.lan:7071"},
		{"worker: unchanged", map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "ns.servicebus.windows.net", "DSR_STORAGE_URL": "https://a.blob.core.windows.net"}, []string{"worker"}, ""},
	} {
		cfg, err := Load(env(c.kv), c.args)
		if text, ok := strings.CutPrefix(c.want, "!"); ok {
			if err == nil || !strings.Contains(err.Error(), text) {
				t.Errorf("%s: error %v, want one naming %s", c.name, err, text)
			}
			continue
		}
		if err != nil || cfg.PublicURL != c.want {
			t.Errorf("%s: PublicURL %q, error %v; want %q", c.name, cfg.PublicURL, err, c.want)
		}
	}
}

// Identity-only settings: the Service Bus trigger's identity settings
// serve the handler's own client too; the host's storage may be named by
// account or service URI (the handler only accepts and checks it).
func TestIdentitySettings(t *testing.T) {
	ns := map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "ns.servicebus.windows.net", "DSR_STORAGE_URL": "https://a.blob.core.windows.net"}
	with := func(extra map[string]string) map[string]string { kv := maps.Clone(ns); maps.Copy(kv, extra); return kv }
	for _, c := range []struct {
		name  string
		kv    map[string]string
		check func(Config) bool
		err   string // text the error must contain; empty: no error
	}{
		{"system-assigned everywhere", ns, func(c Config) bool { return c.ClientID == "" && c.ServiceBusClientID == "" }, ""},
		{"AZURE_CLIENT_ID serves Service Bus too", with(map[string]string{"AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111"}),
			func(c Config) bool { return c.ServiceBusClientID == "11111111-1111-1111-1111-111111111111" }, ""},
		{"the trigger's clientId wins for Service Bus", with(map[string]string{"AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111",
			"ServiceBusConnection__credential": "managedidentity", "ServiceBusConnection__clientId": "22222222-2222-2222-2222-222222222222"}),
			func(c Config) bool {
				return c.ServiceBusClientID == "22222222-2222-2222-2222-222222222222" && c.ClientID == "11111111-1111-1111-1111-111111111111"
			}, ""},
		{"credential any case", with(map[string]string{"ServiceBusConnection__credential": "ManagedIdentity"}),
			func(c Config) bool { return c.ServiceBusCredential == "managedidentity" }, ""},
		{"clientId without credential", with(map[string]string{"ServiceBusConnection__clientId": "22222222-2222-2222-2222-222222222222"}), nil,
			"ServiceBusConnection__credential"},
		{"unknown credential", with(map[string]string{"ServiceBusConnection__credential": "clientsecret"}), nil, "ServiceBusConnection__credential"},
		{"clientId not a GUID", with(map[string]string{"ServiceBusConnection__credential": "managedidentity", "ServiceBusConnection__clientId": "my-identity"}), nil,
			"ServiceBusConnection__clientId"},
		{"AZURE_CLIENT_ID not a GUID", with(map[string]string{"AZURE_CLIENT_ID": "my-identity"}), nil, "AZURE_CLIENT_ID"},
		{"namespace with a scheme", with(map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "sb://ns.servicebus.windows.net/"}), nil,
			"ServiceBusConnection__fullyQualifiedNamespace"},
		{"host storage by account", with(map[string]string{"AzureWebJobsStorage__accountName": "dsrhost01"}),
			func(c Config) bool { return c.HostStorage == "https://dsrhost01.blob.core.windows.net" }, ""},
		{"host storage by blob service URI", with(map[string]string{"AzureWebJobsStorage__blobServiceUri": "https://dsrhost01.blob.core.windows.net"}),
			func(c Config) bool { return c.HostStorage == "https://dsrhost01.blob.core.windows.net" }, ""},
		{"host storage account name bad", with(map[string]string{"AzureWebJobsStorage__accountName": "DSR_host"}), nil, "AzureWebJobsStorage__accountName"},
		{"host storage URI not https", with(map[string]string{"AzureWebJobsStorage__blobServiceUri": "http://dsrhost01.blob.core.windows.net"}), nil,
			"AzureWebJobsStorage__blobServiceUri"},
		{"results storage URL not https", with(map[string]string{"DSR_STORAGE_URL": "http://a.blob.core.windows.net"}), nil, "DSR_STORAGE_URL"},
	} {
		cfg, err := Load(env(c.kv), []string{"worker"})
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one naming %s", c.name, err, c.err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.check(cfg):
			t.Errorf("%s: %+v", c.name, cfg)
		}
	}
}
