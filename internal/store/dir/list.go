package dir

import (
	"os"
	"sync"
	"time"
)

// listCache keeps the sorted listings of flat directories (no
// subdirectories: a request's results, its markers, the active index), so
// that a page after a marker costs a binary search and a page of steps,
// not a read and a sort of the whole directory.
//
// A listing is trusted only while the directory's modification time is
// the one read just before the listing was made, and only when that time
// was at least racyWindow older than the listing: file times tick
// coarsely, and a change in the same tick as the listing would not move
// the time. Any later change, by this process or another on the same
// directory, moves it. This process's own writes drop the listing at
// once. A directory that is being written to is thus read in full on
// every listing, as before; a quiet one (a finished request's results)
// is read once.
type listCache struct {
	mu   sync.Mutex
	dirs map[string]flatList
	keys int // in all listings
}

type flatList struct {
	mtime time.Time
	keys  []string // every key in the directory, sorted
}

const (
	racyWindow = 2 * time.Second
	// maxCachedDirs and maxCachedKeys bound the cache (about 20 MiB of
	// keys): past either, it starts again empty.
	maxCachedDirs = 64
	maxCachedKeys = 250_000
)

// cachedKeys returns the listing of dir when it is still right.
func (s *Store) cachedKeys(dir string) ([]string, bool) {
	s.lists.mu.Lock()
	fl, ok := s.lists.dirs[dir]
	s.lists.mu.Unlock()
	if !ok {
		return nil, false
	}
	st, err := os.Stat(dir)
	if err != nil || !st.ModTime().Equal(fl.mtime) {
		s.dropList(dir)
		return nil, false
	}
	return fl.keys, true
}

// keepList caches the listing of a flat dir whose modification time,
// read before the listing began at listedAt, was mtime.
func (s *Store) keepList(dir string, mtime, listedAt time.Time, keys []string) {
	if listedAt.Sub(mtime) < racyWindow {
		return
	}
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	if len(keys) > maxCachedKeys {
		return
	}
	if s.lists.dirs == nil || len(s.lists.dirs) >= maxCachedDirs || s.lists.keys+len(keys) > maxCachedKeys {
		s.lists.dirs, s.lists.keys = map[string]flatList{}, 0
	}
	s.lists.keys += len(keys) - len(s.lists.dirs[dir].keys)
	s.lists.dirs[dir] = flatList{mtime: mtime, keys: keys}
}

// dropList forgets the listing of dir (this process changed it).
func (s *Store) dropList(dir string) {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	s.lists.keys -= len(s.lists.dirs[dir].keys)
	delete(s.lists.dirs, dir)
}
