package dir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// dirSyncer makes new directory entries durable with group commit: a Put
// syncs the directory it linked or renamed its file into before it
// returns, and writers of one directory share the syncs. A writer that
// asks while a sync of its directory runs joins the next round, which
// covers every writer that arrived meanwhile; so N concurrent writers of
// a directory cost about two syncs of it, not N. Its zero value is ready.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirRounds
	// syncFn syncs one directory; nil: syncDir (tests count calls).
	syncFn func(dir string) error
}

type dirRounds struct {
	running bool
	next    *syncRound // the round new writers join
}

type syncRound struct {
	done    chan struct{}
	err     error
	writers int // how many wait for it
}

// sync returns once dir has been synced after the call began.
func (g *dirSyncer) sync(dir string) error {
	g.mu.Lock()
	if g.dirs == nil {
		g.dirs = map[string]*dirRounds{}
	}
	d := g.dirs[dir]
	if d == nil {
		d = &dirRounds{}
		g.dirs[dir] = d
	}
	if d.next == nil {
		d.next = &syncRound{done: make(chan struct{})}
	}
	mine := d.next
	mine.writers++
	if d.running {
		g.mu.Unlock()
		<-mine.done
		return mine.err
	}
	// Lead: run rounds until nobody waits.
	d.running = true
	for d.next != nil {
		r := d.next
		d.next = nil
		g.mu.Unlock()
		if g.syncFn != nil {
			r.err = g.syncFn(dir)
		} else {
			r.err = syncDir(dir)
		}
		close(r.done)
		g.mu.Lock()
	}
	d.running = false
	delete(g.dirs, dir)
	g.mu.Unlock()
	return mine.err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("dir store: sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("dir store: sync %s: %w", dir, err)
	}
	return nil
}

// mkdirs makes dir and its missing parents below top (which exists),
// syncing the parent of each directory it makes, so that the new path
// survives a crash as the entry put into it will.
func (g *dirSyncer) mkdirs(top, dir string) error {
	if len(dir) <= len(top) {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := g.mkdirs(top, filepath.Dir(dir)); err != nil {
		return err
	}
	// A directory another writer made just now is synced again: that
	// writer may not have synced its parent yet.
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("dir store: %w", err)
	}
	return g.sync(filepath.Dir(dir))
}
