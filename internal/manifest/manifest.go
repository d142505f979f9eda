// Package manifest builds and verifies the evidence manifest of a request,
// requests/{id}/manifest.json (ARCHITECTURE, "Contract additions (turn 2)"):
//
//	{"v": 1, "requestId": "...", "algorithm": "sha256",
//	 "files": [{"name": "export/...", "size": 1234, "sha256": "hex"}],
//	 "root": "hex"}
//
// files lists, in byte order of name, every blob under requests/{id}/
// except manifest.json, summary.json and report.html (written after it)
// and purged.json (written later by the retention purge); name is relative
// to requests/{id}/. root is the SHA-256 of the lines
// "<sha256> <size> <name>\n" in that order. summary.json carries
// manifestSha256, the SHA-256 of the manifest blob's bytes.
package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// Names of the files beside the manifest that it does not list.
const (
	Name    = "manifest.json"
	Summary = "summary.json"
	Report  = "report.html"
	Purged  = "purged.json"
)

// Algorithm is the only hash the manifest uses.
const Algorithm = "sha256"

// Manifest is the document of manifest.json.
type Manifest struct {
	V         int    `json:"v"`
	RequestID string `json:"requestId"`
	Algorithm string `json:"algorithm"`
	Files     []File `json:"files"`
	Root      string `json:"root"`
}

// File is one listed file.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Unlisted reports whether name (relative to requests/{id}/) is one of the
// files the manifest never lists.
func Unlisted(name string) bool {
	switch name {
	case Name, Summary, Report, Purged:
		return true
	}
	return false
}

// Blob is the key of id's manifest.
func Blob(id string) string { return dsr.RequestPrefix(id) + Name }

// ReportBlob is the key of id's report.
func ReportBlob(id string) string { return dsr.RequestPrefix(id) + Report }

// RootOf computes the root of files, in the order given.
func RootOf(files []File) string {
	h := sha256.New()
	for _, f := range files {
		rootLine(h, f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// rootLine writes f's line of the root, "<sha256> <size> <name>\n", to h.
func rootLine(h io.Writer, f File) {
	fmt.Fprintf(h, "%s %d %s\n", f.SHA256, f.Size, f.Name)
}

// Encode is the manifest's blob: indented JSON, deterministic for equal
// manifests.
func (m *Manifest) Encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // strings and numbers only
	}
	return append(b, '\n')
}

// Same reports whether m and o list the same files with the same root.
func (m *Manifest) Same(o *Manifest) bool {
	return m.V == o.V && m.RequestID == o.RequestID && m.Algorithm == o.Algorithm && m.Root == o.Root &&
		slices.Equal(m.Files, o.Files)
}

// Digest is the hex SHA-256 of b (manifestSha256 of the manifest's bytes).
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Build lists request id's blobs in s and hashes each, streaming; a blob
// whose metadata carries its hash (WithSum) is not read.
func Build(ctx context.Context, s store.Store, id string) (*Manifest, error) {
	return BuildFrom(ctx, StoreSource(s, dsr.RequestPrefix(id)), id)
}

// BuildFrom builds the manifest of the bundle in src, whole in memory:
// the reference Write is tested against (Encode's bytes). The ledger
// writes a manifest with Write, which holds a window of files.
func BuildFrom(ctx context.Context, src Source, id string) (*Manifest, error) {
	m := &Manifest{V: 1, RequestID: id, Algorithm: Algorithm, Files: []File{}}
	err := walk(ctx, src, func(name string, size int64, sum string) error {
		if !Unlisted(name) {
			m.Files = append(m.Files, File{Name: name, Size: size, SHA256: sum}) // a sum listed with the file, or "" to read
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// byte order, whatever order the source walked in
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	if err := fillSums(ctx, src, m.Files); err != nil {
		return nil, err
	}
	m.Root = RootOf(m.Files)
	return m, nil
}

// walk calls fn for every file of src, with the hash its listing carries
// (a sumWalker) or "".
func walk(ctx context.Context, src Source, fn func(name string, size int64, sum string) error) error {
	if sw, ok := src.(sumWalker); ok {
		return sw.walkSums(ctx, fn)
	}
	return src.Walk(ctx, func(name string, size int64) error { return fn(name, size, "") })
}

// fillSums reads and hashes the files that have no hash yet, in place.
func fillSums(ctx context.Context, src Source, files []File) error {
	var unread []int
	var names []string
	for i, f := range files {
		if f.SHA256 == "" {
			unread, names = append(unread, i), append(names, f.Name)
		}
	}
	hashed := make([]File, len(names))
	if err := hashAll(ctx, src, names, hashed); err != nil {
		return err
	}
	for k, i := range unread {
		files[i] = hashed[k]
	}
	return nil
}

// hashers is how many files BuildFrom reads at a time: a bundle on Blob
// Storage costs a round trip per file, and these overlap.
const hashers = 8

// hashAll hashes names into files (same index), hashers at a time; the
// first error ends it.
func hashAll(ctx context.Context, src Source, names []string, files []File) error {
	return store.Each(ctx, len(names), hashers, func(ctx context.Context, i int) error {
		sum, size, err := hashOf(ctx, src, names[i])
		if err != nil {
			return fmt.Errorf("manifest: %s: %w", names[i], err)
		}
		files[i] = File{Name: names[i], Size: size, SHA256: sum}
		return nil
	})
}

func hashOf(ctx context.Context, src Source, name string) (string, int64, error) {
	rc, err := src.Open(ctx, name)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	return DigestOf(store.ContextReader(ctx, rc))
}

// DigestOf is the hex SHA-256 of what r gives to its end, and its length.
func DigestOf(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Parse reads a manifest's bytes.
func Parse(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.V != 1 || m.Algorithm != Algorithm {
		return nil, fmt.Errorf("manifest: version %d, algorithm %q (want 1, %s)", m.V, m.Algorithm, Algorithm)
	}
	return &m, nil
}
