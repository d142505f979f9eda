// Package dir is the local-files adapter of store.Store: local mode with
// no storage account writes the contract's blob layout under
// DSR_DATA_DIR/<container>/.
//
// Writes go to a temporary file under DSR_DATA_DIR/.tmp, are synced, and
// are then renamed (or, create-only, hard-linked) into place, so no
// half-written file is ever visible; the directory is synced before Put
// returns (group commit with concurrent writers), so a blob that was
// acknowledged survives a crash. Metadata lives in an extended
// attribute of the file, written with it (xattr_linux.go), or, where the
// file system has none, in a sidecar tree, DSR_DATA_DIR/.meta/<container>/,
// outside the layout.
package dir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"amldsr/internal/store"
)

// Store keeps blobs as files.
type Store struct {
	root, blobs, meta, tmp, locks string
	// xattr: metadata lives in an extended attribute of each file
	// (xattr_linux.go); without it, in the sidecar tree.
	xattr bool

	now     func() time.Time
	lists   listCache    // sorted listings of flat directories (list.go)
	syncs   dirSyncer    // group commit of directory syncs (dirsync.go)
	scanned atomic.Int64 // directory entries List touched (for tests)
}

var _ store.Store = (*Store)(nil)

// Open prepares root for container.
func Open(root, container string) (*Store, error) {
	if err := store.ValidKey(container); err != nil || strings.Contains(container, "/") {
		return nil, fmt.Errorf("dir store: bad container name %q", container)
	}
	s := &Store{
		root:  root,
		blobs: filepath.Join(root, container),
		meta:  filepath.Join(root, ".meta", container),
		tmp:   filepath.Join(root, ".tmp"),
		locks: filepath.Join(root, ".locks", container),
		now:   time.Now,
	}
	for _, d := range []string{s.blobs, s.meta, s.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dir store: %w", err)
		}
	}
	s.xattr = probeXattr(s.tmp)
	return s, nil
}

// Root is the directory the container's blobs are in.
func (s *Store) Root() string { return s.blobs }

func (s *Store) path(base, key string) string {
	return filepath.Join(base, filepath.FromSlash(key))
}

// Put writes key atomically; see store.Store.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	tmp, err := s.writeTemp(ctx, body, s.xattr, opts.Metadata)
	if err != nil {
		return err
	}
	dst := s.path(s.blobs, key)
	err = s.placeFile(s.blobs, tmp, dst, opts.IfNotExists)
	if err != nil || opts.IfNotExists {
		os.Remove(tmp) // a rename that succeeded left nothing to remove
	}
	s.dropList(filepath.Dir(dst))
	if err != nil || s.xattr {
		return err
	}
	return s.putMeta(key, opts.Metadata)
}

// placeFile moves tmp to dst (under top): a hard link when dst must not
// exist yet (link fails if it does), a rename otherwise, then syncs dst's
// directory (shared with concurrent writers: dirsync.go), so a Put that
// returned is on disk. It retries when a concurrent Delete removed the
// parent directory in between.
func (s *Store) placeFile(top, tmp, dst string, createOnly bool) error {
	for try := 0; ; try++ {
		if err := s.syncs.mkdirs(top, filepath.Dir(dst)); err != nil {
			return err
		}
		var err error
		if createOnly {
			err = os.Link(tmp, dst)
		} else {
			err = os.Rename(tmp, dst)
		}
		switch {
		case err == nil:
			return s.syncs.sync(filepath.Dir(dst))
		case errors.Is(err, fs.ErrExist):
			return store.ErrExists
		case errors.Is(err, fs.ErrNotExist) && try < 3:
			continue
		default:
			return fmt.Errorf("dir store: %w", err)
		}
	}
}

// writeTemp writes body to a synced temporary file; withMeta sets md as
// its extended attribute before the sync.
func (s *Store) writeTemp(ctx context.Context, body io.Reader, withMeta bool, md map[string]string) (string, error) {
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return "", fmt.Errorf("dir store: %w", err)
	}
	_, err = io.Copy(f, store.ContextReader(ctx, body))
	if err == nil && withMeta {
		err = setXattr(f.Name(), md)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("dir store: writing: %w", err)
	}
	return f.Name(), nil
}

func (s *Store) putMeta(key string, md map[string]string) error {
	mp := s.path(s.meta, key)
	if len(md) == 0 {
		os.Remove(mp)
		return nil
	}
	b, _ := json.Marshal(md)
	tmp, err := s.writeTemp(context.Background(), strings.NewReader(string(b)), false, nil)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return s.placeFile(s.meta, tmp, mp, false)
}

func (s *Store) readMeta(key string) map[string]string {
	if s.xattr {
		if md, ok := getXattr(s.path(s.blobs, key)); ok {
			return md
		}
	}
	b, err := os.ReadFile(s.path(s.meta, key))
	if err != nil {
		return nil
	}
	var md map[string]string
	if json.Unmarshal(b, &md) != nil {
		return nil
	}
	return md
}

// Get opens key; see store.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	if err := store.ValidKey(key); err != nil {
		return nil, store.Info{}, err
	}
	f, err := os.Open(s.path(s.blobs, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, store.Info{}, store.ErrNotFound
	}
	if err != nil {
		return nil, store.Info{}, fmt.Errorf("dir store: %w", err)
	}
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		f.Close()
		return nil, store.Info{}, store.ErrNotFound
	}
	return f, store.Info{Key: key, Size: st.Size(), Modified: st.ModTime(), Metadata: s.readMeta(key)}, nil
}

// Delete removes key and its metadata, then any directories left empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	if err := os.Remove(s.path(s.blobs, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dir store: %w", err)
	}
	os.Remove(s.path(s.meta, key))
	s.dropList(filepath.Dir(s.path(s.blobs, key)))
	pruneEmpty(s.blobs, filepath.Dir(s.path(s.blobs, key)))
	pruneEmpty(s.meta, filepath.Dir(s.path(s.meta, key)))
	return nil
}

// pruneEmpty removes empty directories from dir up to (not including) top.
// Removing a directory that is not empty fails, which ends the walk.
func pruneEmpty(top, dir string) {
	for dir != top && strings.HasPrefix(dir, top+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// List returns one page of keys under prefix; the marker is the last key
// of the previous page. A page of a quiet flat directory costs its size
// (list.go).
func (s *Store) List(ctx context.Context, prefix, marker string, max int) (store.Page, error) {
	if max <= 0 {
		max = 5000
	}
	keys, err := s.keys(prefix)
	if err != nil {
		return store.Page{}, err
	}
	start := sort.SearchStrings(keys, maxString(prefix, marker))
	if start < len(keys) && keys[start] == marker {
		start++
	}
	var page store.Page
	for _, k := range keys[start:] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		s.scanned.Add(1)
		if len(page.Items) == max {
			page.Next = page.Items[len(page.Items)-1].Key
			break
		}
		st, err := os.Stat(s.path(s.blobs, k))
		if err != nil {
			continue // deleted since the walk
		}
		page.Items = append(page.Items, store.Info{Key: k, Size: st.Size(), Modified: st.ModTime(), Metadata: s.readMeta(k)})
	}
	return page, ctx.Err()
}

func maxString(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// keys returns, sorted, the keys in the smallest directory that holds
// every key with prefix (some of them may lack the prefix): from the
// cache when that directory is flat and quiet, else by walking it.
func (s *Store) keys(prefix string) ([]string, error) {
	dir := s.blobs
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = s.path(s.blobs, prefix[:i])
	}
	if keys, ok := s.cachedKeys(dir); ok {
		return keys, nil
	}
	dirInfo, statErr := os.Stat(dir)
	listedAt := s.now()
	var keys []string
	flat := true
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		s.scanned.Add(1)
		if d.IsDir() {
			flat = flat && p == dir
			return nil
		}
		rel, err := filepath.Rel(s.blobs, p)
		if err != nil {
			return err
		}
		keys = append(keys, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dir store: %w", err)
	}
	sort.Strings(keys)
	if statErr == nil && flat && dir != s.blobs {
		s.keepList(dir, dirInfo.ModTime(), listedAt, keys)
	}
	return keys, nil
}
