package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

var (
	rows   = append(append([]*Kind{}, seedRows...), currentRows()...)
	byName = func() map[string]*Kind {
		m := make(map[string]*Kind, len(rows))
		for _, k := range rows {
			if m[k.Name] != nil {
				panic("catalog: two rows named " + k.Name)
			}
			m[k.Name] = k
		}
		return m
	}()
)

// Lookup returns the kind called name, or nil.
func Lookup(name string) *Kind { return byName[name] }

// Kinds returns every row of the catalog.
func Kinds() []*Kind { return rows }

// Ref is one resource (or scope) of a kind: its catalog path and the
// parameters parsed from it.
type Ref struct {
	Kind   *Kind
	Path   string
	Params map[string]string
}

// NewRef parses path as an item of kind; it validates every parameter.
func NewRef(kind, path string) (Ref, error) {
	k := Lookup(kind)
	if k == nil {
		return Ref{}, fmt.Errorf("unknown kind %q", kind)
	}
	params, err := k.Path.Match(path)
	if err != nil {
		return Ref{}, err
	}
	canonical, err := k.Path.Build(params)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: k, Path: canonical, Params: params}, nil
}

// ParseTarget maps an ARM resource id to the catalog: a subscription, a
// resource group, or any ARM-hosted kind. Names must pass ValidName, and
// the path must be in canonical form apart from the case of keywords: no
// empty segment, no trailing '/', no query.
func ParseTarget(id string) (Ref, error) {
	if strings.ContainsAny(id, "?#%\\") || strings.HasSuffix(id, "/") || strings.Contains(id, "//") {
		return Ref{}, fmt.Errorf("%q is not an ARM resource id: no query, fragment, percent-encoding, backslash, empty segment or trailing '/'", id)
	}
	if !strings.HasPrefix(strings.ToLower(id), "/subscriptions/") {
		return Ref{}, fmt.Errorf("%q is not an absolute ARM resource id (it must start with /subscriptions/)", id)
	}
	for _, k := range rows {
		if k.Host != ARM || k.SupersededBy != "" {
			continue
		}
		params, err := k.Path.Match(id)
		if err != nil {
			continue
		}
		for name, v := range params {
			if err := ValidName(v); err != nil {
				return Ref{}, fmt.Errorf("%s: %w", name, err)
			}
		}
		path, err := k.Path.Build(params)
		if err != nil {
			return Ref{}, err
		}
		return Ref{Kind: k, Path: path, Params: params}, nil
	}
	return Ref{}, fmt.Errorf("%q is not a resource the catalog knows (a subscription, a resource group, or an Azure ML resource of a known type)", id)
}

// ListPath is the catalog path of child's collection under r. extra supplies
// parameters that no ancestor holds (the subject's objectId).
func (r Ref) ListPath(child *Kind, extra map[string]string) (string, error) {
	params := maps.Clone(r.Params)
	maps.Copy(params, child.Fixed)
	maps.Copy(params, extra)
	return child.List.Build(params)
}

// Item turns one raw list item of child's collection at listPath into a
// Ref. An ARM item is identified by its full id, which must lie under the
// collection it was listed from; other items by the field child.Key.
func Item(child *Kind, listPath string, raw json.RawMessage) (Ref, error) {
	listParams, err := child.List.Match(listPath)
	if err != nil {
		return Ref{}, err
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Ref{}, fmt.Errorf("list item is not a JSON object: %w", err)
	}
	key, _ := fields[child.Key].(string)
	if key == "" {
		return Ref{}, fmt.Errorf("list item has no string %q", child.Key)
	}
	if child.Host == ARM && child.Key == "id" {
		return armItem(child, listParams, key)
	}
	params := maps.Clone(listParams)
	params[lastParam(child.Path)] = key
	path, err := child.Path.Build(params)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: child, Path: path, Params: params}, nil
}

func armItem(child *Kind, listParams map[string]string, id string) (Ref, error) {
	params, err := child.Path.Match(id)
	if err != nil {
		return Ref{}, fmt.Errorf("item id: %w", err)
	}
	for name, v := range listParams {
		if !strings.EqualFold(params[name], v) {
			return Ref{}, fmt.Errorf("item id %q lies outside the collection listed (%s %q)", id, name, v)
		}
		params[name] = v
	}
	path, err := child.Path.Build(params)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Kind: child, Path: path, Params: params}, nil
}

func lastParam(t Template) string {
	names := t.Params()
	return names[len(names)-1]
}

// Ancestor returns the ref of kind that r lies under (the account of a
// project, say), built from r's parameters.
func (r Ref) Ancestor(kind string) (Ref, error) {
	k := Lookup(kind)
	if k == nil {
		return Ref{}, fmt.Errorf("unknown kind %q", kind)
	}
	path, err := k.Path.Build(r.Params)
	if err != nil {
		return Ref{}, err
	}
	return NewRef(kind, path)
}
