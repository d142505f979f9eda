package storetest

import (
	"context"
	"io"
	"strings"
	"sync"

	"amldsr/internal/store"
)

// Counting wraps a store and counts its calls, per operation and key
// prefix, for tests that assert how much work something does (never how
// long it takes). It hides the wrapped store's leases.
type Counting struct {
	store.Store

	mu sync.Mutex
	// calls counts "op prefix" pairs; see Calls.
	calls map[string]int
	// listed counts the items List returned, per prefix.
	listed map[string]int
}

// NewCounting wraps s.
func NewCounting(s store.Store) *Counting {
	return &Counting{Store: s, calls: map[string]int{}, listed: map[string]int{}}
}

func (c *Counting) note(op, key string, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op+" "+key]++
	if op == "list" {
		c.listed[key] += items
	}
}

// Calls counts the calls of op ("put", "get", "delete", "list") on keys
// (for list: prefixes) that start with prefix.
func (c *Counting) Calls(op, prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.calls {
		if o, key, _ := strings.Cut(k, " "); o == op && strings.HasPrefix(key, prefix) {
			n += v
		}
	}
	return n
}

// Listed counts the items List returned for prefixes that start with
// prefix.
func (c *Counting) Listed(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.listed {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// Reset sets every count to zero.
func (c *Counting) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.calls)
	clear(c.listed)
}

func (c *Counting) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	c.note("put", key, 0)
	return c.Store.Put(ctx, key, body, opts)
}

func (c *Counting) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	c.note("get", key, 0)
	return c.Store.Get(ctx, key)
}

func (c *Counting) Delete(ctx context.Context, key string) error {
	c.note("delete", key, 0)
	return c.Store.Delete(ctx, key)
}

func (c *Counting) List(ctx context.Context, prefix, marker string, max int) (store.Page, error) {
	p, err := c.Store.List(ctx, prefix, marker, max)
	c.note("list", prefix, len(p.Items))
	return p, err
}
