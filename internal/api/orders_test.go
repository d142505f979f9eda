package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
)

func ordersServer(t *testing.T, scopes ...string) *httptest.Server {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{Ledger: ledger.New(st, "dsr"), Queue: memory.New(memory.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AllowedScopes: scopes, PageSize: 2, Callbacks: dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}, HasSecret: true}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	json.Unmarshal(b, &doc)
	return resp.StatusCode, doc, resp.Header.Get("Content-Type")
}

func TestOrdersCRUD(t *testing.T) {
	srv := ordersServer(t)
	base := srv.URL + "/api/dsr/orders"
	order := `{"request":{"operation":"delete","targets":["` + rg + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},"match":"subject",` +
		`"callback":"https://hooks.example.com/h?sig=SECRETSIG"},"schedule":{"every":"24h","start":"2026-12-01T02:00:00Z"}}`

	if code, doc, _ := call(t, "GET", base, ""); code != 200 || len(doc["value"].([]any)) != 0 {
		t.Fatalf("empty list: %d %v", code, doc)
	}
	code, doc, _ := call(t, "PUT", base+"/alice-erasure", order)
	if code != 201 || doc["name"] != "alice-erasure" || doc["createdAt"] == nil || doc["updatedAt"] == nil || doc["lastRun"] != nil {
		t.Fatalf("create: %d %v", code, doc)
	}
	req := doc["request"].(map[string]any)
	if _, has := req["requestId"]; has || req["operation"] != "delete" || req["callback"] != "https://hooks.example.com/h" {
		t.Errorf("create: request %v", req)
	}
	if s := doc["schedule"].(map[string]any); s["every"] != "24h" || s["start"] != "2026-12-01T02:00:00Z" {
		t.Errorf("create: schedule %v", s)
	}
	created := doc["createdAt"]
	code, doc, _ = call(t, "PUT", base+"/alice-erasure", strings.Replace(order, `"24h"`, `"12h"`, 1))
	if code != 200 || doc["createdAt"] != created || doc["schedule"].(map[string]any)["every"] != "12h" {
		t.Fatalf("replace: %d %v", code, doc)
	}
	code, doc, _ = call(t, "GET", base+"/alice-erasure", "")
	if code != 200 || doc["schedule"].(map[string]any)["every"] != "12h" {
		t.Fatalf("read: %d %v", code, doc)
	}
	code, doc, _ = call(t, "GET", base, "")
	if list := doc["value"].([]any); code != 200 || len(list) != 1 || list[0].(map[string]any)["name"] != "alice-erasure" {
		t.Fatalf("list: %d %v", code, doc)
	}
	if strings.Contains(toJSON(doc), "SECRETSIG") {
		t.Errorf("the list shows the callback's query")
	}
	if code, _, _ := call(t, "DELETE", base+"/alice-erasure", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if code, doc, ct := call(t, m, base+"/alice-erasure", ""); code != 404 || ct != "application/problem+json" {
			t.Errorf("%s after delete: %d %s %v", m, code, ct, doc)
		}
	}
}

func TestOrdersRejectBadInput(t *testing.T) {
	srv := ordersServer(t, rg)
	base := srv.URL + "/api/dsr/orders/"
	good := `{"operation":"export","targets":["` + rg + `"]}`
	for _, c := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"bad name", "Alice", `{"request":` + good + `,"schedule":{"every":"24h"}}`, 400, "name"},
		{"long name", strings.Repeat("a", 33), `{"request":` + good + `,"schedule":{"every":"24h"}}`, 400, "name"},
		{"request id", "n", `{"request":{"requestId":"x","operation":"export","targets":["` + rg + `"]},"schedule":{"every":"24h"}}`, 400, "request.requestId"},
		{"short every", "n", `{"request":` + good + `,"schedule":{"every":"10s"}}`, 400, "schedule.every"},
		{"unknown field", "n", `{"request":` + good + `,"schedule":{"every":"24h"},"cron":"x"}`, 400, ""},
		{"callback host", "n", `{"request":{"operation":"export","targets":["` + rg + `"],"callback":"https://evil.net/x"},"schedule":{"every":"24h"}}`, 400, "request.callback"},
		{"outside scopes", "n", `{"request":{"operation":"export","targets":["` + sub + `/resourceGroups/other"]},"schedule":{"every":"24h"}}`, 403, "request.targets[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, doc, ct := call(t, "PUT", base+c.path, c.body)
			if code != c.status || ct != "application/problem+json" {
				t.Fatalf("%d %s %v", code, ct, doc)
			}
			if c.field != "" && !strings.Contains(toJSON(doc["errors"]), `"field":"`+c.field+`"`) {
				t.Errorf("errors %v do not name %s", doc["errors"], c.field)
			}
		})
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
