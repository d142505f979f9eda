package dsr

import (
	"strings"
	"testing"
)

func TestCheckCallback(t *testing.T) {
	on := CallbackPolicy{Hosts: []string{"prod-12.westeurope.logic.azure.com", "hooks.example.com"}, HasSecret: true}
	for _, c := range []struct {
		name, url string
		p         CallbackPolicy
		want      string // substring of the error; empty: accepted
	}{
		{"none", "", CallbackPolicy{}, ""},
		{"logic app", "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/runs/1/callback?api-version=2016-06-01&sig=XYZ", on, ""},
		{"host case", "https://HOOKS.example.com/x", on, ""},
		{"http", "http://hooks.example.com/x", on, "https"},
		{"relative", "/x", on, "absolute"},
		{"no host", "https:///x", on, "absolute"},
		{"user info", "https://u:p@hooks.example.com/x", on, "user information"},
		{"fragment", "https://hooks.example.com/x#f", on, "fragment"},
		{"too long", "https://hooks.example.com/" + strings.Repeat("a", 2100), on, "2048"},
		{"host not listed", "https://evil.example.net/x", on, "DSR_CALLBACK_HOSTS"},
		{"suffix is not the host", "https://hooks.example.com.evil.net/x", on, "DSR_CALLBACK_HOSTS"},
		{"callbacks off", "https://hooks.example.com/x", CallbackPolicy{}, "DSR_CALLBACK_HOSTS is empty"},
		{"no secret", "https://hooks.example.com/x", CallbackPolicy{Hosts: on.Hosts}, "DSR_CALLBACK_SECRET"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := Request{Callback: c.url}.CheckCallback(c.p)
			switch {
			case c.want == "" && errs != nil:
				t.Fatalf("refused: %v", errs)
			case c.want != "" && (len(errs) != 1 || errs[0].Field != "callback" || !strings.Contains(errs[0].Message, c.want)):
				t.Fatalf("got %v, want an error on callback naming %q", errs, c.want)
			}
		})
	}
}

func TestWithoutQuery(t *testing.T) {
	got := WithoutQuery("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/callback?api-version=2016-06-01&sig=XYZ")
	if got != "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/callback" {
		t.Fatal(got)
	}
}

func TestDecodeChecksCallbackForm(t *testing.T) {
	_, err := Decode(strings.NewReader(`{"operation":"export","targets":["/subscriptions/00000000-1111-2222-3333-444444444444"],"callback":"ftp://x/y"}`))
	if err == nil || !strings.Contains(err.Error(), "callback") {
		t.Fatalf("got %v", err)
	}
}
