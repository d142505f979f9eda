package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// mapSource is a bundle in memory; Open of broken fails.
type mapSource struct {
	files  map[string]string
	broken string
}

func (m mapSource) Walk(_ context.Context, fn func(string, int64) error) error {
	for n, b := range m.files {
		if err := fn(n, int64(len(b))); err != nil {
			return err
		}
	}
	return nil
}

func (m mapSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	if name == m.broken {
		return nil, errors.New("disk on fire")
	}
	return io.NopCloser(strings.NewReader(m.files[name])), nil
}

// TestBuildHashesEveryFileInPlace: files are read several at a time, and
// each lands at its own name's place with its own hash; a file that cannot
// be read fails the build, naming it.
func TestBuildHashesEveryFileInPlace(t *testing.T) {
	src := mapSource{files: map[string]string{}}
	for i := range 200 {
		src.files[fmt.Sprintf("results/op-%03d.json", i)] = fmt.Sprintf(`{"n":%d}`, i)
	}
	m, err := BuildFrom(context.Background(), src, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 200 {
		t.Fatalf("%d files, want 200", len(m.Files))
	}
	for i, f := range m.Files {
		want := fmt.Sprintf(`{"n":%d}`, i)
		sum := sha256.Sum256([]byte(want))
		if f.Name != fmt.Sprintf("results/op-%03d.json", i) || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(want)) {
			t.Fatalf("file %d: %+v", i, f)
		}
	}
	src.broken = "results/op-137.json"
	if _, err := BuildFrom(context.Background(), src, "r1"); err == nil || !strings.Contains(err.Error(), "op-137") {
		t.Fatalf("build with a broken file: %v, want its error", err)
	}
}
