package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

const reqID = "r-1"

// bundle is a small request bundle: records, exported documents, content.
var bundle = map[string]string{
	"request.json":                    `{"requestId":"r-1","operation":"export"}`,
	"results/discover.a.json":         `{"outcome":"succeeded"}`,
	"results/export.b.json":           `{"outcome":"succeeded"}`,
	"export/subscriptions/s/m1.json":  `{"name":"m1"}`,
	"export/subscriptions/s/m1.jsonx": `neighbour in byte order`,
	"export/p/content/run/data.bin":   "\x00\x01binary",
	"attribution/job.json":            `{"by":"objectId"}`,
}

func put(t *testing.T, s store.Store, name, body string) {
	t.Helper()
	if err := s.Put(context.Background(), dsr.RequestPrefix(reqID)+name, strings.NewReader(body), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// sealed writes the bundle, its manifest and a summary naming it, as the
// ledger does, and returns the store and the manifest.
func sealed(t *testing.T) (*dir.Store, *Manifest) {
	t.Helper()
	s, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range bundle {
		put(t, s, name, body)
	}
	put(t, s, "report.html", "<p>written after</p>")
	m, err := Build(context.Background(), s, reqID)
	if err != nil {
		t.Fatal(err)
	}
	raw := m.Encode()
	put(t, s, Name, string(raw))
	sum, _ := json.Marshal(map[string]any{"requestId": reqID, "state": "succeeded", "manifestSha256": Digest(raw)})
	put(t, s, Summary, string(sum))
	return s, m
}

// TestBuild: every file but the unlisted ones, in byte order, each with its
// own size and hash, and the root over the lines of the contract.
func TestBuild(t *testing.T) {
	_, m := sealed(t)
	var names []string
	for n := range bundle {
		names = append(names, n)
	}
	slices.Sort(names)
	var got []string
	lines := ""
	for _, f := range m.Files {
		got = append(got, f.Name)
		sum := sha256.Sum256([]byte(bundle[f.Name]))
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(bundle[f.Name])) {
			t.Errorf("%s: %d %s", f.Name, f.Size, f.SHA256)
		}
		lines += fmt.Sprintf("%s %d %s\n", hex.EncodeToString(sum[:]), len(bundle[f.Name]), f.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("files %v, want %v", got, names)
	}
	root := sha256.Sum256([]byte(lines))
	if m.Root != hex.EncodeToString(root[:]) || m.V != 1 || m.Algorithm != "sha256" || m.RequestID != reqID {
		t.Errorf("manifest %+v", m)
	}
	var doc map[string]any
	if err := json.Unmarshal(m.Encode(), &doc); err != nil || len(doc) != 5 {
		t.Errorf("encoded: %v %v", doc, err)
	}
}

// mutation changes a sealed bundle.
type mutation func(t *testing.T, s *dir.Store)

func TestVerify(t *testing.T) {
	edit := func(name, body string) mutation {
		return func(t *testing.T, s *dir.Store) { put(t, s, name, body) }
	}
	remove := func(name string) mutation {
		return func(t *testing.T, s *dir.Store) {
			if err := s.Delete(context.Background(), dsr.RequestPrefix(reqID)+name); err != nil {
				t.Fatal(err)
			}
		}
	}
	purge := func(t *testing.T, s *dir.Store) {
		var files []string
		for n := range bundle {
			if strings.HasPrefix(n, "export/") {
				files = append(files, n)
				remove(n)(t, s)
			}
		}
		b, _ := json.Marshal(map[string]any{"v": 1, "requestId": reqID, "files": files, "count": len(files)})
		put(t, s, Purged, string(b))
	}
	tests := []struct {
		name                   string
		change                 mutation
		missing, extra, purged []string
		changed                []string
		problems               []string // substrings
	}{
		{name: "clean"},
		{name: "report and summary rewritten are not listed", change: edit("report.html", "<p>other</p>")},
		{name: "a changed byte", change: edit("export/subscriptions/s/m1.json", `{"name":"m2"}`), changed: []string{"export/subscriptions/s/m1.json"}},
		{name: "a changed size", change: edit("results/export.b.json", `{"outcome":"failed"}`), changed: []string{"results/export.b.json"}},
		{name: "a missing file", change: remove("export/p/content/run/data.bin"), missing: []string{"export/p/content/run/data.bin"}},
		{name: "an extra file", change: edit("results/late.json", `{}`), extra: []string{"results/late.json"}},
		{name: "purged export", change: purge, purged: []string{"export/p/content/run/data.bin", "export/subscriptions/s/m1.json", "export/subscriptions/s/m1.jsonx"}},
		{name: "purged.json does not excuse a record", change: func(t *testing.T, s *dir.Store) { purge(t, s); remove("request.json")(t, s) },
			missing: []string{"request.json"}, purged: []string{"export/p/content/run/data.bin", "export/subscriptions/s/m1.json", "export/subscriptions/s/m1.jsonx"}},
		{name: "summary names another manifest", change: edit(Summary, `{"manifestSha256":"00"}`), problems: []string{"manifest-vs-summary mismatch"}},
		{name: "no summary", change: remove(Summary), problems: []string{"no summary.json"}},
		{name: "no manifest", change: remove(Name), problems: []string{"no manifest.json"}},
		{name: "manifest root edited", change: func(t *testing.T, s *dir.Store) {
			b, _ := store.ReadAll(context.Background(), s, Blob(reqID))
			put(t, s, Name, strings.Replace(string(b), `"root": "`, `"root": "0`, 1))
		}, problems: []string{"root mismatch", "manifest-vs-summary mismatch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, m := sealed(t)
			if tc.change != nil {
				tc.change(t, s)
			}
			sources := map[string]Source{
				"folder": DirSource(filepath.Join(s.Root(), "requests", reqID)),
				"store":  StoreSource(s, dsr.RequestPrefix(reqID)),
			}
			for kind, src := range sources {
				r, err := Verify(context.Background(), src)
				if err != nil {
					t.Fatalf("%s: %v", kind, err)
				}
				var changed []string
				for _, c := range r.Changed {
					changed = append(changed, c.Name)
				}
				if !slices.Equal(r.Missing, tc.missing) || !slices.Equal(r.Extra, tc.extra) || !slices.Equal(changed, tc.changed) || !slices.Equal(r.Purged, tc.purged) {
					t.Errorf("%s: missing %v extra %v changed %v purged %v; want %v %v %v %v", kind, r.Missing, r.Extra, changed, r.Purged, tc.missing, tc.extra, tc.changed, tc.purged)
				}
				if len(r.Problems) != len(tc.problems) {
					t.Errorf("%s: problems %q, want %q", kind, r.Problems, tc.problems)
				}
				for i, p := range tc.problems {
					if i < len(r.Problems) && !strings.Contains(r.Problems[i], p) {
						t.Errorf("%s: problem %q, want one with %q", kind, r.Problems[i], p)
					}
				}
				wantOK := tc.missing == nil && tc.extra == nil && tc.changed == nil && tc.problems == nil
				if r.OK() != wantOK {
					t.Errorf("%s: OK %v, want %v", kind, r.OK(), wantOK)
				}
				if tc.name == "clean" && (r.Root != m.Root || r.Listed != len(bundle) || r.Checked != len(bundle)) {
					t.Errorf("%s: root %s listed %d checked %d", kind, r.Root, r.Listed, r.Checked)
				}
			}
		})
	}
}

// TestEncodeDeterministic: two builds of one bundle are the same bytes (a
// rebuilt manifest that still matches is recognised by its bytes).
func TestEncodeDeterministic(t *testing.T) {
	s, m := sealed(t)
	again, err := Build(context.Background(), s, reqID)
	if err != nil || !bytes.Equal(again.Encode(), m.Encode()) || !again.Same(m) {
		t.Fatalf("rebuilt manifest differs: %v", err)
	}
}
