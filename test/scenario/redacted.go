package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// withoutRedacted returns doc (decoded JSON) less what a record's
// "redacted" says was removed: a property at a path ("a.b[0].c", odd
// names as ["a.b"], the document itself as "$"), or, for a path ending in
// "?sig", the sig parameter of the URL there. Every listed path must exist:
// a record does not name what was not there.
func withoutRedacted(doc any, paths []string) (any, error) {
	for _, p := range paths {
		var err error
		if doc, err = removePath(doc, p); err != nil {
			return nil, fmt.Errorf("redacted %q: %w", p, err)
		}
	}
	return doc, nil
}

func removePath(doc any, p string) (any, error) {
	p, sig := strings.CutSuffix(p, "?sig")
	steps, err := splitPath(p)
	if err != nil {
		return nil, err
	}
	if len(steps) == 0 { // the document itself
		if !sig {
			return nil, fmt.Errorf("the whole document removed")
		}
		s, ok := doc.(string)
		if u, found := stripSigParam(s); ok && found {
			return u, nil
		}
		return nil, fmt.Errorf("no signed URL")
	}
	parent := doc
	for _, s := range steps[:len(steps)-1] {
		if parent = child(parent, s); parent == nil {
			return nil, fmt.Errorf("no %v", s)
		}
	}
	last := steps[len(steps)-1]
	if sig {
		s, ok := child(parent, last).(string)
		u, found := stripSigParam(s)
		if !ok || !found {
			return nil, fmt.Errorf("no signed URL")
		}
		switch c := parent.(type) {
		case map[string]any:
			c[last.(string)] = u
		case []any:
			c[last.(int)] = u
		}
		return doc, nil
	}
	m, ok := parent.(map[string]any)
	name, isName := last.(string)
	if _, present := m[name]; !ok || !isName || !present {
		return nil, fmt.Errorf("nothing there")
	}
	delete(m, name)
	return doc, nil
}

func child(v any, step any) any {
	switch s := step.(type) {
	case string:
		m, _ := v.(map[string]any)
		return m[s]
	case int:
		a, _ := v.([]any)
		if s < len(a) {
			return a[s]
		}
	}
	return nil
}

// splitPath turns "a.b[0][\"c.d\"]" into "a", "b", 0, "c.d".
func splitPath(p string) ([]any, error) {
	var out []any
	if p == "$" {
		return nil, nil
	}
	for p != "" {
		switch {
		case strings.HasPrefix(p, `["`):
			end := strings.Index(p, `"]`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated name")
			}
			name, err := strconv.Unquote(p[1 : end+1])
			if err != nil {
				return nil, err
			}
			out, p = append(out, name), p[end+2:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			i, err := strconv.Atoi(p[1:max(end, 1)])
			if end < 0 || err != nil {
				return nil, fmt.Errorf("bad index in %q", p)
			}
			out, p = append(out, i), p[end+1:]
		default:
			p = strings.TrimPrefix(p, ".")
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out, p = append(out, p[:end]), p[end:]
		}
	}
	return out, nil
}

// stripSigParam drops the sig parameter of URL u.
func stripSigParam(u string) (string, bool) {
	base, query, ok := strings.Cut(u, "?")
	if !ok {
		return u, false
	}
	var keep []string
	found := false
	for _, part := range strings.Split(query, "&") {
		if strings.HasPrefix(strings.ToLower(part), "sig=") {
			found = true
			continue
		}
		keep = append(keep, part)
	}
	if len(keep) == 0 {
		return base, found
	}
	return base + "?" + strings.Join(keep, "&"), found
}
