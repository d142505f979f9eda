package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"amldsr/internal/store"
)

// Result is what Verify found. A bundle verifies when OK.
type Result struct {
	RequestID string
	Root      string // the manifest's root
	Listed    int    // files the manifest lists
	Checked   int    // listed files found and hashed
	// Missing lists the files the manifest lists that are absent (and not
	// purged); Extra the files it does not list; Changed the listed files
	// whose size or hash differ; Purged the listed files that are absent
	// because purged.json says the retention purge removed them.
	Missing, Extra, Purged []string
	Changed                []Change
	// Problems are findings about the manifest itself: its root, its
	// hash against summary.json's manifestSha256, a missing manifest or
	// summary.
	Problems []string
}

// Change is one listed file that differs.
type Change struct {
	Name   string
	Reason string
}

// OK reports whether the bundle matches its manifest exactly.
func (r *Result) OK() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Changed) == 0 && len(r.Problems) == 0
}

// Verify checks the bundle in src against its manifest.json and
// summary.json. An error means the bundle could not be read; what is wrong
// with a readable bundle is in the Result.
func Verify(ctx context.Context, src Source) (*Result, error) {
	r := &Result{}
	raw, err := readAll(ctx, src, Name)
	if errors.Is(err, store.ErrNotFound) {
		r.Problems = append(r.Problems, "no manifest.json: nothing to verify against")
		return r, nil
	} else if err != nil {
		return nil, err
	}
	m, err := Parse(raw)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r, nil
	}
	r.RequestID, r.Root, r.Listed = m.RequestID, m.Root, len(m.Files)
	if err := checkOrder(m.Files); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	if root := RootOf(m.Files); root != m.Root {
		r.Problems = append(r.Problems, fmt.Sprintf("root mismatch: the listed files give %s, the manifest says %s", root, m.Root))
	}
	if err := checkSummary(ctx, src, Digest(raw), r); err != nil {
		return nil, err
	}
	purged, err := purgedFiles(ctx, src)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(ctx, src, m, purged, r); err != nil {
		return nil, err
	}
	return r, nil
}

func checkOrder(files []File) error {
	for i := 1; i < len(files); i++ {
		if files[i-1].Name >= files[i].Name {
			return fmt.Errorf("manifest files not in byte order of name at %q", files[i].Name)
		}
	}
	return nil
}

// checkSummary compares summary.json's manifestSha256 with the manifest's
// bytes.
func checkSummary(ctx context.Context, src Source, digest string, r *Result) error {
	raw, err := readAll(ctx, src, Summary)
	if errors.Is(err, store.ErrNotFound) {
		r.Problems = append(r.Problems, "no summary.json: the manifest's hash is not anchored")
		return nil
	} else if err != nil {
		return err
	}
	var sum struct {
		ManifestSHA256 string `json:"manifestSha256"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		r.Problems = append(r.Problems, "summary.json: "+err.Error())
		return nil
	}
	if sum.ManifestSHA256 != digest {
		r.Problems = append(r.Problems, fmt.Sprintf("manifest-vs-summary mismatch: manifest.json hashes to %s, summary.json says manifestSha256 %q", digest, sum.ManifestSHA256))
	}
	return nil
}

// purgedFiles reads the names purged.json lists (none without it).
func purgedFiles(ctx context.Context, src Source) (map[string]bool, error) {
	raw, err := readAll(ctx, src, Purged)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var p struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("purged.json: %w", err)
	}
	out := make(map[string]bool, len(p.Files))
	for _, f := range p.Files {
		out[f] = true
	}
	return out, nil
}

// checkFiles walks the bundle: every listed file is hashed, every other
// one is extra, and what the walk did not find is missing or purged.
func checkFiles(ctx context.Context, src Source, m *Manifest, purged map[string]bool, r *Result) error {
	listed := make(map[string]File, len(m.Files))
	for _, f := range m.Files {
		listed[f.Name] = f
	}
	seen := map[string]bool{}
	err := src.Walk(ctx, func(name string, size int64) error {
		if Unlisted(name) {
			return nil
		}
		f, ok := listed[name]
		if !ok {
			r.Extra = append(r.Extra, name)
			return nil
		}
		seen[name] = true
		r.Checked++
		if size != f.Size {
			r.Changed = append(r.Changed, Change{name, fmt.Sprintf("size %d, the manifest says %d", size, f.Size)})
			return nil
		}
		sum, n, err := hashOf(ctx, src, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if sum != f.SHA256 || n != f.Size {
			r.Changed = append(r.Changed, Change{name, fmt.Sprintf("sha256 %s, the manifest says %s", sum, f.SHA256)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range m.Files {
		switch {
		case seen[f.Name]:
		case purged[f.Name]:
			r.Purged = append(r.Purged, f.Name)
		default:
			r.Missing = append(r.Missing, f.Name)
		}
	}
	slices.Sort(r.Extra)
	slices.SortFunc(r.Changed, func(a, b Change) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

func readAll(ctx context.Context, src Source, name string) ([]byte, error) {
	rc, err := src.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(store.ContextReader(ctx, rc))
}
