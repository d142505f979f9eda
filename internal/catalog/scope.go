package catalog

import "strings"

// ScopeOf is the ARM path that owns ref: ref's own path for an ARM kind;
// for a data-plane kind, the deepest ARM resource (its account, or a
// workspace or project below it) that ref's parameters name. It is how a
// data-plane document is checked against ARM targets and allowed scopes.
// It returns "" when no ARM owner can be built.
func ScopeOf(ref Ref) string {
	if ref.Kind.Host == ARM {
		return ref.Path
	}
	owner := Lookup(ref.Kind.LocationFrom)
	best := ""
	var visit func(k *Kind)
	visit = func(k *Kind) {
		if k == nil || k.Host != ARM {
			return
		}
		if p, err := k.Path.Build(ref.Params); err == nil && coversParams(k, ref.Params) && len(p) > len(best) {
			best = p
		}
		for _, c := range k.Children {
			visit(Lookup(c))
		}
	}
	visit(owner)
	return best
}

// coversParams reports whether every parameter of k's path is in params.
func coversParams(k *Kind, params map[string]string) bool {
	for _, name := range k.Path.Params() {
		if params[name] == "" {
			return false
		}
	}
	return true
}

// Under reports whether ARM path p is one of scopes or lies below one
// (ARM names compare without case).
func Under(p string, scopes []string) bool {
	p = strings.ToLower(p)
	for _, sc := range scopes {
		sc = strings.ToLower(strings.TrimSuffix(sc, "/"))
		if sc != "" && (p == sc || strings.HasPrefix(p, sc+"/")) {
			return true
		}
	}
	return false
}
