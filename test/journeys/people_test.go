package journeys

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// TestPrecisionAndRecall measures per-person requests against the
// simulator's ground truth (mlsim -scenario people: alice, bob and carol
// in a shared workspace and registry, with mixed ownership at every
// level). For each person an export (match "subject") must hold exactly
// their items (shared parents aside, exported as context), and a delete
// (with allowDisplayName) must remove exactly their items that hold
// nobody else's: both 100 % precision and recall, and the simulator's
// deletion log names nobody else's item.
func TestPrecisionAndRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t, "-scenario", "people", "-lro-polls", "0")
	h := procs.StartLocal(t, sim, "")
	api := &procs.API{Base: h.URL}
	bundle := scenario.DirBundle(h.DataDir, "dsr")
	people := []struct{ key, oid, upn, name string }{
		{"alice", scenario.AliceOID, "alice@contoso.com", "Alice Example"},
		{"bob", "bbbbbbbb-2222-3333-4444-555555555555", "bob@contoso.com", "Bob Example"},
		{"carol", "cccccccc-2222-3333-4444-555555555555", "carol@contoso.com", "Carol Example"},
	}
	subject := func(i int) string {
		p := people[i]
		return fmt.Sprintf(`{"objectId":%q,"userPrincipalName":%q,"displayName":%q}`, p.oid, p.upn, p.name)
	}
	submit := func(id, op string, i int, extra string) string {
		t.Helper()
		return api.Submit(t, fmt.Sprintf(`{"requestId":%q,"operation":%q,"targets":[%q,%q],"subject":%s,"match":"subject"%s}`,
			id, op, scenario.WorkspaceID, scenario.RegistryID, subject(i), extra))
	}
	wait := func(id, location string) {
		t.Helper()
		start := time.Now()
		st := api.Poll(t, location, 3*time.Minute)
		if st.State != "succeeded" || st.Counts.Failed != 0 {
			t.Fatalf("%s: %+v", id, st)
		}
		t.Logf("%s: %d steps, done %v after polling began", id, st.Counts.Discovered, time.Since(start).Round(time.Millisecond))
	}
	var rows []measure
	// Every export sees the same data set: all of them first, at once.
	var truths []procs.Truth
	var locations []string
	for i, p := range people {
		truths = append(truths, sim.Truth(t, p.key))
		locations = append(locations, submit(p.key+"-export", "export", i, ""))
	}
	for i, p := range people {
		id := p.key + "-export"
		wait(id, locations[i])
		got := map[string]bool{}
		for name := range bundle(t, "requests/"+id+"/export/") {
			if !strings.Contains(name, "/content/") {
				got["/"+strings.TrimSuffix(name, ".json")] = true
			}
		}
		truth := truths[i]
		rows = append(rows, measured(p.key, "export", got, append(slices.Clone(truth.Delete), truth.ExportOnly...), truth.Shared))
	}
	calls := sim.LogSince(t, 0)
	last := func() int64 {
		if len(calls) == 0 {
			return 0
		}
		return calls[len(calls)-1].Seq
	}
	// Deletes one after the other: each changes what the next person's
	// containers hold, so each one's truth is read just before it.
	for i, p := range people {
		truth := sim.Truth(t, p.key)
		before := present(sim.Documents(t))
		id := p.key + "-delete"
		wait(id, submit(id, "delete", i, `,"allowDisplayName":true`))
		after := present(sim.Documents(t))
		// Deleted: every DELETE the simulator answered with success, and
		// anything that vanished (a cascade would count too).
		got := map[string]bool{}
		during := sim.LogSince(t, last())
		calls = append(calls, during...)
		for _, c := range during {
			if c.Method == http.MethodDelete && !c.Fault && c.Status < 300 {
				if p, ok := before[strings.ToLower(c.Path)]; ok {
					got[p] = true
				} else {
					got[c.Path] = true // not there before: still not theirs
				}
			}
		}
		for k, path := range before {
			if _, ok := after[k]; !ok {
				got[path] = true
			}
		}
		rows = append(rows, measured(p.key, "delete", got, truth.Delete, nil))
	}
	for _, c := range calls {
		if c.Method == http.MethodPut || c.Method == http.MethodPatch {
			t.Errorf("the requests changed an item: %s %s", c.Method, c.Path)
		}
	}
	t.Log("person  operation  TP  FP  FN  precision  recall")
	for _, r := range rows {
		t.Logf("%-7s %-10s %3d %3d %3d  %8.1f%%  %5.1f%%", r.person, r.op, r.tp, len(r.fp), len(r.fn), r.precision(), r.recall())
		if len(r.fp)+len(r.fn) > 0 {
			t.Errorf("%s's %s: not theirs %v; missed %v", r.person, r.op, r.fp, r.fn)
		}
		if r.tp < 10 {
			t.Errorf("%s's %s: only %d items: the data set changed", r.person, r.op, r.tp)
		}
	}
}

// present maps the lower-cased paths of the resources of rg-aml to their
// spelling.
func present(rs []procs.Resource) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		if strings.HasPrefix(r.Kind, "aml.") && strings.Contains(strings.ToLower(r.Path), "/resourcegroups/rg-aml/") {
			out[strings.ToLower(r.Path)] = r.Path
		}
	}
	return out
}

// measure is one row of the table: true positives, and the paths of the
// false positives and false negatives.
type measure struct {
	person, op string
	tp         int
	fp, fn     []string
}

func (m measure) precision() float64 { return 100 * float64(m.tp) / float64(max(m.tp+len(m.fp), 1)) }
func (m measure) recall() float64    { return 100 * float64(m.tp) / float64(max(m.tp+len(m.fn), 1)) }

// measured compares got with want; paths in ignore (shared parents,
// exported as context) count neither way. Paths compare without case.
func measured(person, op string, got map[string]bool, want, ignore []string) measure {
	m := measure{person: person, op: op}
	w, skip := map[string]bool{}, map[string]bool{}
	for _, p := range want {
		w[strings.ToLower(p)] = true
	}
	for _, p := range ignore {
		skip[strings.ToLower(p)] = true
	}
	seen := map[string]bool{}
	for p := range got {
		k := strings.ToLower(p)
		seen[k] = true
		switch {
		case w[k]:
			m.tp++
		case !skip[k]:
			m.fp = append(m.fp, p)
		}
	}
	for _, p := range want {
		if !seen[strings.ToLower(p)] {
			m.fn = append(m.fn, p)
		}
	}
	slices.Sort(m.fp)
	slices.Sort(m.fn)
	return m
}

// TestMeasured: the table's arithmetic (pure, no processes).
func TestMeasured(t *testing.T) {
	for _, c := range []struct {
		got          []string
		want, ignore []string
		tp, fp, fn   int
		prec, rec    float64
	}{
		{[]string{"/A", "/b"}, []string{"/a", "/b"}, nil, 2, 0, 0, 100, 100},
		{[]string{"/a", "/x"}, []string{"/a", "/b"}, nil, 1, 1, 1, 50, 50},
		{[]string{"/a", "/ws"}, []string{"/a"}, []string{"/WS"}, 1, 0, 0, 100, 100},
		{nil, []string{"/a"}, nil, 0, 0, 1, 0, 0},
	} {
		got := map[string]bool{}
		for _, p := range c.got {
			got[p] = true
		}
		m := measured("p", "op", got, c.want, c.ignore)
		if m.tp != c.tp || len(m.fp) != c.fp || len(m.fn) != c.fn || m.precision() != c.prec || m.recall() != c.rec {
			t.Errorf("%v vs %v: %+v %.1f %.1f", c.got, c.want, m, m.precision(), m.recall())
		}
	}
}
