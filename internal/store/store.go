// Package store is the port through which amldsr keeps its blobs: request
// documents, result records, exported documents and artifact content, and
// the bookkeeping beside them. Adapters: store/dir (local files) and
// store/blob (Azure Blob Storage); each passes storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

var (
	// ErrNotFound is returned by Get for a blob that does not exist.
	ErrNotFound = errors.New("store: blob not found")
	// ErrExists is returned by a Put with IfNotExists when the blob exists;
	// the existing blob is left untouched.
	ErrExists = errors.New("store: blob already exists")
)

// Info describes one blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
	// Metadata holds the small string pairs given to Put (keys are lower
	// case letters and digits).
	Metadata map[string]string
}

// PutOptions shape one write.
type PutOptions struct {
	// IfNotExists makes the write create-only: when the blob exists, Put
	// returns ErrExists and changes nothing. Two deliveries of one step
	// racing to write the same record thus leave exactly one.
	IfNotExists bool
	ContentType string
	Metadata    map[string]string
}

// Page is one page of a listing.
type Page struct {
	Items []Info
	// Next continues the listing; empty on the last page.
	Next string
}

// Store is the blob port.
//
// Keys are '/'-separated; callers never use a key that is also a directory
// of another key ("a" beside "a/b"), which a file system cannot hold.
//
// Put is atomic: a reader sees either no blob, the previous blob, or the
// whole new one, never a part. It reads body to its end, in bounded memory.
// Delete of an absent blob succeeds. List returns blobs whose keys start
// with prefix, in ascending byte order of keys, at most max per page, continuing
// after marker (a Next of an earlier page, or empty to start).
type Store interface {
	Put(ctx context.Context, key string, body io.Reader, opts PutOptions) error
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix, marker string, max int) (Page, error)
}

// MaxKey is the longest key an adapter must accept (Azure's limit on blob
// names).
const MaxKey = 1024

// ValidKey rejects keys that could escape a directory or that Azure would
// refuse: empty, too long, absolute, with empty, "." or ".." segments, a
// backslash or a control character.
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKey {
		return fmt.Errorf("store: key of %d bytes (1 to %d)", len(key), MaxKey)
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("store: key %q starts or ends with '/'", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("store: key %q has an empty, '.' or '..' segment", key)
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("store: key %q holds a control character or backslash", key)
		}
	}
	return nil
}

// ReadAll fetches a whole blob (for small JSON documents).
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Walk calls fn for every blob under prefix, page after page.
func Walk(ctx context.Context, s Store, prefix string, fn func(Info) error) error {
	marker := ""
	for {
		page, err := s.List(ctx, prefix, marker, 5000)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		marker = page.Next
	}
}

// Each calls fn(ctx, i) for i in [0, n), width calls at a time: reads that
// are each a round trip to the store overlap. The first error cancels ctx
// for the calls under way, starts no more, and is returned.
func Each(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(width, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// ContextReader stops reading r when ctx ends, so a long copy into a blob
// is cut short by cancellation (adapters wrap bodies in it).
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
