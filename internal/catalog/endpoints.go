package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// Default endpoints: the public Azure cloud.
const (
	DefaultARM             = "https://management.azure.com"
	DefaultModelManagement = "https://{location}.modelmanagement.azureml.net"
	DefaultExperiments     = "https://{location}.experiments.azureml.net"
	DefaultAML             = "https://{location}.api.azureml.ms"
)

// Endpoints are the configured base URLs of the hosts. The data-plane
// ones are templates in which "{location}" is substituted, in the host or
// in the path (the simulator serves all three from one host, routed by
// path). Every URL amldsr sends a token to is built from, or checked
// against, these.
//
// AML is today's Azure ML data plane (run history), DSR_AML_ENDPOINT. It
// may be empty, for callers that build Endpoints by hand: then no URL is
// built on it or allowed to it, and jobs are attributed without their run
// history. Configuration always sets it (default DefaultAML).
type Endpoints struct {
	ARM, ModelManagement, Experiments string
	AML                               string
}

// DefaultEndpoints returns the public-cloud endpoints.
func DefaultEndpoints() Endpoints {
	return Endpoints{ARM: DefaultARM, ModelManagement: DefaultModelManagement, Experiments: DefaultExperiments, AML: DefaultAML}
}

// Validate checks each endpoint: an absolute https URL without query or
// fragment; ARM without {location}, the data planes with exactly one. An
// empty AML is valid (see Endpoints).
func (e Endpoints) Validate() error {
	for _, c := range []struct {
		name, value string
		loc         bool
	}{
		{"DSR_ARM_ENDPOINT", e.ARM, false},
		{"DSR_MODELMANAGEMENT_ENDPOINT", e.ModelManagement, true},
		{"DSR_EXPERIMENTS_ENDPOINT", e.Experiments, true},
		{"DSR_AML_ENDPOINT", e.AML, true},
	} {
		if c.name == "DSR_AML_ENDPOINT" && c.value == "" {
			continue
		}
		n := strings.Count(c.value, "{location}")
		if c.loc && n != 1 {
			return fmt.Errorf("%s: %q must hold {location} exactly once", c.name, c.value)
		}
		if !c.loc && n != 0 {
			return fmt.Errorf("%s: %q must not hold {location}", c.name, c.value)
		}
		u, err := url.Parse(strings.ReplaceAll(c.value, "{location}", "eastus"))
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("%s: %q must be an absolute https URL without user, query or fragment", c.name, c.value)
		}
	}
	return nil
}

func (e Endpoints) template(h Host) string {
	switch h {
	case ModelManagement:
		return e.ModelManagement
	case Experiments:
		return e.Experiments
	case AML:
		return e.AML
	default:
		return e.ARM
	}
}

// Base returns the base URL of host h for location (ignored for ARM). The
// location is normalized and validated first.
func (e Endpoints) Base(h Host, location string) (*url.URL, error) {
	t := e.template(h)
	if t == "" {
		return nil, fmt.Errorf("no endpoint is configured for the %s host", h)
	}
	if h != ARM {
		loc, err := NormalizeLocation(location)
		if err != nil {
			return nil, err
		}
		t = strings.ReplaceAll(t, "{location}", loc)
	}
	u, err := url.Parse(strings.TrimSuffix(t, "/"))
	if err != nil {
		return nil, err
	}
	return u, nil
}

// URL is the request URL of a catalog path of kind k: the base, the
// escaped path, api-version and query. path must be a catalog path (from a
// Ref or ListPath); it is parsed again against tmpl, so nothing unvalidated
// reaches the URL.
func (e Endpoints) URL(k *Kind, tmpl Template, path, location string, query url.Values) (*url.URL, error) {
	escaped, err := tmpl.Escaped(path)
	if err != nil {
		return nil, err
	}
	base, err := e.Base(k.Host, location)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for name, vs := range query {
		q[name] = vs
	}
	if k.APIVersion != "" {
		q.Set("api-version", k.APIVersion)
	}
	u := *base
	u.Path = base.Path + mustUnescape(escaped)
	u.RawPath = base.EscapedPath() + escaped
	u.RawQuery = q.Encode()
	return &u, nil
}

func mustUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// ItemURL is the URL of the GET of item r (r.Kind.Get with its query when
// set, else r.Path).
func (e Endpoints) ItemURL(r Ref, location string) (*url.URL, error) {
	k := r.Kind
	if k.Get == "" {
		return e.URL(k, k.Path, r.Path, location, nil)
	}
	getPath, err := k.Get.Build(r.Params)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for name, param := range k.GetQuery {
		q.Set(name, r.Params[param])
	}
	return e.URL(k, k.Get, getPath, location, q)
}

// Allowed reports whether u may carry a token: https, the host of one of the
// endpoints, and (for a data plane) its path prefix with a valid location in
// place of {location}. nextLinks and polling URLs are checked with it before
// they are followed.
func (e Endpoints) Allowed(u *url.URL) bool {
	if u.Scheme != "https" || u.User != nil {
		return false
	}
	for _, t := range []string{e.ARM, e.ModelManagement, e.Experiments, e.AML} {
		if t != "" && matchesEndpoint(t, u) {
			return true
		}
	}
	return false
}

func matchesEndpoint(tmpl string, u *url.URL) bool {
	base, err := url.Parse(strings.ReplaceAll(strings.TrimSuffix(tmpl, "/"), "{location}", "LOCATIONX"))
	if err != nil {
		return false
	}
	if !matchPart(base.Host, u.Host, strings.EqualFold) {
		return false
	}
	path := u.EscapedPath()
	prefix := base.EscapedPath()
	if !strings.Contains(prefix, "LOCATIONX") {
		return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	i := strings.Index(prefix, "LOCATIONX")
	before, after := prefix[:i], prefix[i+len("LOCATIONX"):]
	if !strings.HasPrefix(path, before) {
		return false
	}
	rest := path[len(before):]
	j := strings.IndexAny(rest, "/")
	if j < 0 {
		j = len(rest)
	}
	if !locationRE.MatchString(rest[:j]) {
		return false
	}
	rest = rest[j:]
	return strings.HasPrefix(rest, after) && (len(rest) == len(after) || after == "" || rest[len(after)] == '/')
}

// matchPart compares a host that may hold the LOCATIONX placeholder with an
// actual host.
func matchPart(pattern, actual string, eq func(a, b string) bool) bool {
	i := strings.Index(pattern, "LOCATIONX")
	if i < 0 {
		return eq(pattern, actual)
	}
	before, after := pattern[:i], pattern[i+len("LOCATIONX"):]
	if len(actual) < len(before)+len(after) {
		return false
	}
	if !eq(actual[:len(before)], before) || !eq(actual[len(actual)-len(after):], after) {
		return false
	}
	return locationRE.MatchString(actual[len(before) : len(actual)-len(after)])
}
