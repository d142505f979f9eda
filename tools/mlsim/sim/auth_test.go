package sim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"amldsr/tools/mlsim/sim"
)

func TestAuthentication(t *testing.T) {
	e := seeded(t, sim.Options{})
	other := sim.NewEmpty(sim.Options{}) // a different server: its tokens are not ours
	target := "/arm" + rgTarget + "/providers/Microsoft.MachineLearningExperimentation/accounts?" + apiExp
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"malformed token", "not-a-token", http.StatusUnauthorized},
		{"token for another resource", e.srv.IssueToken("https://storage.azure.com/"), http.StatusUnauthorized},
		{"token of another server", other.IssueToken(audience), http.StatusUnauthorized},
		{"token for the audience", e.token, http.StatusOK},
		{"audience without trailing slash", e.srv.IssueToken("https://management.core.windows.net"), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []string{target, "/mm/eastus" + mmData + "/models?" + apiMM, hist + "/runs"} {
				r := e.send(http.MethodGet, p, tc.token, nil, nil)
				wantStatus(t, r, tc.want, p)
				if tc.want == http.StatusUnauthorized && r.armCode(t) != "InvalidAuthenticationToken" {
					t.Errorf("%s: 401 body %s, want ARM error InvalidAuthenticationToken", p, r.body)
				}
				if r.header.Get("x-ms-request-id") == "" {
					t.Errorf("%s: no x-ms-request-id", p)
				}
			}
		})
	}
}

func TestAPIVersion(t *testing.T) {
	e := seeded(t, sim.Options{})
	accounts := "/arm" + rgTarget + "/providers/Microsoft.MachineLearningExperimentation/accounts"
	r := e.get(accounts)
	wantStatus(t, r, http.StatusBadRequest, "no api-version")
	if c := r.armCode(t); c != "MissingApiVersionParameter" {
		t.Errorf("no api-version: code %q", c)
	}
	r = e.get(accounts + "?api-version=2018-03-01-preview")
	wantStatus(t, r, http.StatusBadRequest, "wrong api-version")
	if c := r.armCode(t); c != "InvalidApiVersionParameter" {
		t.Errorf("wrong api-version: code %q", c)
	}
	wantStatus(t, e.get(accounts+"?"+apiExp), http.StatusOK, "right api-version")
	wantStatus(t, e.get("/arm"+sub+"/resourcegroups?"+apiRG), http.StatusOK, "resource groups")
	wantStatus(t, e.get("/arm"+sub+"/resourcegroups?"+apiExp), http.StatusBadRequest, "resource groups, wrong version")

	models := "/mm/eastus" + mmData + "/models"
	r = e.get(models + "?api-version=2017-05-01-preview")
	wantStatus(t, r, http.StatusBadRequest, "model management, wrong version")
	var mmErr struct {
		Code       string `json:"code"`
		StatusCode int    `json:"statusCode"`
	}
	r.json(t, &mmErr)
	if mmErr.StatusCode != http.StatusBadRequest || mmErr.Code == "" {
		t.Errorf("model-management error shape: %s", r.body)
	}
	wantStatus(t, e.get(models), http.StatusBadRequest, "model management, no version")
	wantStatus(t, e.get(models+"?"+apiMM), http.StatusOK, "model management")
}

func TestRateLimitHeaders(t *testing.T) {
	e := seeded(t, sim.Options{})
	r := e.get("/arm" + sub + "/resourcegroups?" + apiRG)
	if r.header.Get("x-ms-ratelimit-remaining-subscription-reads") == "" {
		t.Errorf("GET without x-ms-ratelimit-remaining-subscription-reads: %v", r.header)
	}
	r = e.del("/arm" + expProj + "?" + apiExp)
	if r.header.Get("x-ms-ratelimit-remaining-subscription-deletes") == "" {
		t.Errorf("DELETE without x-ms-ratelimit-remaining-subscription-deletes: %v", r.header)
	}
}

func TestIdentityEndpoint(t *testing.T) {
	e := seeded(t, sim.Options{})
	tokenURL := tokenPath + url.QueryEscape(audience)
	for _, tc := range []struct {
		name   string
		target string
		header string
		want   int
	}{
		{"no header", tokenURL, "", http.StatusUnauthorized},
		{"wrong header", tokenURL, "guess", http.StatusUnauthorized},
		{"wrong api-version", "/msi/token?api-version=2017-09-01&resource=" + url.QueryEscape(audience), idHeader, http.StatusBadRequest},
		{"no resource", "/msi/token?api-version=2019-08-01", idHeader, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.header != "" {
				hdr["X-IDENTITY-HEADER"] = tc.header
			}
			wantStatus(t, e.send(http.MethodGet, tc.target, "", hdr, nil), tc.want, tc.name)
		})
	}

	token := func(resource string) string {
		r := e.send(http.MethodGet, tokenPath+url.QueryEscape(resource), "", map[string]string{"X-IDENTITY-HEADER": idHeader}, nil)
		wantStatus(t, r, http.StatusOK, "token for "+resource)
		var raw map[string]json.RawMessage
		r.json(t, &raw)
		var tok struct {
			AccessToken string  `json:"access_token"`
			ExpiresOn   float64 `json:"expires_on"` // a JSON number, not a string
			ExpiresIn   int     `json:"expires_in"`
			Resource    string  `json:"resource"`
			TokenType   string  `json:"token_type"`
		}
		r.json(t, &tok)
		if tok.AccessToken == "" || tok.ExpiresOn < 1e9 || tok.ExpiresIn != 3600 || tok.Resource != resource || tok.TokenType != "Bearer" {
			t.Fatalf("token response %s", r.body)
		}
		if raw["expires_on"][0] == '"' {
			t.Errorf("expires_on is a string: %s", raw["expires_on"])
		}
		return tok.AccessToken
	}
	list := "/arm" + sub + "/resourcegroups?" + apiRG
	wantStatus(t, e.send(http.MethodGet, list, token(audience), nil, nil), http.StatusOK, "API with issued token")
	wantStatus(t, e.send(http.MethodGet, list, token("https://vault.azure.net"), nil, nil), http.StatusUnauthorized, "API with a token for another resource")
}
