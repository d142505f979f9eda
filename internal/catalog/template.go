package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// Template is a path template such as
// "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}".
// A parameter written "{name...}" is a rest parameter: it takes the remaining
// segments (an artifact path such as "outputs/model.pkl") and must be last.
type Template string

type part struct {
	lit   string // literal segment, when param == ""
	param string
	rest  bool
}

func (t Template) parts() []part {
	segs := strings.Split(strings.TrimPrefix(string(t), "/"), "/")
	out := make([]part, 0, len(segs))
	for _, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			name := s[1 : len(s)-1]
			rest := strings.HasSuffix(name, "...")
			out = append(out, part{param: strings.TrimSuffix(name, "..."), rest: rest})
			continue
		}
		out = append(out, part{lit: s})
	}
	return out
}

// Params lists the parameter names of t, in order.
func (t Template) Params() []string {
	var names []string
	for _, p := range t.parts() {
		if p.param != "" {
			names = append(names, p.param)
		}
	}
	return names
}

// Build substitutes params into t. Every value is validated first (see
// ValidSegment and ValidRestPath) and then path-escaped, so no value can add,
// remove or climb a path segment. The result is a catalog path: no host, no
// query.
func (t Template) Build(params map[string]string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts() {
		b.WriteByte('/')
		if p.param == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := params[p.param]
		if !ok {
			return "", fmt.Errorf("template %s: missing parameter %q", t, p.param)
		}
		if p.rest {
			if err := ValidRestPath(v); err != nil {
				return "", fmt.Errorf("parameter %s: %w", p.param, err)
			}
			b.WriteString(v)
			continue
		}
		if err := ValidSegment(v); err != nil {
			return "", fmt.Errorf("parameter %s: %w", p.param, err)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// Escaped returns the path with every parameter segment path-escaped, for use
// in a URL. path must come from Build or Match of the same template.
func (t Template) Escaped(path string) (string, error) {
	params, err := t.Match(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range t.parts() {
		b.WriteByte('/')
		switch {
		case p.param == "":
			b.WriteString(p.lit)
		case p.rest:
			segs := strings.Split(params[p.param], "/")
			for i, s := range segs {
				if i > 0 {
					b.WriteByte('/')
				}
				b.WriteString(url.PathEscape(s))
			}
		default:
			b.WriteString(url.PathEscape(params[p.param]))
		}
	}
	return b.String(), nil
}

// Match parses path against t. Literal segments compare case-insensitively,
// as ARM does; parameter values are validated like Build's.
func (t Template) Match(path string) (map[string]string, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q is not absolute", path)
	}
	segs := strings.Split(path[1:], "/")
	parts := t.parts()
	params := make(map[string]string, len(parts))
	for i, p := range parts {
		if i >= len(segs) {
			return nil, fmt.Errorf("path %q is shorter than %s", path, t)
		}
		switch {
		case p.param == "":
			if !strings.EqualFold(segs[i], p.lit) {
				return nil, fmt.Errorf("path %q does not match %s at %q", path, t, segs[i])
			}
		case p.rest:
			v := strings.Join(segs[i:], "/")
			if err := ValidRestPath(v); err != nil {
				return nil, fmt.Errorf("parameter %s: %w", p.param, err)
			}
			params[p.param] = v
			return params, nil
		default:
			if err := ValidSegment(segs[i]); err != nil {
				return nil, fmt.Errorf("parameter %s: %w", p.param, err)
			}
			params[p.param] = segs[i]
		}
	}
	if len(segs) != len(parts) {
		return nil, fmt.Errorf("path %q is longer than %s", path, t)
	}
	return params, nil
}

// IsPrefixOf reports whether every segment of t is a leading segment of
// other (so other's items live under t's).
func (t Template) IsPrefixOf(other Template) bool {
	a, b := t.parts(), other.parts()
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
