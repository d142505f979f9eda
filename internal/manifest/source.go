package manifest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"amldsr/internal/store"
)

// Source is a request's bundle: its files, named relative to
// requests/{id}/ ("request.json", "results/x.json", "export/...").
type Source interface {
	// Walk calls fn for every file, with its size.
	Walk(ctx context.Context, fn func(name string, size int64) error) error
	// Open reads one file; store.ErrNotFound when it does not exist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// StoreSource is the bundle under prefix ("requests/{id}/") of a store:
// the local store, or a Blob container through store/blob.
func StoreSource(s store.Store, prefix string) Source { return storeSource{s, prefix} }

type storeSource struct {
	s      store.Store
	prefix string
}

func (b storeSource) Walk(ctx context.Context, fn func(string, int64) error) error {
	return store.Walk(ctx, b.s, b.prefix, func(info store.Info) error {
		return fn(strings.TrimPrefix(info.Key, b.prefix), info.Size)
	})
}

func (b storeSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, _, err := b.s.Get(ctx, b.prefix+name)
	return rc, err
}

// DirSource is a bundle in a local folder: a request's folder in the
// local store (.dsr-data/dsr/requests/<id>/) or one the CLI fetched.
func DirSource(dir string) Source { return dirSource(dir) }

type dirSource string

func (d dirSource) Walk(ctx context.Context, fn func(string, int64) error) error {
	root := string(d)
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), info.Size())
	})
}

func (d dirSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	if err := store.ValidKey(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, store.ErrNotFound
	}
	return f, err
}
