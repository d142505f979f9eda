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
// none), counts documents, and prints what is left, each index's
// documents in order, the indices that are not valid, how often every
// index was rebuilt, the counts, and the property whose index a count used.
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
const idx = {};
for (const k of Object.keys(c.binaryIndices)) idx[k] = c.binaryIndices[k].values.map((p) => c.data[p].$loki);
console.log(JSON.stringify({
  left: c.data.map((d) => [d.$loki, d.containerName, d.name, d.snapshot]),
  idx, invalid: c.checkAllIndexes({validateSort: true, repair: false}), single,
  counts, countsOther, firstProps,
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

// The preload of StartAzuriteScaled removes and counts the same documents
// as LokiJS does without it and leaves the same, valid indices, without
// rebuilding them for a one-document delete and with a count that starts
// from the index of name.
func TestAzuritePreloadRemovesAndCountsLikeLokiJS(t *testing.T) {
	plain, fast := runLoki(t, false), runLoki(t, true)
	if plain.Single == 0 {
		t.Fatalf("LokiJS no longer rebuilds its indices on a one-document findAndRemove: the preload may be unneeded")
	}
	if fast.Single != 0 {
		t.Errorf("with the preload, one-document deletes rebuilt the indices %d times, want 0", fast.Single)
	}
	if len(plain.Left) >= 301 {
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
