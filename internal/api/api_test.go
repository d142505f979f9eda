package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
)

const (
	sub = "/subscriptions/00000000-1111-2222-3333-444444444444"
	rg  = sub + "/resourceGroups/rg-dsr"
	acc = rg + "/providers/Microsoft.MachineLearningExperimentation/accounts/acct-1"
)

type bundle struct {
	srv *httptest.Server
	q   *memory.Queue
}

func setup(t *testing.T, scopes ...string) *bundle {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	q := memory.New(memory.Options{})
	s := &api.Server{Ledger: ledger.New(st, "dsr"), Queue: q, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AllowedScopes: scopes, PageSize: 2}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &bundle{srv: srv, q: q}
}

func (b *bundle) post(t *testing.T, body, contentType, query string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.Post(b.srv.URL+"/api/dsr/requests"+query, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	return resp, doc
}

func TestSubmitRejectsBadInput(t *testing.T) {
	big := `{"operation":"export","targets":["` + rg + `"],"requestId":"x` + strings.Repeat("a", 70<<10) + `"}`
	for _, c := range []struct {
		name, body, ct string
		status         int
		field          string
	}{
		{"not JSON content type", `{"operation":"export","targets":["` + rg + `"]}`, "text/plain", 415, ""},
		{"form content type", `operation=export`, "application/x-www-form-urlencoded", 415, ""},
		{"latin-1 charset", `{"operation":"export","targets":["` + rg + `"]}`, "application/json; charset=iso-8859-1", 415, ""},
		{"oversized body", big, "application/json", 413, ""},
		{"empty body", ``, "application/json", 400, ""},
		{"malformed JSON", `{"operation":"export",`, "application/json", 400, ""},
		{"two JSON values", `{"operation":"export","targets":["` + rg + `"]} {}`, "application/json", 400, ""},
		{"unknown field", `{"operation":"export","targets":["` + rg + `"],"force":true}`, "application/json", 400, "force"},
		{"wrong type", `{"operation":"export","targets":"` + rg + `"}`, "application/json", 400, "targets"},
		{"no operation", `{"targets":["` + rg + `"]}`, "application/json", 400, "operation"},
		{"bad operation", `{"operation":"purge","targets":["` + rg + `"]}`, "application/json", 400, "operation"},
		{"no targets", `{"operation":"export","targets":[]}`, "application/json", 400, "targets"},
		{"51 targets", `{"operation":"export","targets":[` + strings.Repeat(`"`+rg+`",`, 50) + `"` + rg + `"]}`, "application/json", 400, "targets"},
		{"duplicate target", `{"operation":"export","targets":["` + rg + `","` + strings.ToUpper(rg[:14]) + rg[14:] + `"]}`, "application/json", 400, "targets[1]"},
		{"wrong provider", `{"operation":"export","targets":["` + rg + `/providers/Microsoft.Storage/storageAccounts/s"]}`, "application/json", 400, "targets[0]"},
		{"path traversal", `{"operation":"delete","targets":["` + rg + `/../rg-other"]}`, "application/json", 400, "targets[0]"},
		{"encoded separator", `{"operation":"delete","targets":["` + rg + `%2F..%2Frg-other"]}`, "application/json", 400, "targets[0]"},
		{"encoded dot", `{"operation":"delete","targets":["` + sub + `/resourceGroups/%2e%2e"]}`, "application/json", 400, "targets[0]"},
		{"host in target", `{"operation":"export","targets":["https://evil.example` + rg + `"]}`, "application/json", 400, "targets[0]"},
		{"name with host", `{"operation":"export","targets":["` + rg + `/providers/Microsoft.MachineLearningExperimentation/accounts/evil.com:443@x"]}`, "application/json", 400, "targets[0]"},
		{"name with slash-like", `{"operation":"export","targets":["` + rg + `/providers/Microsoft.MachineLearningExperimentation/accounts/a\\b"]}`, "application/json", 400, "targets[0]"},
		{"control character", `{"operation":"export","targets":["` + rg + `\u0000"]}`, "application/json", 400, "targets[0]"},
		{"query in target", `{"operation":"export","targets":["` + rg + `?api-version=2020"]}`, "application/json", 400, "targets[0]"},
		{"trailing slash", `{"operation":"export","targets":["` + rg + `/"]}`, "application/json", 400, "targets[0]"},
		{"relative target", `{"operation":"export","targets":["resourceGroups/rg"]}`, "application/json", 400, "targets[0]"},
		{"bad request id", `{"requestId":"../etc","operation":"export","targets":["` + rg + `"]}`, "application/json", 400, "requestId"},
		{"request id too long", `{"requestId":"` + strings.Repeat("a", 65) + `","operation":"export","targets":["` + rg + `"]}`, "application/json", 400, "requestId"},
		{"request id leading dot", `{"requestId":".hidden","operation":"export","targets":["` + rg + `"]}`, "application/json", 400, "requestId"},
		{"bad object id", `{"operation":"export","targets":["` + rg + `"],"subject":{"objectId":"not-a-guid"}}`, "application/json", 400, "subject.objectId"},
		{"bad upn", `{"operation":"export","targets":["` + rg + `"],"subject":{"userPrincipalName":"no at sign"}}`, "application/json", 400, "subject.userPrincipalName"},
		{"subject match without subject", `{"operation":"export","targets":["` + rg + `"],"match":"subject"}`, "application/json", 400, "subject"},
		{"bad match", `{"operation":"export","targets":["` + rg + `"],"match":"some"}`, "application/json", 400, "match"},
		{"duplicate key, last one off", `{"operation":"delete","targets":["` + rg + `"],"dryRun":true,"DRYRUN":false}`, "application/json", 400, "DRYRUN"},
		{"case-variant key in subject", `{"operation":"export","targets":["` + rg + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","ObjectID":"aaaaaaaa-bbbb-cccc-dddd-ffffffffffff"}}`, "application/json", 400, "subject.ObjectID"},
		{"dry-run export", `{"operation":"export","targets":["` + rg + `"],"dryRun":true}`, "application/json", 400, "dryRun"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := setup(t)
			resp, doc := b.post(t, c.body, c.ct, "")
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, c.status, doc)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			if doc["status"] != float64(c.status) || doc["type"] == "" || doc["title"] == "" {
				t.Errorf("problem document %v", doc)
			}
			if c.field != "" && !hasField(doc, c.field) {
				t.Errorf("no error for field %q in %v", c.field, doc["errors"])
			}
			if active, _ := b.q.Len(); active != 0 {
				t.Errorf("a rejected request sent %d messages", active)
			}
		})
	}
}

func hasField(doc map[string]any, field string) bool {
	errs, _ := doc["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

func TestAllowedScopes(t *testing.T) {
	b := setup(t, rg)
	other := sub + "/resourceGroups/rg-dsr-other"
	resp, doc := b.post(t, `{"operation":"delete","targets":["`+acc+`","`+other+`"]}`, "application/json", "")
	if resp.StatusCode != 403 || !hasField(doc, "targets[1]") {
		t.Fatalf("outside scope: %d %v", resp.StatusCode, doc)
	}
	// A prefix of the scope's name is not inside it.
	resp, _ = b.post(t, `{"operation":"delete","targets":["`+rg+`x"]}`, "application/json", "")
	if resp.StatusCode != 403 {
		t.Fatalf("sibling with a longer name: %d", resp.StatusCode)
	}
	// Malformed beats forbidden.
	resp, _ = b.post(t, `{"operation":"delete","targets":["`+other+`/x"]}`, "application/json", "")
	if resp.StatusCode != 400 {
		t.Fatalf("malformed and outside: %d, want 400", resp.StatusCode)
	}
	resp, _ = b.post(t, `{"operation":"delete","targets":["`+acc+`"]}`, "application/json", "")
	if resp.StatusCode != 202 {
		t.Fatalf("inside scope: %d", resp.StatusCode)
	}
}

func TestSubmitReplayAndConflict(t *testing.T) {
	b := setup(t)
	body := `{"requestId":"req-1","operation":"export","targets":["` + rg + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}`
	resp, doc := b.post(t, body, "application/json; charset=utf-8", "?code=secret-key")
	if resp.StatusCode != 202 {
		t.Fatalf("submit: %d %v", resp.StatusCode, doc)
	}
	loc := resp.Header.Get("Location")
	if loc != b.srv.URL+"/api/dsr/requests/req-1?code=secret-key" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("Location %q Retry-After %q", loc, resp.Header.Get("Retry-After"))
	}
	if doc["requestId"] != "req-1" || doc["state"] != "accepted" || doc["operation"] != "export" {
		t.Errorf("status %v", doc)
	}
	if active, _ := b.q.Len(); active != 1 {
		t.Fatalf("%d messages after submit, want 1", active)
	}
	resp, doc = b.post(t, body, "application/json", "")
	if resp.StatusCode != 202 || doc["requestId"] != "req-1" {
		t.Fatalf("replay: %d %v", resp.StatusCode, doc)
	}
	if strings.Contains(resp.Header.Get("Location"), "code=") {
		t.Errorf("a key not sent in the query was copied into Location: %s", resp.Header.Get("Location"))
	}
	if active, _ := b.q.Len(); active != 1 {
		t.Fatalf("replay fanned out again: %d messages", active)
	}
	resp, doc = b.post(t, strings.Replace(body, "export", "delete", 1), "application/json", "")
	if resp.StatusCode != 409 || doc["type"] != api.ProblemConflict {
		t.Fatalf("conflicting replay: %d %v", resp.StatusCode, doc)
	}
}

func TestStatusAndResultsErrors(t *testing.T) {
	b := setup(t)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/dsr/requests/nope", 404},
		{"/api/dsr/requests/nope/results", 404},
		{"/api/dsr/requests/.bad", 400},
		{"/api/dsr/requests/a%2F..%2Fb", 400},
		{"/api/dsr/other", 404},
	} {
		resp, err := http.Get(b.srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d problem+json", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.status)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, b.srv.URL+"/api/dsr/requests/x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
	b.post(t, `{"requestId":"r2","operation":"export","targets":["`+rg+`"]}`, "application/json", "")
	resp, err = http.Get(b.srv.URL + "/api/dsr/requests/r2/results?continuationToken=" + fmt.Sprint("!!!"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad continuation token: %d", resp.StatusCode)
	}
	_ = dsr.MaxBody
}

// failingQueue refuses every send, as a Service Bus outage would.
type failingQueue struct {
	fail bool
	sent int
}

func (f *failingQueue) Send(ctx context.Context, msgs ...queue.Message) error {
	if f.fail {
		return errors.New("service bus unavailable")
	}
	f.sent += len(msgs)
	return nil
}

// A submit whose first steps could not be sent answers 503; the client's
// replay of the same body starts them (it is not a second fan-out).
func TestSubmitFanOutFailureIsRetried(t *testing.T) {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	q := &failingQueue{fail: true}
	l := ledger.New(st, "dsr")
	s := &api.Server{Ledger: l, Queue: q, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	body := `{"requestId":"r-retry","operation":"export","targets":["` + rg + `"]}`
	post := func() int {
		resp, err := http.Post(srv.URL+"/api/dsr/requests", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusServiceUnavailable {
		t.Fatalf("fan-out failed: %d, want 503", code)
	}
	q.fail = false
	if code := post(); code != http.StatusAccepted {
		t.Fatalf("replay: %d", code)
	}
	if m, _ := l.Pending(context.Background(), "r-retry"); len(m) != 1 || q.sent != 1 {
		t.Fatalf("after the replay %d steps are pending and %d messages sent, want 1 and 1", len(m), q.sent)
	}
	if code := post(); code != http.StatusAccepted || q.sent != 1 {
		t.Fatalf("a second replay: %d, %d messages sent in all; want 202 and no second fan-out", code, q.sent)
	}
}

// The caller identity headers are the host's word only in Functions mode;
// anywhere else anybody can send them, so they are not recorded.
func TestCallerHeadersTrustedOnlyWhenTheHostSetsThem(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		st, err := dir.Open(t.TempDir(), "dsr")
		if err != nil {
			t.Fatal(err)
		}
		l := ledger.New(st, "dsr")
		s := &api.Server{Ledger: l, Queue: memory.New(memory.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			TrustCallerHeaders: trusted}
		srv := httptest.NewServer(s.Handler())
		req, _ := http.NewRequest("POST", srv.URL+"/api/dsr/requests", strings.NewReader(`{"requestId":"r1","operation":"export","targets":["`+rg+`"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-MS-CLIENT-PRINCIPAL-NAME", "forged@contoso.com")
		resp, err := http.DefaultClient.Do(req)
		srv.Close()
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("submit: %v %v", resp, err)
		}
		resp.Body.Close()
		ar, err := l.Request(context.Background(), "r1")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "forged@contoso.com"}[trusted]; ar.By != want {
			t.Errorf("trusted=%v: recorded caller %q, want %q", trusted, ar.By, want)
		}
	}
}

func TestSubmitCallbackPolicy(t *testing.T) {
	body := func(u string) string {
		return `{"operation":"export","targets":["` + rg + `"],"callback":"` + u + `"}`
	}
	for _, c := range []struct {
		name   string
		policy dsr.CallbackPolicy
		url    string
		status int
		want   string
	}{
		{"host not listed", dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}, HasSecret: true}, "https://evil.example.net/h", 400, "DSR_CALLBACK_HOSTS"},
		{"callbacks not configured", dsr.CallbackPolicy{}, "https://hooks.example.com/h", 400, "DSR_CALLBACK_HOSTS"},
		{"no secret", dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}}, "https://hooks.example.com/h", 400, "DSR_CALLBACK_SECRET"},
		{"not https", dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}, HasSecret: true}, "http://hooks.example.com/h", 400, "https"},
		{"accepted", dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}, HasSecret: true}, "https://hooks.example.com/h?sig=abc", 202, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := dir.Open(t.TempDir(), "dsr")
			if err != nil {
				t.Fatal(err)
			}
			s := &api.Server{Ledger: ledger.New(st, "dsr"), Queue: memory.New(memory.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				PageSize: 2, Callbacks: c.policy}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/api/dsr/requests", "application/json", strings.NewReader(body(c.url)))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Fatalf("%d %s; want %d naming %q", resp.StatusCode, b, c.status, c.want)
			}
			if c.status == 400 && !strings.Contains(string(b), `"field":"callback"`) {
				t.Errorf("the problem names no callback field: %s", b)
			}
			if c.status == 202 && strings.Contains(string(b), "sig=") {
				t.Errorf("the status shows the callback's query: %s", b)
			}
		})
	}
}
