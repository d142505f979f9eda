package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
)

// validating checks every answer the tests of this package receive through
// http.DefaultTransport (http.Get, http.Post, http.DefaultClient) against
// openapi.json; TestMain fails the package on any mismatch.
var validating *openapitest.Transport

func TestMain(m *testing.M) {
	openapitest.Main(m, api.OpenAPI, func(tr *openapitest.Transport) { validating = tr })
}

func validator(t *testing.T) *openapitest.Validator {
	t.Helper()
	v, err := openapitest.New(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// exchange is one call and its answer, checked against the document.
type exchange struct {
	t      *testing.T
	v      *openapitest.Validator
	client *http.Client
}

func (e exchange) do(method, url, ct, body string, want int) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		e.t.Errorf("%s %s: %d %s, want %d", method, url, resp.StatusCode, b, want)
	}
	if err := e.v.Check(req, resp.StatusCode, resp.Header, b); err != nil {
		e.t.Errorf("%v\n  body: %s", err, b)
	}
	return resp, b
}

// unvalidated is a client that bypasses TestMain's transport, so that each
// check below is this test's own.
func unvalidated() *http.Client { return &http.Client{Transport: &http.Transport{}} }

// Every kind of answer the API gives validates against openapi.json: submit
// 202 (and 200 once terminal), status 200/202/400/404, results pages,
// problems 400/403/409/413/415/503, 405 on an undocumented method, and the
// document itself.
func TestAnswersMatchOpenAPI(t *testing.T) {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	q := &failingQueue{}
	s := &api.Server{Ledger: l, Queue: q, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PageSize: 2,
		AllowedScopes: []string{rg}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	e := exchange{t: t, v: validator(t), client: unvalidated()}
	const js = "application/json"
	reqs := srv.URL + "/api/dsr/requests"
	body := `{"requestId":"oa-1","operation":"export","targets":["` + acc + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","displayName":"Alice Example"},"match":"subject"}`

	resp, _ := e.do("POST", reqs+"?code=k", js, body, 202)
	e.do("GET", resp.Header.Get("Location"), "", "", 202)
	e.do("POST", reqs, js, body, 202)
	e.do("POST", reqs, js, strings.Replace(body, "export", "delete", 1), 409)
	e.do("POST", reqs, js, `{"operation":"export","targets":[]}`, 400)
	e.do("POST", reqs, js, `{"operation":"export","targets":["`+sub+`/resourceGroups/other"]}`, 403)
	e.do("POST", reqs, "text/plain", body, 415)
	e.do("POST", reqs, js, `{"operation":"export","targets":["`+acc+`"],"requestId":"`+strings.Repeat("x", 70<<10)+`"}`, 413)
	q.fail = true
	e.do("POST", reqs, js, `{"requestId":"oa-2","operation":"export","targets":["`+acc+`"]}`, 503)
	q.fail = false
	e.do("GET", reqs+"/nope", "", "", 404)
	e.do("GET", reqs+"/.bad", "", "", 400)
	e.do("GET", reqs+"/nope/results", "", "", 404)
	e.do("GET", reqs+"/oa-1/results?continuationToken=!!!", "", "", 400)
	e.do("DELETE", reqs+"/oa-1", "", "", 405)
	e.do("GET", srv.URL+"/api/dsr/other", "", "", 404)

	finish(t, l, "oa-1")
	e.do("GET", reqs+"/oa-1", "", "", 200)
	e.do("POST", reqs, js, body, 200)
	next, pages := reqs+"/oa-1/results?code=k", 0
	for ; next != ""; pages++ {
		_, b := e.do("GET", next, "", "", 200)
		var page struct{ NextLink string }
		json.Unmarshal(b, &page)
		next = page.NextLink
	}
	if pages != 2 {
		t.Errorf("%d pages of results, want 2", pages)
	}
	e.do("GET", srv.URL+"/api/openapi.json", "", "", 200)
}

// finish ends a request as the worker would: a record for its pending
// step, a failed and a skipped one beside it, and no marker left.
func finish(t *testing.T, l *ledger.Ledger, id string) {
	t.Helper()
	ctx := context.Background()
	ms, err := l.Pending(ctx, id)
	if err != nil || len(ms) != 1 {
		t.Fatalf("pending %v %v", ms, err)
	}
	now := time.Now().UTC()
	recs := map[string]dsr.Record{
		ms[0].OpKey: {Operation: dsr.StepDiscover, Kind: "exp.account", Resource: acc, Outcome: dsr.Succeeded, HTTPStatus: 200, Attempts: 1, UpstreamRequestID: "u-1"},
		"export.exp.workspace.1": {Operation: dsr.StepExport, Kind: "exp.workspace", Resource: acc + "/workspaces/w", Outcome: dsr.Failed, HTTPStatus: 500, Attempts: 3,
			Error: &dsr.RecordError{Code: "InternalError", Message: "upstream 500"}},
		"export.exp.notification.1": {Operation: dsr.StepExport, Kind: "exp.notification", Resource: acc + "/workspaces/w/projects/p", Outcome: dsr.Skipped, Attempts: 1,
			Error: &dsr.RecordError{Code: "SubjectObjectIdRequired", Message: "no objectId"}, MatchedBy: "objectId", Redacted: []string{"properties.key"}, Document: "export/x.json"},
	}
	for key, r := range recs {
		r.RequestID, r.StartedAt, r.FinishedAt = id, now, now
		if _, err := l.Record(ctx, key, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Done(ctx, id, ms[0].OpKey); err != nil {
		t.Fatal(err)
	}
}

// The served document is openapi.json with the host and scheme it was
// asked at, or those of DSR_PUBLIC_URL; a key in the query stays out.
func TestOpenAPIServed(t *testing.T) {
	var file map[string]any
	if err := json.Unmarshal(api.OpenAPI, &file); err != nil {
		t.Fatal(err)
	}
	if _, ok := file["host"]; ok {
		t.Error("openapi.json names a host; it cannot know where the app runs")
	}
	for _, c := range []struct {
		public, host, scheme string
	}{
		{"", "", "http"},
		{"https://dsr.example.net", "dsr.example.net", "https"},
	} {
		st, err := dir.Open(t.TempDir(), "dsr")
		if err != nil {
			t.Fatal(err)
		}
		s := &api.Server{Ledger: ledger.New(st, "dsr"), Queue: memory.New(memory.Options{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PublicURL: c.public}
		srv := httptest.NewServer(s.Handler())
		resp, err := http.Get(srv.URL + "/api/openapi.json?code=secret-key")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET /api/openapi.json: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		want := c.host
		if want == "" {
			want = strings.TrimPrefix(srv.URL, "http://")
		}
		if doc["host"] != want || fmt.Sprint(doc["schemes"]) != "["+c.scheme+"]" {
			t.Errorf("public %q: host %v schemes %v, want %s [%s]", c.public, doc["host"], doc["schemes"], want, c.scheme)
		}
		if strings.Contains(string(b), "secret-key") {
			t.Error("the function key was written into the document")
		}
		delete(doc, "host")
		doc["schemes"] = file["schemes"]
		if fmt.Sprint(doc) != fmt.Sprint(file) {
			t.Error("the served document differs from openapi.json beyond host and schemes")
		}
		if _, err := openapitest.New(b); err != nil {
			t.Errorf("the served document does not load: %v", err)
		}
	}
}

// The document names the operations a connector user sees, each with a
// summary and a description; submit is a long-running operation.
func TestOpenAPIOperations(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
			Description string `json:"description"`
			LongRunning bool   `json:"x-ms-long-running-operation"`
			Visibility  string `json:"x-ms-visibility"`
		} `json:"paths"`
		BasePath string   `json:"basePath"`
		Schemes  []string `json:"schemes"`
		Security []map[string][]string
		Defs     map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			got[op.OperationID] = strings.ToUpper(method) + " " + doc.BasePath + path
			if op.Summary == "" || op.Description == "" || op.Visibility == "" {
				t.Errorf("%s: summary %q, description %q, x-ms-visibility %q", op.OperationID, op.Summary, op.Description, op.Visibility)
			}
			if op.LongRunning != (op.OperationID == "SubmitRequest") {
				t.Errorf("%s: x-ms-long-running-operation %v", op.OperationID, op.LongRunning)
			}
		}
	}
	want := map[string]string{
		"SubmitRequest":     "POST /api/dsr/requests",
		"GetRequestStatus":  "GET /api/dsr/requests/{requestId}",
		"ListResults":       "GET /api/dsr/requests/{requestId}/results",
		"PutOrder":          "PUT /api/dsr/orders/{name}",
		"ListOrders":        "GET /api/dsr/orders",
		"GetOrder":          "GET /api/dsr/orders/{name}",
		"DeleteOrder":       "DELETE /api/dsr/orders/{name}",
		"GetApiDescription": "GET /api/openapi.json",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("operations\n got %v\nwant %v", got, want)
	}
	if !slices.Equal(doc.Schemes, []string{"https"}) || len(doc.Security) != 2 {
		t.Errorf("schemes %v, security %v", doc.Schemes, doc.Security)
	}
	// An order's request is a request without its id.
	req, ord := doc.Defs["DataSubjectRequest"].Properties, doc.Defs["OrderRequest"].Properties
	delete(req, "requestId")
	if fmt.Sprint(req) != fmt.Sprint(ord) {
		t.Errorf("OrderRequest is not DataSubjectRequest without requestId:\n%v\n%v", ord, req)
	}
}

// The order documents of the standing-orders contract validate against
// their schemas, and an order body with a requestId does not.
func TestOrderSchemas(t *testing.T) {
	v := validator(t)
	request := `{"operation":"delete","targets":["` + acc + `"],"match":"subject","subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},"dryRun":false}`
	order := `{"name":"alice-weekly","request":` + request + `,"schedule":{"every":"168h","start":"2026-11-30T18:00:00Z"},` +
		`"createdAt":"2026-11-30T17:00:00Z","updatedAt":"2026-11-30T17:00:00Z","lastRun":{"at":"2026-11-30T18:00:00Z","requestId":"order-alice-weekly-20261130T1800Z"}}`
	for _, c := range []struct {
		schema, doc string
		ok          bool
	}{
		{"OrderBody", `{"request":` + request + `,"schedule":{"every":"24h"}}`, true},
		{"OrderBody", `{"request":` + strings.Replace(request, "{", `{"requestId":"r1",`, 1) + `,"schedule":{"every":"24h"}}`, false},
		{"OrderBody", `{"request":` + request + `,"schedule":{"every":"daily"}}`, false},
		{"Order", order, true},
		{"Order", strings.Replace(order, `"name":"alice-weekly"`, `"name":"Alice"`, 1), false},
		{"OrderList", `{"value":[` + order + `]}`, true},
		{"DataSubjectRequest", `{"operation":"export","targets":["` + acc + `"],"callback":"https://prod-01.westeurope.logic.azure.com/workflows/x/runs/y?sig=z"}`, true},
	} {
		var doc any
		if err := json.Unmarshal([]byte(c.doc), &doc); err != nil {
			t.Fatal(err)
		}
		err := v.Schema(c.schema).VisitJSON(doc)
		if (err == nil) != c.ok {
			t.Errorf("%s %.90s: %v, want ok=%v", c.schema, c.doc, err, c.ok)
		}
	}
}

// The check can fail: a document that says something else about a real
// answer rejects it, and so do an undocumented status and a success sent
// as a problem document.
func TestValidatorCatchesDrift(t *testing.T) {
	b := setup(t)
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/dsr/requests", strings.NewReader(`{"operation":"export","targets":["`+rg+`"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := unvalidated().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := validator(t).Check(req, resp.StatusCode, resp.Header, body); err != nil {
		t.Fatalf("the real answer does not validate: %v", err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"a count typed as text", `"discovered": {
          "type": "integer"`, `"discovered": {
          "type": "string"`},
		{"a field the document does not name", `"dryRun": {
          "type": "boolean",
          "x-ms-summary": "Dry run"
        },`, ``},
		{"a state the document does not list", `"accepted",
            "running",`, `"running",`},
	} {
		doc := strings.Replace(string(api.OpenAPI), c.old, c.new, 1)
		if doc == string(api.OpenAPI) {
			t.Fatalf("%s: the mutation does not apply", c.name)
		}
		v, err := openapitest.New([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := v.Check(req, resp.StatusCode, resp.Header, body); err == nil {
			t.Errorf("%s: the answer still validates", c.name)
		}
	}
	v := validator(t)
	if err := v.Check(req, http.StatusTeapot, resp.Header, body); err == nil {
		t.Error("an undocumented status validates")
	}
	h := resp.Header.Clone()
	h.Set("Content-Type", "application/problem+json")
	if err := v.Check(req, resp.StatusCode, h, body); err == nil {
		t.Error("a 202 sent as a problem document validates")
	}
	h = resp.Header.Clone()
	h.Del("Location")
	if err := v.Check(req, resp.StatusCode, h, body); err == nil {
		t.Error("a 202 without Location validates")
	}
}

var _ queue.Sender = (*failingQueue)(nil)
