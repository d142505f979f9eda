package worker

import (
	"bytes"
	"encoding/json"
	"strings"
)

// redact removes the dotted paths (properties.credentials.secrets) from a
// JSON document and says which it removed. A document without them is
// returned as it was, byte for byte.
func redact(doc []byte, paths []string) ([]byte, []string) {
	if len(paths) == 0 {
		return doc, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) != nil {
		return doc, nil
	}
	var removed []string
	for _, p := range paths {
		if remove(v, strings.Split(p, ".")) {
			removed = append(removed, p)
		}
	}
	if len(removed) == 0 {
		return doc, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return doc, nil
	}
	return out, removed
}

func remove(m map[string]any, path []string) bool {
	if len(path) == 1 {
		_, ok := m[path[0]]
		delete(m, path[0])
		return ok
	}
	next, ok := m[path[0]].(map[string]any)
	return ok && remove(next, path[1:])
}
