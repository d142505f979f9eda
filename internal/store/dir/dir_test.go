package dir_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amldsr/internal/store"
	"amldsr/internal/store/dir"
	"amldsr/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := dir.Open(t.TempDir(), "dsr")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The contract's layout is visible under <root>/<container>/ with nothing
// else in it: no temporary or metadata files.
func TestLayoutHoldsOnlyBlobs(t *testing.T) {
	root := t.TempDir()
	s, err := dir.Open(root, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Put(ctx, "requests/r1/request.json", strings.NewReader("{}"), store.PutOptions{Metadata: map[string]string{"a": "b"}})
	s.Put(ctx, "requests/r1/results/x.json", strings.NewReader("{}"), store.PutOptions{IfNotExists: true})
	var files []string
	filepath.WalkDir(filepath.Join(root, "dsr"), func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if strings.Join(files, ",") != "dsr/requests/r1/request.json,dsr/requests/r1/results/x.json" {
		t.Fatalf("files under the container: %v", files)
	}
	entries, _ := os.ReadDir(filepath.Join(root, ".tmp"))
	if len(entries) != 0 {
		t.Fatalf("temporary files left: %d", len(entries))
	}
}
