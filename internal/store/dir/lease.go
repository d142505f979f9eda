//go:build linux || darwin

package dir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"amldsr/internal/store"
)

var _ store.Leaser = (*Store)(nil)

// Lease takes an exclusive flock on a lock file beside the layout
// (DSR_DATA_DIR/.locks/<container>/<key>); see store.Leaser. Two holders in
// one process exclude each other too (each opens its own file). d is not
// used: the kernel drops the lock when its process dies.
func (s *Store) Lease(ctx context.Context, key string, d time.Duration) (func(), error) {
	if err := store.ValidKey(key); err != nil {
		return nil, err
	}
	p := s.path(s.locks, key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("dir store: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dir store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, store.ErrLeased
		}
		return nil, fmt.Errorf("dir store: lock %s: %w", key, err)
	}
	var once sync.Once
	release := func() { once.Do(func() { f.Close() }) } // closing drops the flock
	stop := context.AfterFunc(ctx, release)
	return func() { stop(); release() }, nil
}
