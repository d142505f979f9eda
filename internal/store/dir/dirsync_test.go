package dir

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWritersShareDirectorySyncs: while one sync of a directory runs,
// seven more writers arrive; they all wait for one next sync, not seven.
func TestWritersShareDirectorySyncs(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	g := &dirSyncer{syncFn: func(string) error {
		if calls.Add(1) == 1 {
			<-release
		}
		return nil
	}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g.sync("d") }()
	for calls.Load() == 0 { // the first sync is running
		time.Sleep(time.Millisecond)
	}
	for range 7 {
		wg.Add(1)
		go func() { defer wg.Done(); g.sync("d") }()
	}
	for g.waiting("d") < 7 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d syncs for 8 writers, want 2", n)
	}
}

// waiting counts the writers waiting for the next sync of dir.
func (g *dirSyncer) waiting(dir string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.dirs[dir]; d != nil && d.next != nil {
		return d.next.writers
	}
	return 0
}
