package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// appearKinds are the kinds whose deletes make a sibling appear while the
// delete runs (Options.Appear): a pipeline registering models, a project
// created by a script, a schedule starting jobs.
var appearKinds = map[string]bool{KindModel: true, KindProject: true, KindAMLJob: true}

// appearBeside puts a copy of it next to it, under its name plus
// "-late<N>", while Options.Appear allows. The caller holds s.mu.
func (s *Server) appearBeside(it *item) {
	if !appearKinds[it.kind] || len(s.appeared) >= s.opts.Appear {
		return
	}
	dir, name, ok := cutLast(it.path)
	if !ok || strings.Contains(name, "-late") {
		return
	}
	newName := name + "-late" + strconv.Itoa(len(s.appeared)+1)
	newPath := dir + "/" + newName
	var doc map[string]any
	if json.Unmarshal(it.doc, &doc) != nil {
		return
	}
	for _, f := range []string{"id", "name"} {
		switch v, _ := doc[f].(string); {
		case v == it.path:
			doc[f] = newPath
		case v == name:
			doc[f] = newName
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return
	}
	clone, err := newItem(it.kind, newPath, b)
	if err != nil {
		return
	}
	s.st.put(clone)
	s.appeared = append(s.appeared, newPath)
}

func cutLast(p string) (dir, name string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// Appeared returns the paths of the items that appeared while deletes ran.
func (s *Server) Appeared() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.appeared...)
}

// adminAppeared answers GET /_sim/appeared.
func (s *Server) adminAppeared(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeARM, r)
	}
	return jsonResponse(http.StatusOK, s.Appeared())
}
