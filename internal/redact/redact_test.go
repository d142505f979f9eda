package redact

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestDocument(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		paths          []string
	}{
		{"nothing to remove is byte for byte",
			`{"b":1,  "a":[2, 3.10], "key":"framework","keyVaultId":"/kv","accessKeyId":"AKIA"}`,
			`{"b":1,  "a":[2, 3.10], "key":"framework","keyVaultId":"/kv","accessKeyId":"AKIA"}`, nil},
		{"experimentation account",
			`{"id":"/a","properties":{"storageAccount":{"storageAccountId":"/sa","accessKey":"S1"},"seats":"2","n":12345678901234567890123}}`,
			`{"id":"/a","properties":{"storageAccount":{"storageAccountId":"/sa"},"seats":"2","n":12345678901234567890123}}`,
			[]string{"properties.storageAccount.accessKey"}},
		{"operationalization cluster",
			`{"properties":{"containerService":{"orchestratorProperties":{"servicePrincipal":{"clientId":"c","secret":"S2"}}},"appInsights":{"appId":"a","apiKey":"S3"},"globalServiceConfiguration":{"ssl":{"status":"Enabled","cert":"S4","key":"S5","cname":"x"}}}}`,
			`{"properties":{"containerService":{"orchestratorProperties":{"servicePrincipal":{"clientId":"c"}}},"appInsights":{"appId":"a"},"globalServiceConfiguration":{"ssl":{"status":"Enabled","cname":"x"}}}}`,
			[]string{"properties.containerService.orchestratorProperties.servicePrincipal.secret", "properties.appInsights.apiKey",
				"properties.globalServiceConfiguration.ssl.cert", "properties.globalServiceConfiguration.ssl.key"}},
		{"compute administrator",
			`{"properties":{"properties":{"userAccountCredentials":{"adminUserName":"u","adminUserPassword":"S6"},"administratorAccount":{"username":"u","Password":"S7","privateKeyData":"S8"}}}}`,
			`{"properties":{"properties":{"userAccountCredentials":{"adminUserName":"u"},"administratorAccount":{"username":"u"}}}}`,
			[]string{"properties.properties.userAccountCredentials.adminUserPassword", "properties.properties.administratorAccount.Password",
				"properties.properties.administratorAccount.privateKeyData"}},
		{"connection credentials",
			`{"properties":{"authType":"PAT","category":"Git","credentials":{"pat":"S9"},"target":"https://g"}}`,
			`{"properties":{"authType":"PAT","category":"Git","target":"https://g"}}`,
			[]string{"properties.credentials"}},
		{"connection value",
			`{"properties":{"category":"ACR","authType":"None","value":"S10","valueFormat":"JSON"}}`,
			`{"properties":{"category":"ACR","authType":"None","valueFormat":"JSON"}}`,
			[]string{"properties.value"}},
		{"datastore",
			`{"properties":{"credentials":{"credentialsType":"ServicePrincipal","clientId":"c","tenantId":"t","secrets":{"secretsType":"ServicePrincipal","clientSecret":"S11"}}}}`,
			`{"properties":{"credentials":{"credentialsType":"ServicePrincipal","clientId":"c","tenantId":"t"}}}`,
			[]string{"properties.credentials.secrets"}},
		{"token and key of credentials",
			`{"credentials":{"type":"t","token":"S12"},"registryCredentials":{"key":"S13","user":"u"}}`,
			`{"credentials":{"type":"t"},"registryCredentials":{"user":"u"}}`,
			[]string{"credentials.token", "registryCredentials.key"}},
		{"names that say secret",
			`{"PRIMARYKEY":"a","secondaryKey":"b","sasToken":"c","connectionString":"d","storageConnectionString":"e","clientSecret":"f","apiKey":"g","keep":1}`,
			`{"keep":1}`,
			[]string{"PRIMARYKEY", "secondaryKey", "sasToken", "connectionString", "storageConnectionString", "clientSecret", "apiKey"}},
		{"inside arrays",
			`{"items":[{"name":"a","password":"S14"},{"name":"b"}],"passwords":[{"name":"p","value":"S15"}]}`,
			`{"items":[{"name":"a"},{"name":"b"}]}`,
			[]string{"items[0].password", "passwords"}},
		{"odd key names are quoted",
			`{"a.b":{"password":"S16"}}`, `{"a.b":{}}`, []string{`["a.b"].password`}},
		{"SAS signature in the middle",
			`{"contentUri":"https://h/c/p?sv=1&sig=S17&se=2","n":1}`, `{"contentUri":"https://h/c/p?sv=1&se=2","n":1}`,
			[]string{"contentUri?sig"}},
		{"SAS signature first",
			`{"u":["https://h/p?sig=S18&sv=1"]}`, `{"u":["https://h/p?sv=1"]}`, []string{"u[0]?sig"}},
		{"SAS signature alone",
			`"https://h/p?SIG=S19"`, `"https://h/p"`, []string{"$?sig"}},
		{"SAS signature in a text",
			`{"message":"fetch https://h/p?sig=S20 failed, then https://h/q?a=1&sig=S21"}`,
			`{"message":"fetch https://h/p failed, then https://h/q?a=1"}`, []string{"message?sig"}},
		{"text kept as it was",
			`{"a":"<b> & \u00e9","password":"S22"}`, `{"a":"<b> & é"}`, []string{"password"}},
		{"duplicate keys",
			`{"password":"S23","x":1,"password":"S24"}`, `{"x":1}`, []string{"password"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, paths, err := Document([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got  %s\nwant %s", out, c.want)
			}
			if !slices.Equal(paths, c.paths) {
				t.Errorf("paths %q, want %q", paths, c.paths)
			}
			if strings.Contains(string(out), "S1") && c.paths != nil {
				t.Errorf("a planted secret is left: %s", out)
			}
		})
	}
}

func TestDocumentRefusesWhatItCannotRead(t *testing.T) {
	for _, in := range []string{"", "{", `{"a":1}{"b":2}`, `{"a":1} x`, "\xff", `{"a":01}`} {
		if out, _, err := Document([]byte(in)); err == nil {
			t.Errorf("%q: no error, got %q", in, out)
		}
	}
}

func FuzzDocument(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"x?sig=1"`, `{"password":"p"}`, `{"a":[{"credentials":{"token":"t"}}],"n":1e400}`,
		`{"ssl":{"cert":"c","key":"k"}}`, `{"properties":{"authType":"PAT","value":"v"}}`, `null`, `{"a":"?sig=&sig="}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, paths, err := Document(in)
		if err != nil {
			return
		}
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid input %q gave invalid output %q", in, out)
		}
		if len(paths) == 0 && string(out) != string(in) {
			t.Fatalf("nothing listed but the document changed: %q -> %q", in, out)
		}
		if again, more, _ := Document(out); len(more) != 0 || string(again) != string(out) {
			t.Fatalf("a second pass still removes %q from %q", more, out)
		}
	})
}
