package procs

import (
	"fmt"
	"net/url"
	"testing"
)

// Truth is GET /_sim/truth?person=: what belongs to one person of the
// simulator's -scenario people, by the simulator's own record of who
// created what (see tools/mlsim/sim.Truth).
type Truth struct {
	Person     string   `json:"person"`
	ObjectID   string   `json:"objectId"`
	Delete     []string `json:"delete"`
	ExportOnly []string `json:"exportOnly"`
	Shared     []string `json:"shared"`
}

// Truth fetches the ground truth of person over what the simulator holds
// now.
func (s *Sim) Truth(t testing.TB, person string) Truth {
	var out Truth
	s.getJSON(t, "/_sim/truth?person="+url.QueryEscape(person), &out)
	return out
}

// Documents lists what the simulator holds now, without artifact content.
func (s *Sim) Documents(t testing.TB) []Resource {
	var out []Resource
	s.getJSON(t, "/_sim/resources?content=false", &out)
	return out
}

// LogSince returns the calls after sequence number seq.
func (s *Sim) LogSince(t testing.TB, seq int64) []Call {
	var out []Call
	s.getJSON(t, fmt.Sprintf("/_sim/log?since=%d", seq), &out)
	return out
}
