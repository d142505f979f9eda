package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// amlTypes returns the Microsoft.MachineLearningServices resource types of
// api-version 2024-04-01, keyed like armTypes. Workspaces and computes also
// answer the seed's 2018-03-01-preview (GET and lists; the 2018 compute
// DELETE keeps its old behaviour, a 2018 workspace DELETE stays 405).
func amlTypes() map[string]*armType {
	const ws = "microsoft.machinelearningservices/workspaces"
	const reg = "microsoft.machinelearningservices/registries"
	// mfe is a long-running delete of mfe.json and registries.json: 202 +
	// Location + Retry-After + x-ms-async-operation-timeout.
	mfe := func(kind string) *armType {
		return &armType{kind: kind, api: apiAML, del: delLocation, timeout: true}
	}
	// asset is a synchronous workspace asset delete (200/204) whose lists
	// honour listViewType on properties.isArchived.
	asset := func(kind string, container bool) *armType {
		return &armType{kind: kind, api: apiAML, del: delSync, view: viewArchived, container: container}
	}
	// regAsset is a long-running registry asset delete.
	regAsset := func(kind string, container bool) *armType {
		t := mfe(kind)
		t.view, t.container = viewArchived, container
		return t
	}
	types := map[string]*armType{
		ws: {kind: KindAMLWorkspace, api: apiAML, del: delLocation, bySub: true, purge: true,
			legacy: apiMLS, legacyDel: delNone},
		ws + "/computes": {kind: KindAMLCompute, api: apiAML, del: delAsync, needAction: true,
			legacy: apiMLS, legacyDel: delAsync},
		ws + "/jobs":                        {kind: KindAMLJob, api: apiAML, del: delLocation, timeout: true, lowerLoc: true, view: viewArchived},
		ws + "/schedules":                   {kind: KindAMLSchedule, api: apiAML, del: delLocation, timeout: true, lowerLoc: true, view: viewEnabled},
		ws + "/onlineendpoints":             mfe(KindAMLOnlineEndpoint),
		ws + "/onlineendpoints/deployments": mfe(KindAMLOnlineDeployment),
		ws + "/batchendpoints":              mfe(KindAMLBatchEndpoint),
		ws + "/batchendpoints/deployments":  mfe(KindAMLBatchDeployment),
		ws + "/datastores":                  {kind: KindAMLDatastore, api: apiAML, del: delSync},
		ws + "/connections":                 {kind: KindAMLConnection, api: apiAML, del: delSync},
		reg:                                 {kind: KindAMLRegistry, api: apiAML, del: delLocation, timeout: true, bySub: true},
	}
	for _, a := range []struct{ coll, container, version, regContainer, regVersion string }{
		{"models", KindAMLModel, KindAMLModelVersion, KindAMLRegModel, KindAMLRegModelVersion},
		{"data", KindAMLData, KindAMLDataVersion, KindAMLRegData, KindAMLRegDataVersion},
		{"environments", KindAMLEnvironment, KindAMLEnvironmentVersion, KindAMLRegEnvironment, KindAMLRegEnvironmentVersion},
		{"components", KindAMLComponent, KindAMLComponentVersion, KindAMLRegComponent, KindAMLRegComponentVersion},
		{"codes", KindAMLCode, KindAMLCodeVersion, KindAMLRegCode, KindAMLRegCodeVersion},
	} {
		types[ws+"/"+a.coll] = asset(a.container, true)
		types[ws+"/"+a.coll+"/versions"] = asset(a.version, false)
		types[reg+"/"+a.coll] = regAsset(a.regContainer, true)
		types[reg+"/"+a.coll+"/versions"] = regAsset(a.regVersion, false)
	}
	return types
}

// viewKeep returns the filter of the request's listViewType for a list
// filtered by f; an unknown value is an error. The value compares
// case-insensitively; absent means ActiveOnly (archive) or EnabledOnly
// (schedules), the spec's defaults.
func viewKeep(r *http.Request, f viewFilter) (func(*item) bool, error) {
	v, _ := queryGet(r, "listViewType")
	switch {
	case strings.EqualFold(v, "All"):
		return nil, nil
	case f == viewArchived && (v == "" || strings.EqualFold(v, "ActiveOnly")):
		return func(it *item) bool { return !it.archived }, nil
	case f == viewArchived && strings.EqualFold(v, "ArchivedOnly"):
		return func(it *item) bool { return it.archived }, nil
	case f == viewEnabled && (v == "" || strings.EqualFold(v, "EnabledOnly")):
		return func(it *item) bool { return !it.disabled }, nil
	case f == viewEnabled && strings.EqualFold(v, "DisabledOnly"):
		return func(it *item) bool { return it.disabled }, nil
	}
	allowed := "ActiveOnly, ArchivedOnly, All"
	if f == viewEnabled {
		allowed = "EnabledOnly, DisabledOnly, All"
	}
	return nil, fmt.Errorf("listViewType %q is not one of %s", v, allowed)
}

// carriedQuery returns the request's query parameters other than
// api-version and the continuation token ($skipToken, $skiptoken, $skip),
// as "&k=v" pairs sorted by name, so that a nextLink keeps the list's
// filters (listViewType, ...) on every page.
func carriedQuery(r *http.Request) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		switch strings.ToLower(k) {
		case "api-version", "$skiptoken", "$skip":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString("&" + queryEscape(k) + "=" + queryEscape(v))
		}
	}
	return b.String()
}

// queryEscape escapes a query component but keeps "$", which ARM
// parameter names ($top, $orderBy) carry.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%24", "$")
}

// checkDeleteQuery validates the query parameters a current-API DELETE of
// typ takes: underlyingResourceAction (required for computes: Delete or
// Detach) and forceToPurge (workspaces: a boolean).
func checkDeleteQuery(r *http.Request, typ *armType) *response {
	if typ.needAction {
		v, ok := queryGet(r, "underlyingResourceAction")
		if !ok || v == "" {
			return badRequest(planeARM, "MissingRequiredQueryParameter",
				"The query parameter 'underlyingResourceAction' (Delete or Detach) is required.")
		}
		if !strings.EqualFold(v, "Delete") && !strings.EqualFold(v, "Detach") {
			return badRequest(planeARM, "InvalidQueryParameterValue",
				"The query parameter 'underlyingResourceAction' must be Delete or Detach, not '"+v+"'.")
		}
	}
	if typ.purge {
		if v, ok := queryGet(r, "forceToPurge"); ok && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return badRequest(planeARM, "InvalidQueryParameterValue",
				"The query parameter 'forceToPurge' must be true or false, not '"+v+"'.")
		}
	}
	return nil
}
