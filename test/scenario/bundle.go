package scenario

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amldsr/internal/store"
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

// StoreBundle reads blobs through a store adapter (Azurite in the tests).
func StoreBundle(s store.Store) func(t testing.TB, prefix string) map[string][]byte {
	return func(t testing.TB, prefix string) map[string][]byte {
		t.Helper()
		out := map[string][]byte{}
		ctx := context.Background()
		err := store.Walk(ctx, s, prefix, func(info store.Info) error {
			b, err := store.ReadAll(ctx, s, info.Key)
			if err != nil {
				return err
			}
			out[strings.TrimPrefix(info.Key, prefix)] = b
			return nil
		})
		if err != nil {
			t.Fatalf("reading the bundle: %v", err)
		}
		return out
	}
}
