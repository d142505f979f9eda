// Package examples holds samples for users (Logic App workflows); its tests
// check that the samples call amldsr as its OpenAPI document describes it.
package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
)

// amldsrBase is how the workflows spell amldsr's base URL.
const amldsrBase = "@{parameters('amldsrUrl')}"

// sample is what the expressions the workflows use evaluate to in a run:
// a trigger body as the trigger's schema allows, the run's name, a callback
// URL as Logic Apps makes one.
var sample = map[string]any{
	"triggerBody()": map[string]any{
		"operation": "delete",
		"targets":   []any{"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/workspaces/ws-shared"},
		"subject":   map[string]any{"objectId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "userPrincipalName": "alice@contoso.com"},
	},
	"workflow()":              map[string]any{"run": map[string]any{"name": "08584623546278915744216402585CU12"}},
	"listCallbackUrl()":       "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b/runs/08584623546278915744216402585CU12/actions/Submit/run?api-version=2016-06-01&sp=%2Fruns%2F08584623546278915744216402585CU12&sv=1.0&sig=abc",
	"parameters('amldsrKey')": "k3y",
}

// call is one HTTP call a workflow makes.
type call struct {
	action, method, uri string
	body                any // nil when the call sends none
}

type workflow struct {
	file     string
	def      map[string]any
	actions  map[string]map[string]any // every action, nested ones included
	calls    []call
	triggerP map[string]any // the trigger schema's properties
}

func load(t *testing.T, name string) *workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("logicapp", name))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Definition map[string]any `json:"definition"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	w := &workflow{file: name, def: file.Definition, actions: map[string]map[string]any{}}
	if s, _ := w.def["$schema"].(string); !strings.Contains(s, "Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json") {
		t.Fatalf("%s: not a workflow definition ($schema %q)", name, s)
	}
	w.collect(t, get(w.def, "actions"))
	manual, _ := get(w.def, "triggers")["manual"].(map[string]any)
	w.triggerP = get(get(get(manual, "inputs"), "schema"), "properties")
	return w
}

func get(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

// collect walks actions, the actions of a Switch's cases and default, of
// an If's else, and of scopes and loops.
func (w *workflow) collect(t *testing.T, actions map[string]any) {
	for name, a := range actions {
		act := a.(map[string]any)
		w.actions[name] = act
		in := get(act, "inputs")
		switch act["type"] {
		case "Http":
			w.calls = append(w.calls, call{name, in["method"].(string), in["uri"].(string), in["body"]})
		case "HttpWebhook":
			for _, part := range []string{"subscribe", "unsubscribe"} {
				if p := get(in, part); len(p) > 0 {
					w.calls = append(w.calls, call{name + "." + part, p["method"].(string), p["uri"].(string), p["body"]})
				}
			}
		case "ApiConnection", "ApiConnectionWebhook":
			// A custom connector's call: the path is relative to basePath.
			w.calls = append(w.calls, call{name, in["method"].(string), amldsrBase + "/api" + in["path"].(string), in["body"]})
		}
		w.collect(t, get(act, "actions"))
		w.collect(t, get(get(act, "else"), "actions"))
		w.collect(t, get(get(act, "default"), "actions"))
		for _, c := range get(act, "cases") {
			w.collect(t, get(c.(map[string]any), "actions"))
		}
	}
}

var interpolation = regexp.MustCompile(`@\{([^}]*)\}`)

// eval evaluates the few expression forms the samples use; anything else
// is an error, so a sample stays checkable.
func eval(expr string) (any, error) {
	expr = strings.TrimSpace(expr)
	if inner, ok := strings.CutPrefix(expr, "encodeUriComponent("); ok {
		return eval(strings.TrimSuffix(inner, ")"))
	}
	for root, v := range sample {
		rest, ok := strings.CutPrefix(expr, root)
		if !ok {
			continue
		}
		for rest != "" {
			m := regexp.MustCompile(`^\??\['([^']+)'\]`).FindStringSubmatch(rest)
			if m == nil {
				return nil, fmt.Errorf("cannot evaluate %q", expr)
			}
			obj, _ := v.(map[string]any)
			v = obj[m[1]]
			rest = rest[len(m[0]):]
		}
		return v, nil
	}
	return nil, fmt.Errorf("cannot evaluate %q", expr)
}

// literal turns a body with expressions into the JSON a run sends.
func literal(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "@") && !strings.HasPrefix(x, "@{") && !strings.HasPrefix(x, "@@") {
			return eval(x[1:])
		}
		var err error
		out := interpolation.ReplaceAllStringFunc(x, func(m string) string {
			r, e := eval(m[2 : len(m)-1])
			if e != nil {
				err = e
			}
			return fmt.Sprint(r)
		})
		return out, err
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			r, err := literal(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := literal(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// amldsrPath is the path an amldsr URI names, each expression standing for
// one path segment; ok is false for a URI that is not amldsr's.
func amldsrPath(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, amldsrBase)
	if !ok {
		return "", false
	}
	rest, _, _ = strings.Cut(interpolation.ReplaceAllString(rest, "x1"), "?")
	return rest, true
}

func validator(t *testing.T) *openapitest.Validator {
	t.Helper()
	v, err := openapitest.New(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every call the sample workflows make to amldsr names an operation of the
// OpenAPI document, and every body they send validates against that
// operation's body schema once its expressions are evaluated; every link
// they compose names a GET operation; nothing else calls a path of amldsr's.
func TestWorkflowsCallRealOperations(t *testing.T) {
	v := validator(t)
	for _, name := range []string{"workflow-poll.json", "workflow-webhook.json"} {
		w := load(t, name)
		ops := map[string]int{}
		for _, c := range w.calls {
			path, ok := amldsrPath(c.uri)
			if !ok {
				if strings.Contains(c.uri, "/api/dsr/") {
					t.Errorf("%s %s: %s calls amldsr's path on another base", name, c.action, c.uri)
				}
				continue
			}
			op := v.Operation(c.method, path)
			if op == "" {
				t.Errorf("%s %s: %s %s names no operation of openapi.json", name, c.action, c.method, path)
				continue
			}
			ops[op]++
			if !strings.Contains(c.uri, "code=@{encodeUriComponent(parameters('amldsrKey'))}") {
				t.Errorf("%s %s: the key is not in the query, so the Location and nextLinks would not carry it", name, c.action)
			}
			schema := v.BodySchema(op)
			if (schema == nil) != (c.body == nil) {
				t.Errorf("%s %s: %s takes a body: %v, the call sends one: %v", name, c.action, op, schema != nil, c.body != nil)
				continue
			}
			if schema == nil {
				continue
			}
			body, err := literal(c.body)
			if err != nil {
				t.Errorf("%s %s: %v", name, c.action, err)
				continue
			}
			if err := schema.VisitJSON(body); err != nil {
				t.Errorf("%s %s: the body does not validate against %s: %v", name, c.action, op, err)
			}
		}
		if ops["SubmitRequest"] != 1 || ops["ListResults"] != 1 {
			t.Errorf("%s: calls %v, want SubmitRequest and ListResults once each", name, ops)
		}
		for _, link := range links(w.def) {
			if path, _ := amldsrPath(link); v.Operation("GET", path) == "" {
				t.Errorf("%s: the link %s names no GET operation", name, link)
			}
		}
		for _, key := range referenced(w.def, "triggerBody()") {
			if _, ok := w.triggerP[key]; !ok {
				t.Errorf("%s: triggerBody()?['%s'] is not in the trigger's schema", name, key)
			}
		}
	}
}

// links returns every string of def that starts with amldsr's base and is
// not a call's URI (a link a workflow stores or shows).
func links(v any) []string {
	var out []string
	var walk func(any, string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case string:
			if strings.HasPrefix(x, amldsrBase) && key != "uri" {
				out = append(out, x)
			}
		case map[string]any:
			for k, e := range x {
				walk(e, k)
			}
		case []any:
			for _, e := range x {
				walk(e, key)
			}
		}
	}
	walk(v, "")
	return out
}

// referenced lists the top-level keys read from root (triggerBody()?['x']).
func referenced(def map[string]any, root string) []string {
	b, _ := json.Marshal(def)
	re := regexp.MustCompile(regexp.QuoteMeta(root) + `\??\['([^']+)'\]`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// The poll sample waits on the asynchronous pattern, the webhook sample on
// a callback; both branch on state with a case for succeeded and failed
// (each a state of the status document) and a default for anything else.
func TestWorkflowsWaitAndBranchOnState(t *testing.T) {
	v := validator(t)
	states := v.Schema("Status").Properties["state"].Value.Enum
	for _, c := range []struct{ file, submit, kind string }{
		{"workflow-poll.json", "Submit_request", "Http"},
		{"workflow-webhook.json", "Submit_and_wait_for_callback", "HttpWebhook"},
	} {
		w := load(t, c.file)
		sub := w.actions[c.submit]
		if sub == nil || sub["type"] != c.kind {
			t.Fatalf("%s: no %s action %s", c.file, c.kind, c.submit)
		}
		if opts, _ := sub["operationOptions"].(string); strings.Contains(opts, "DisableAsyncPattern") {
			t.Errorf("%s: the asynchronous pattern is off", c.file)
		}
		if c.kind == "HttpWebhook" {
			if cb := get(get(get(sub, "inputs"), "subscribe"), "body")["callback"]; cb != "@{listCallbackUrl()}" {
				t.Errorf("%s: the subscribe body's callback is %v, want @{listCallbackUrl()}", c.file, cb)
			}
		}
		var sw map[string]any
		for _, a := range w.actions {
			if a["type"] == "Switch" && a["expression"] == "@body('"+c.submit+"')?['state']" {
				sw = a
			}
		}
		if sw == nil {
			t.Fatalf("%s: no Switch on the state of %s", c.file, c.submit)
		}
		var cases []string
		for _, cs := range get(sw, "cases") {
			val, _ := cs.(map[string]any)["case"].(string)
			cases = append(cases, val)
			if !slices.Contains(states, any(val)) {
				t.Errorf("%s: case %q is not a state of the status document %v", c.file, val, states)
			}
		}
		slices.Sort(cases)
		if !slices.Equal(cases, []string{"failed", "succeeded"}) || len(get(get(sw, "default"), "actions")) == 0 {
			t.Errorf("%s: cases %v and a default with %d actions, want failed, succeeded and a default", c.file, cases, len(get(get(sw, "default"), "actions")))
		}
		if store := w.actions["Store_result_link"]; store == nil || !strings.Contains(fmt.Sprint(get(w.actions["Compose_result_link"], "inputs")), amldsrBase+"/api/dsr/requests/") {
			t.Errorf("%s: the result link is not composed and stored", c.file)
		}
	}
}
