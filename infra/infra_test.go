package infra

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"amldsr/internal/catalog"
	"amldsr/internal/config"
)

// Built-in role definition ids (Azure's list of built-in roles).
const (
	roleServiceBusSender      = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
	roleServiceBusReceiver    = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"
	roleBlobDataOwner         = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
	roleBlobDataContributor   = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	roleMonitoringMetricsPub  = "3913510d-42f4-4e42-8a64-420c390055eb"
	roleOwner                 = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleContributor           = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	roleContributorAsMistyped = "b24988ac-6180-42dd-ab76-ca44c7402a28" // as one brief spelled it; refused too
)

type resource struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Scope      string          `json:"scope"`
	SKU        map[string]any  `json:"sku"`
	Properties json.RawMessage `json:"properties"`
	Resources  []resource      `json:"resources"`
}

type template struct {
	Schema     string                    `json:"$schema"`
	Parameters map[string]map[string]any `json:"parameters"`
	Variables  map[string]any            `json:"variables"`
	Resources  []resource                `json:"resources"`
}

func load(t *testing.T, name string) (template, string) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var tpl template
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tpl, string(raw)
}

// all returns every resource of tpl, nested ones and those of nested
// deployments' inline templates included.
func all(rs []resource) []resource {
	var out []resource
	for _, r := range rs {
		out = append(out, r)
		out = append(out, all(r.Resources)...)
		if strings.EqualFold(r.Type, "Microsoft.Resources/deployments") {
			var p struct {
				Template template `json:"template"`
			}
			_ = json.Unmarshal(r.Properties, &p)
			out = append(out, all(p.Template.Resources)...)
		}
	}
	return out
}

func ofType(rs []resource, typ string) []resource {
	var out []resource
	for _, r := range all(rs) {
		if strings.EqualFold(r.Type, typ) {
			out = append(out, r)
		}
	}
	return out
}

// resolve replaces, in an expression of tpl, every variables('x') whose
// value is a literal string with that string, quoted.
func resolve(tpl template, expr string) string {
	return regexp.MustCompile(`variables\('(\w+)'\)`).ReplaceAllStringFunc(expr, func(m string) string {
		name := m[len("variables('") : len(m)-2]
		if v, ok := tpl.Variables[name].(string); ok && !strings.HasPrefix(v, "[") {
			return "'" + v + "'"
		}
		return m
	})
}

// scopeType turns a scope expression such as
// format('Microsoft.Storage/storageAccounts/{0}', ...) into the resource
// type it names, followed by a quote: Microsoft.Storage/storageAccounts'.
func scopeType(expr string) string {
	return regexp.MustCompile(`/\{\d+\}`).ReplaceAllString(expr, "")
}

func one(t *testing.T, rs []resource, typ string) resource {
	t.Helper()
	got := ofType(rs, typ)
	if len(got) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(got), typ)
	}
	return got[0]
}

func props(t *testing.T, r resource) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Properties, &m); err != nil {
		t.Fatalf("%s %s: properties: %v", r.Type, r.Name, err)
	}
	return m
}

// at walks m along keys.
func at(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// appSettings returns the function app's settings, name to value
// expression, from its appsettings config resource.
func appSettings(t *testing.T, tpl template) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range ofType(tpl.Resources, "Microsoft.Web/sites/config") {
		if !strings.Contains(r.Name, "appsettings") {
			continue
		}
		for k, v := range props(t, r) {
			s, _ := v.(string)
			out[k] = s
		}
	}
	for _, s := range ofType(tpl.Resources, "Microsoft.Web/sites") {
		if list, ok := at(props(t, s), "siteConfig", "appSettings").([]any); ok {
			for _, e := range list {
				out[at(e, "name").(string)], _ = at(e, "value").(string)
			}
		}
	}
	return out
}

func TestEverySettingTheAppReadsIsSet(t *testing.T) {
	tpl, _ := load(t, "azuredeploy.json")
	got := appSettings(t, tpl)
	for _, name := range config.DeploymentSettings {
		if _, ok := got[name]; !ok {
			t.Errorf("app setting %s is not set", name)
		}
	}
	for _, name := range []string{"ServiceBusConnection__credential", "AzureWebJobsStorage__credential"} {
		if got[name] != "managedidentity" {
			t.Errorf("%s = %q, want managedidentity", name, got[name])
		}
	}
	// Identity only: no connection string, no account key anywhere.
	for _, name := range []string{"AzureWebJobsStorage", "ServiceBusConnection", "DSR_STORAGE_CONNECTION_STRING", "FUNCTIONS_WORKER_RUNTIME"} {
		if _, ok := got[name]; ok {
			t.Errorf("app setting %s is set; a Flex Consumption app with identity-based connections must not have it", name)
		}
	}
	if got["DSR_QUEUE"] != "dsr-work" {
		t.Errorf("DSR_QUEUE = %q, want dsr-work", got["DSR_QUEUE"])
	}
	for name, v := range got {
		if strings.Contains(strings.ToLower(v), "listkeys") {
			t.Errorf("app setting %s is built from an account key: %s", name, v)
		}
	}
}

func TestFlexConsumptionCustomHandler(t *testing.T) {
	tpl, _ := load(t, "azuredeploy.json")
	plan := one(t, tpl.Resources, "Microsoft.Web/serverfarms")
	if plan.SKU["name"] != "FC1" || plan.SKU["tier"] != "FlexConsumption" {
		t.Errorf("plan sku %v, want FC1 FlexConsumption", plan.SKU)
	}
	site := one(t, tpl.Resources, "Microsoft.Web/sites")
	if site.Kind != "functionapp,linux" {
		t.Errorf("site kind %q", site.Kind)
	}
	p := props(t, site)
	if at(p, "functionAppConfig", "runtime", "name") != "custom" || at(p, "functionAppConfig", "runtime", "version") != "1.0" {
		t.Errorf("functionAppConfig.runtime = %v, want custom 1.0", at(p, "functionAppConfig", "runtime"))
	}
	st := at(p, "functionAppConfig", "deployment", "storage")
	if at(st, "type") != "blobContainer" || at(st, "authentication", "type") != "UserAssignedIdentity" {
		t.Errorf("deployment storage %v: want a blob container reached with the user-assigned identity", st)
	}
	// The instance limit comes from a parameter bounded by the ARM budget:
	// every instance gets at least one delete per second of the
	// subscription's 10.
	max, _ := at(p, "functionAppConfig", "scaleAndConcurrency", "maximumInstanceCount").(string)
	m := regexp.MustCompile(`parameters\('(\w+)'\)`).FindStringSubmatch(max)
	if m == nil {
		t.Fatalf("maximumInstanceCount %q is not a parameter", max)
	}
	param := tpl.Parameters[m[1]]
	if def, _ := param["defaultValue"].(float64); def < 1 || def > 10 {
		t.Errorf("default instance limit %v, want 1 to 10", param["defaultValue"])
	}
	if mx, _ := param["maxValue"].(float64); mx < 1 || mx > 10 {
		t.Errorf("instance limit allows up to %v; the ARM budget (10 deletes/s per subscription and principal) gives more than 10 instances less than one delete/s each", param["maxValue"])
	}
	got := appSettings(t, tpl)
	for _, name := range []string{"DSR_READS_PER_SECOND", "DSR_DELETES_PER_SECOND"} {
		if !strings.Contains(got[name], m[1]) {
			t.Errorf("%s = %q does not divide the budget by the instance limit %s", name, got[name], m[1])
		}
	}
}

func TestQueueAsTheCodeAssumes(t *testing.T) {
	tpl, _ := load(t, "azuredeploy.json")
	q := one(t, tpl.Resources, "Microsoft.ServiceBus/namespaces/queues")
	if !strings.Contains(resolve(tpl, q.Name), "'dsr-work'") {
		t.Errorf("queue name %q, want dsr-work", q.Name)
	}
	p := props(t, q)
	want := map[string]any{
		"maxDeliveryCount":                 float64(10),
		"lockDuration":                     "PT1M",
		"requiresDuplicateDetection":       false,
		"deadLetteringOnMessageExpiration": true,
		"requiresSession":                  false,
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("queue %s = %v, want %v", k, p[k], v)
		}
	}
}

func guidOf(expr string) string {
	return regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindString(strings.ToLower(expr))
}

func TestRoleAssignmentsAreLeastPrivilege(t *testing.T) {
	tpl, raw := load(t, "azuredeploy.json")
	scopes := map[string][]string{} // role guid -> scopes
	for _, ra := range ofType(tpl.Resources, "Microsoft.Authorization/roleAssignments") {
		p := props(t, ra)
		def, _ := p["roleDefinitionId"].(string)
		g := guidOf(def)
		if g == "" { // through a variable
			if m := regexp.MustCompile(`variables\('(\w+)'\)`).FindStringSubmatch(def); m != nil {
				g = guidOf(at(tpl.Variables, m[1]).(string))
			}
		}
		scopes[g] = append(scopes[g], scopeType(ra.Scope))
		if at(p, "principalType") != "ServicePrincipal" {
			t.Errorf("role assignment %s: principalType %v", ra.Name, at(p, "principalType"))
		}
	}
	want := map[string]string{ // role -> what its scope must name
		roleServiceBusSender:     "'Microsoft.ServiceBus/namespaces/queues'",
		roleServiceBusReceiver:   "'Microsoft.ServiceBus/namespaces/queues'",
		roleBlobDataOwner:        "'Microsoft.Storage/storageAccounts'",
		roleBlobDataContributor:  "'Microsoft.Storage/storageAccounts/blobServices/containers'",
		roleMonitoringMetricsPub: "'Microsoft.Insights/components'",
	}
	for g, sc := range scopes {
		needle, ok := want[g]
		if !ok {
			t.Errorf("role %q is assigned: not one of the roles the app needs", g)
			continue
		}
		if len(sc) != 1 || !strings.Contains(sc[0], needle) {
			t.Errorf("role %s assigned at %q, want once, at a %s", g, sc, strings.Trim(needle, "'"))
		}
	}
	for g := range want {
		if _, ok := scopes[g]; !ok {
			t.Errorf("role %s is not assigned", g)
		}
	}
	for _, name := range []string{"azuredeploy.json", "ml-access.json"} {
		_, raw = load(t, name)
		for _, g := range []string{roleOwner, roleContributor, roleContributorAsMistyped} {
			if strings.Contains(strings.ToLower(raw), g) {
				t.Errorf("%s names role %s (Owner or Contributor)", name, g)
			}
		}
	}
}

// armType returns the ARM resource type of a catalog path:
// ".../providers/NS/a/{x}/b/{y}" is "NS/a/b"; a path without a provider is
// a Microsoft.Resources type (subscriptions, resource groups).
func armType(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	ns, rest := "Microsoft.Resources", segs
	for i := len(segs) - 2; i >= 0; i-- {
		if strings.EqualFold(segs[i], "providers") {
			ns, rest = segs[i+1], segs[i+2:]
			break
		}
	}
	parts := []string{ns}
	for i := 0; i < len(rest); i += 2 {
		parts = append(parts, rest[i])
	}
	return strings.Join(parts, "/")
}

// catalogActions derives, from the catalog, the Azure ML actions the app
// uses: read on every ARM kind it lists or fetches, delete on every ARM
// kind it deletes, read on the run history it asks for a job's creator,
// and read on the location-level status endpoints of the long-running
// deletes of each provider it deletes in. The data planes of the
// Workbench era (model management, experimentation) take the same ARM
// token and are authorized through the account they belong to, whose read
// and delete are in the list.
func catalogActions() []string {
	set := map[string]bool{
		"Microsoft.MachineLearningServices/workspaces/experiments/runs/read": true,
	}
	for _, k := range catalog.Kinds() {
		if k.Host != catalog.ARM {
			continue
		}
		if k.Role == catalog.Scope {
			if k.List != "" {
				set[armType(string(k.List))+"/read"] = true
			}
			continue
		}
		typ := armType(string(k.Path))
		set[typ+"/read"] = true
		if k.Delete == catalog.Direct {
			set[typ+"/delete"] = true
			set[strings.SplitN(typ, "/", 2)[0]+"/locations/*/read"] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func TestCustomRoleHasExactlyTheCatalogsActions(t *testing.T) {
	tpl, _ := load(t, "ml-access.json")
	if !strings.Contains(tpl.Schema, "subscriptionDeploymentTemplate") {
		t.Errorf("ml-access.json is deployed at subscription scope; $schema %q", tpl.Schema)
	}
	def := one(t, tpl.Resources, "Microsoft.Authorization/roleDefinitions")
	p := props(t, def)
	if at(p, "type") != "CustomRole" {
		t.Errorf("role type %v", at(p, "type"))
	}
	perms, _ := at(p, "permissions").([]any)
	if len(perms) != 1 {
		t.Fatalf("%d permission blocks, want 1", len(perms))
	}
	var got []string
	for _, a := range at(perms[0], "actions").([]any) {
		got = append(got, a.(string))
	}
	for _, key := range []string{"dataActions", "notActions", "notDataActions"} {
		if l, _ := at(perms[0], key).([]any); len(l) != 0 {
			t.Errorf("%s = %v, want none", key, l)
		}
	}
	want := catalogActions()
	lower := func(s []string) []string {
		out := make([]string, len(s))
		for i, a := range s {
			out[i] = strings.ToLower(a)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(lower(got), lower(want)) {
		t.Errorf("custom role actions differ from the catalog's\n got: %q\nwant: %q", got, want)
	}
	for _, a := range got {
		if strings.Contains(a, "*") && !regexp.MustCompile(`^Microsoft\.MachineLearning\w+/locations/\*/read$`).MatchString(a) {
			t.Errorf("action %q has a wildcard", a)
		}
	}
	for _, ra := range ofType(tpl.Resources, "Microsoft.Authorization/roleAssignments") {
		d, _ := props(t, ra)["roleDefinitionId"].(string)
		if guidOf(d) != "" || !strings.Contains(d, "roleDefinitionId") && !strings.Contains(d, "roleDefinitions") {
			t.Errorf("ml-access.json assigns %q, not its own custom role", d)
		}
	}
	if len(ofType(tpl.Resources, "Microsoft.Authorization/roleAssignments")) == 0 {
		t.Error("ml-access.json assigns the custom role nowhere")
	}
}

func TestStorageInsightsAndRetention(t *testing.T) {
	tpl, _ := load(t, "azuredeploy.json")
	ai := one(t, tpl.Resources, "Microsoft.Insights/components")
	if ws, _ := props(t, ai)["WorkspaceResourceId"].(string); !strings.Contains(ws, "Microsoft.OperationalInsights/workspaces") {
		t.Errorf("Application Insights is not workspace-based: %q", ws)
	}
	one(t, tpl.Resources, "Microsoft.OperationalInsights/workspaces")
	one(t, tpl.Resources, "Microsoft.ManagedIdentity/userAssignedIdentities")
	var names []string
	for _, c := range ofType(tpl.Resources, "Microsoft.Storage/storageAccounts/blobServices/containers") {
		names = append(names, resolve(tpl, c.Name))
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, "'dsr')]") }) {
		t.Errorf("no results container dsr among %q", names)
	}
	for _, sa := range ofType(tpl.Resources, "Microsoft.Storage/storageAccounts") {
		p := props(t, sa)
		if p["allowSharedKeyAccess"] != false || p["allowBlobPublicAccess"] != false {
			t.Errorf("storage account %s allows shared keys or public blobs", sa.Name)
		}
	}
	pol := one(t, tpl.Resources, "Microsoft.Storage/storageAccounts/managementPolicies")
	rule := at(props(t, pol), "policy", "rules")
	rules, _ := rule.([]any)
	if len(rules) == 0 {
		t.Fatal("no lifecycle rule")
	}
	del, _ := at(rules[0], "definition", "actions", "baseBlob", "delete", "daysAfterModificationGreaterThan").(string)
	if !strings.Contains(del, "parameters('retentionDays')") {
		t.Errorf("lifecycle delete after %q, want the retentionDays parameter", del)
	}
}

func TestReadmeHasDeployButton(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"https://portal.azure.com/#create/Microsoft.Template/uri/", "infra%2Fazuredeploy.json", "make deploy RG="} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("README lacks %q", s)
		}
	}
}
