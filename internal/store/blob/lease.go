package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"amldsr/internal/store"
)

var _ store.Leaser = (*Store)(nil)

// Lease takes a blob lease on key (creating the blob empty when absent);
// see store.Leaser. The lease runs for d clamped to the service's 15 to
// 60 seconds and is renewed at a third of that until release or the end
// of ctx, so a holder that dies loses it within d.
func (s *Store) Lease(ctx context.Context, key string, d time.Duration) (func(), error) {
	if err := store.ValidKey(key); err != nil {
		return nil, err
	}
	secs := int32(min(max(d, 15*time.Second), 60*time.Second) / time.Second)
	lc, err := lease.NewBlobClient(s.c.NewBlobClient(key), nil)
	if err != nil {
		return nil, fmt.Errorf("blob store: lease %s: %w", key, err)
	}
	_, err = lc.AcquireLease(ctx, secs, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) { // the first lease: make the blob
		err = s.Put(ctx, key, bytes.NewReader(nil), store.PutOptions{IfNotExists: true})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return nil, err
		}
		_, err = lc.AcquireLease(ctx, secs, nil)
	}
	if bloberror.HasCode(err, bloberror.LeaseAlreadyPresent) {
		return nil, store.ErrLeased
	}
	if err != nil {
		return nil, fmt.Errorf("blob store: lease %s: %w", key, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		renew(rctx, lc, time.Duration(secs)*time.Second/3)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			cancel()
			<-done
			// Best effort: an unreleased lease expires by itself.
			rc, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer stop()
			lc.ReleaseLease(rc, nil)
		})
	}
	stop := context.AfterFunc(ctx, release)
	return func() { stop(); release() }, nil
}

// renew keeps the lease until ctx ends.
func renew(ctx context.Context, lc *lease.BlobClient, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			lc.RenewLease(ctx, nil)
		}
	}
}
