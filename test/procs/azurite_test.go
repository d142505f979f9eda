package procs

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// lokiScript builds a collection indexed as Azurite's blobs collection,
// removes documents through findAndRemove (one document, two documents,
// none), counts documents and lists prefixes as Azurite does, and prints
// what is left, each index's documents in order, the indices that are not
// valid, how often every index was rebuilt, the counts and listings, and
// the indices a count and a listing used.
const lokiScript = `
const Loki = require('lokijs');
const db = new Loki('t');
const c = db.addCollection('blobs', {indices: ['accountName', 'containerName', 'name', 'snapshot']});
let rebuilt = 0;
const ensureAll = c.ensureAllIndexes;
c.ensureAllIndexes = function (...a) { rebuilt++; return ensureAll.apply(this, a); };
for (let i = 0; i < 300; i++) {
  const name = 'requests/r/' + ((i * 7919) % 300).toString().padStart(3, '0');
  c.insert({accountName: 'a', containerName: i % 3 ? 'dsr' : 'other', name, snapshot: ''});
}
c.insert({accountName: 'a', containerName: 'dsr', name: 'requests/r/001', snapshot: '2026-01-01'});
for (const n of ['150', '000', '299', '042']) c.findAndRemove({accountName: 'a', containerName: 'dsr', name: 'requests/r/' + n});
const single = rebuilt;
const names = ['001', '002', '150', '151', 'absent'].map((n) => 'requests/r/' + n);
const counts = names.map((name) => c.count({accountName: 'a', containerName: 'dsr', name}));
const countsOther = names.map((name) => c.count({accountName: 'a', containerName: 'other', name}));
const firstProps = [];
const range = c.calculateRange;
c.calculateRange = function (op, prop, val) { firstProps.push(prop); return range.apply(this, arguments); };
c.count({accountName: 'a', containerName: 'dsr', name: names[0]});
c.calculateRange = range;
c.findAndRemove({accountName: 'a', containerName: 'dsr', name: 'requests/r/001'});
c.findAndRemove({accountName: 'a', containerName: 'dsr', name: 'requests/r/absent'});
for (const name of ['x/a.b(c)-d', 'x/a.b', 'x/a+b', 'x/a\\b', 'x/a', 'x/b']) c.insert({accountName: 'a', containerName: 'dsr', name, snapshot: ''});
const esc = (s) => s.replace(/[-\/\\^$*+?.()|[\]{}]/g, '\\$&');
const prefixes = ['', 'a', 'z', 'requests/', 'requests/r/', 'requests/r/0', 'requests/r/00', 'requests/r/1', 'requests/r/15',
  'requests/r/150', 'requests/r/151', 'requests/r/299', 'requests/r/3', 'x/', 'x/a', 'x/a.', 'x/a.b(', 'x/a+', 'x/a\\', 'x/b', 'x/c'];
for (const snapshot of ['2026-02-01', '2026-01-01']) c.insert({accountName: 'a', containerName: 'dsr', name: 'x/a.b', snapshot});
// List Blobs with snapshots: the prefix, the marker and its three other
// filters (each where reverses the rows), its sort by name, one page
const byName = (a, b) => (a.name === b.name ? 0 : a.name > b.name ? 1 : -1);
const page = (p, marker, max) => c.chain().find({name: {$regex: '^' + esc(p)}, accountName: 'a', containerName: 'dsr'})
  .where((o) => o.name > marker).where(() => true).where(() => true).where(() => true)
  .sort(byName).offset(0).limit(max).data().map((d) => d.$loki);
const listed = prefixes.map((p) => page(p, '', 1000));
const paged = prefixes.map((p) => {
  const out = [];
  for (let marker = '', rows; (rows = page(p, marker, 7)).length > 0;) {
    out.push(...rows);
    marker = c.get(rows[rows.length - 1]).name;
  }
  return out;
});
const raw = c.chain().find({name: {$regex: '^requests/r/1.'}, accountName: 'a'}).data().map((d) => d.$loki);
const listProps = [];
c.calculateRange = function (op, prop, val) { listProps.push(op + ' ' + prop); return range.apply(this, arguments); };
c.chain().find({name: {$regex: '^' + esc('requests/r/1')}, accountName: 'a', containerName: 'dsr'}).data();
c.calculateRange = range;
const idx = {};
for (const k of Object.keys(c.binaryIndices)) idx[k] = c.binaryIndices[k].values.map((p) => c.data[p].$loki);
console.log(JSON.stringify({
  left: c.data.map((d) => [d.$loki, d.containerName, d.name, d.snapshot]),
  idx, invalid: c.checkAllIndexes({validateSort: true, repair: false}), single,
  counts, countsOther, firstProps, listed, paged, raw, listProps,
}));
`

type lokiResult struct {
	Left    [][]any          `json:"left"`
	Idx     map[string][]int `json:"idx"`
	Invalid []string         `json:"invalid"`
	Single  int              `json:"single"`
	Counts  []int            `json:"counts"`
	Other   []int            `json:"countsOther"`
	First   []string         `json:"firstProps"`
	Listed  [][]int          `json:"listed"`
	Paged   [][]int          `json:"paged"`
	Raw     []int            `json:"raw"`
	ListBy  []string         `json:"listProps"`
}

func runLoki(t *testing.T, preload bool) lokiResult {
	t.Helper()
	args := []string{"-e", lokiScript}
	if preload {
		args = append([]string{"--require", filepath.Join(Root(), "test", "procs", "azurite-scaled.cjs")}, args...)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = NodeModules(t) // require('lokijs') from test/node_modules
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var r lokiResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	return r
}

// The preload of StartAzuriteScaled removes, counts and lists the same
// documents as LokiJS does without it and leaves the same, valid indices,
// without rebuilding them for a one-document delete, with a count that
// starts from the index of name and a prefix listing that reads a range of
// it.
func TestAzuritePreloadRemovesCountsAndListsLikeLokiJS(t *testing.T) {
	plain, fast := runLoki(t, false), runLoki(t, true)
	if plain.Single == 0 {
		t.Fatalf("LokiJS no longer rebuilds its indices on a one-document findAndRemove: the preload may be unneeded")
	}
	if fast.Single != 0 {
		t.Errorf("with the preload, one-document deletes rebuilt the indices %d times, want 0", fast.Single)
	}
	if len(plain.Left) >= 307 {
		t.Fatalf("nothing was removed: %d documents left", len(plain.Left))
	}
	if !jsonEqual(t, plain.Left, fast.Left) {
		t.Errorf("documents left differ:\nplain %v\nfast  %v", plain.Left, fast.Left)
	}
	for k, v := range plain.Idx {
		if !slices.Equal(v, fast.Idx[k]) {
			t.Errorf("index %s differs:\nplain %v\nfast  %v", k, v, fast.Idx[k])
		}
	}
	if len(fast.Idx) != 4 {
		t.Errorf("indices: %d, want 4", len(fast.Idx))
	}
	if len(fast.Invalid) > 0 || len(plain.Invalid) > 0 {
		t.Errorf("invalid indices: %v with the preload, %v without", fast.Invalid, plain.Invalid)
	}
	if !slices.Equal(plain.Counts, fast.Counts) || !slices.Equal(plain.Other, fast.Other) {
		t.Errorf("counts differ: plain %v %v, fast %v %v", plain.Counts, plain.Other, fast.Counts, fast.Other)
	}
	if slices.Equal(plain.Counts, []int{0, 0, 0, 0, 0}) && slices.Equal(plain.Other, []int{0, 0, 0, 0, 0}) {
		t.Errorf("every count is 0: the test counts nothing")
	}
	if !slices.Equal(plain.First, []string{"accountName"}) || !slices.Equal(fast.First, []string{"name"}) {
		t.Errorf("a count starts from the index of %v without the preload and %v with it, want accountName and name", plain.First, fast.First)
	}
	for i := range plain.Listed {
		if !slices.Equal(plain.Listed[i], fast.Listed[i]) {
			t.Errorf("prefix listing %d differs:\nplain %v\nfast  %v", i, plain.Listed[i], fast.Listed[i])
		}
	}
	for i := range plain.Paged {
		if !slices.Equal(plain.Paged[i], fast.Paged[i]) {
			t.Errorf("prefix listing %d in pages of 7 differs:\nplain %v\nfast  %v", i, plain.Paged[i], fast.Paged[i])
		}
	}
	if len(plain.Listed) != 21 || len(plain.Listed[3]) == 0 || len(plain.Listed[16]) != 1 || len(plain.Listed[15]) != 4 || len(plain.Paged[4]) < 150 || len(plain.Paged[4]) != len(plain.Listed[4]) {
		t.Errorf("the prefix listings are not what the script sets up: %v\npaged %v", plain.Listed, plain.Paged)
	}
	if !slices.Equal(plain.Raw, fast.Raw) || len(plain.Raw) == 0 {
		t.Errorf("a pattern that is not a literal prefix lists %v with the preload, %v without", fast.Raw, plain.Raw)
	}
	if len(plain.ListBy) != 0 || !slices.Equal(fast.ListBy, []string{"$between name"}) {
		t.Errorf("a prefix listing uses the indices %v without the preload and %v with it, want none and the range of name", plain.ListBy, fast.ListBy)
	}
	for _, d := range fast.Left {
		if d[1] == "dsr" && slices.Contains([]any{"requests/r/150", "requests/r/000", "requests/r/299", "requests/r/042", "requests/r/001"}, d[2]) {
			t.Errorf("removed document still there: %v", d)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
