package scenario

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// DirBundle reads blobs from a local store under dataDir/container.
func DirBundle(dataDir, container string) func(t testing.TB, prefix string) map[string][]byte {
	return func(t testing.TB, prefix string) map[string][]byte {
		t.Helper()
		root := filepath.Join(dataDir, container, filepath.FromSlash(prefix))
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = b
			return nil
		})
		if err != nil {
			t.Fatalf("reading the bundle: %v", err)
		}
		return out
	}
}
