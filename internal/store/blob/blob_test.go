package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"amldsr/internal/store"
	"amldsr/internal/store/storetest"
	"amldsr/test/procs"
)

var containers atomic.Int64

// fresh creates a container of its own on az and returns a store on it.
func fresh(t *testing.T, az *procs.Azurite) *Store {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", containers.Add(1), strings.ToLower(rand.Text()[:10]))
	c, err := NewContainerClientFromConnectionString(az.ConnectionString, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := EnsureContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := EnsureContainer(ctx, c); err != nil {
		t.Fatalf("EnsureContainer on an existing container: %v", err)
	}
	return New(c)
}

// TestAzurite runs everything that needs the emulator against one
// Azurite, each subtest in containers of its own.
func TestAzurite(t *testing.T) {
	az := procs.StartAzurite(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return fresh(t, az) })
	})
	t.Run("LargePutBoundedMemory", func(t *testing.T) { testBoundedMemory(t, fresh(t, az)) })
	t.Run("FailedMidwayLeavesNothing", func(t *testing.T) { testFailedMidway(t, fresh(t, az)) })
	t.Run("CancelledMidwayLeavesNothing", func(t *testing.T) { testCancelled(t, fresh(t, az)) })
	t.Run("ConcurrentLargeCreateOnly", func(t *testing.T) { testConcurrentLarge(t, fresh(t, az)) })
	t.Run("HeadersAndMetadata", func(t *testing.T) { testHeaders(t, fresh(t, az)) })
	t.Run("MissingContainerIsAnError", func(t *testing.T) { testMissingContainer(t, az) })
	t.Run("Content", func(t *testing.T) { testContent(t, az) })
}

// TestScaledAzurite runs the conformance suite against the Azurite that
// the bench's 100,000-step request uses (procs.StartAzuriteScaled, whose
// preload changes how Delete Blob updates Azurite's indices): the store
// behaves the same on it.
func TestScaledAzurite(t *testing.T) {
	az := procs.StartAzuriteScaled(t)
	storetest.Run(t, func(t *testing.T) store.Store { return fresh(t, az) })
}

// pattern is a body of n bytes that depends on each byte's offset, so a
// block out of place changes it; it allocates nothing.
type pattern struct{ n, off int64 }

func (r *pattern) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte(uint64(r.off+int64(i)) * 0x9E3779B97F4A7C15 >> 56)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func digest(t *testing.T, r io.Reader) ([]byte, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil), n
}

// testBoundedMemory puts 64 MiB + 1 KiB from a reader and checks that the
// process allocated well under that meanwhile, that the blob went up in
// blocks of at most BlockSize, and that it reads back intact.
func testBoundedMemory(t *testing.T, s *Store) {
	const size = 64<<20 + 1<<10
	ctx := context.Background()
	want, _ := digest(t, &pattern{n: size})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := s.Put(ctx, "big/64m", &pattern{n: size}, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("put %d bytes in %v; allocated %.1f MiB", size, time.Since(start), float64(alloc)/(1<<20))
	if alloc > size/4 {
		t.Errorf("a put of %d bytes allocated %d bytes (limit %d)", size, alloc, size/4)
	}

	bl, err := s.c.NewBlockBlobClient("big/64m").GetBlockList(ctx, blockblob.BlockListTypeCommitted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bl.CommittedBlocks); n != (size+BlockSize-1)/BlockSize {
		t.Errorf("%d committed blocks, want %d", n, (size+BlockSize-1)/BlockSize)
	}
	for i, b := range bl.CommittedBlocks {
		if *b.Size > BlockSize {
			t.Errorf("block %d of %d bytes", i, *b.Size)
		}
	}

	rc, info, err := s.Get(ctx, "big/64m")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, n := digest(t, rc)
	if info.Size != size || n != size || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (info says %d), digest equal %v", n, info.Size, bytes.Equal(got, want))
	}
}

// breaking yields the first at bytes of a pattern, then an error.
type breaking struct {
	pattern
	at int64
}

func (b *breaking) Read(p []byte) (int, error) {
	if b.off >= b.at {
		return 0, errors.New("source broke")
	}
	return b.pattern.Read(p[:min(int64(len(p)), b.at-b.off)])
}

// testFailedMidway breaks a body after several blocks went up: a new key
// stays absent (and can then be created), an existing one keeps its
// content.
func testFailedMidway(t *testing.T, s *Store) {
	ctx := context.Background()
	body := func() io.Reader { return &breaking{pattern{n: 32 << 20}, 3*BlockSize + 5} }
	err := s.Put(ctx, "new", body(), store.PutOptions{IfNotExists: true})
	if err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Fatalf("put of a breaking body: %v", err)
	}
	if _, _, err := s.Get(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a failed put: %v", err)
	}
	if page, err := s.List(ctx, "", "", 10); err != nil || len(page.Items) != 0 {
		t.Fatalf("after a failed put, listed %+v (%v)", page.Items, err)
	}
	if err := s.Put(ctx, "new", strings.NewReader("ok"), store.PutOptions{IfNotExists: true}); err != nil {
		t.Fatalf("create-only put after a failed one: %v", err)
	}

	if err := s.Put(ctx, "old", strings.NewReader("kept"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "old", body(), store.PutOptions{}); err == nil {
		t.Fatal("overwrite with a breaking body succeeded")
	}
	if b, err := store.ReadAll(ctx, s, "old"); err != nil || string(b) != "kept" {
		t.Fatalf("after a failed overwrite: %q, %v", b, err)
	}
}

// testCancelled cancels a put while it streams.
func testCancelled(t *testing.T, s *Store) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelling{pattern: pattern{n: 64 << 20}, at: 2*BlockSize + 1, cancel: cancel}
	err := s.Put(ctx, "cancelled", r, store.PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	if r.off >= r.n {
		t.Errorf("a cancelled put read its whole body")
	}
	if _, _, err := s.Get(context.Background(), "cancelled"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a cancelled put: %v", err)
	}
}

// cancelling calls cancel once at bytes have been read.
type cancelling struct {
	pattern
	at     int64
	cancel func()
}

func (c *cancelling) Read(p []byte) (int, error) {
	if c.off >= c.at {
		c.cancel()
	}
	return c.pattern.Read(p)
}

// testConcurrentLarge races create-only puts that each go up in several
// blocks: exactly one wins, and the blob is exactly its body.
func testConcurrentLarge(t *testing.T, s *Store) {
	const writers, size = 3, 2*BlockSize + 77
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			body := io.MultiReader(strings.NewReader(fmt.Sprintf("writer-%d:", i)), &pattern{n: size})
			errs[i] = s.Put(context.Background(), "race", body, store.PutOptions{IfNotExists: true})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrExists):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	want, _ := digest(t, io.MultiReader(strings.NewReader(fmt.Sprintf("writer-%d:", winner)), &pattern{n: size}))
	rc, _, err := s.Get(context.Background(), "race")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, n := digest(t, rc); !bytes.Equal(got, want) {
		t.Fatalf("blob of %d bytes is not writer %d's body", n, winner)
	}
}

// testHeaders checks the content type, metadata rules, and an overwrite
// dropping old metadata.
func testHeaders(t *testing.T, s *Store) {
	ctx := context.Background()
	md := map[string]string{"outcome": "succeeded", "kind": "", "n2": "a b"}
	if err := s.Put(ctx, "h.json", strings.NewReader("{}"), store.PutOptions{ContentType: "application/json", Metadata: md}); err != nil {
		t.Fatal(err)
	}
	props, err := s.c.NewBlobClient("h.json").GetProperties(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if props.ContentType == nil || *props.ContentType != "application/json" {
		t.Errorf("content type %v", props.ContentType)
	}
	_, info, err := s.Get(ctx, "h.json")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(info.Metadata) != "map[n2:a b outcome:succeeded]" {
		t.Errorf("metadata read back %v", info.Metadata)
	}
	for _, bad := range []map[string]string{{"Outcome": "x"}, {"1a": "x"}, {"a-b": "x"}, {"a": "é"}, {"a": " x"}, {"a": "x\n"}} {
		if err := s.Put(ctx, "bad", strings.NewReader("x"), store.PutOptions{Metadata: bad}); !errors.Is(err, errMetadata) {
			t.Errorf("metadata %q: %v", bad, err)
		}
	}
	if _, _, err := s.Get(ctx, "bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a put with bad metadata wrote: %v", err)
	}
	if err := s.Put(ctx, "h.json", strings.NewReader("{}"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, info, _ := s.Get(ctx, "h.json"); info.Metadata != nil {
		t.Errorf("an overwrite without metadata kept %v", info.Metadata)
	}
}

// testMissingContainer: a container that is not there is an error, not
// an empty store.
func testMissingContainer(t *testing.T, az *procs.Azurite) {
	c, err := NewContainerClientFromConnectionString(az.ConnectionString, "never-created")
	if err != nil {
		t.Fatal(err)
	}
	s := New(c)
	ctx := context.Background()
	if _, _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("get in a missing container: %v", err)
	}
	if _, err := s.List(ctx, "", "", 10); err == nil {
		t.Error("list of a missing container succeeded")
	}
	if err := s.Put(ctx, "k", strings.NewReader("x"), store.PutOptions{}); err == nil {
		t.Error("put into a missing container succeeded")
	}
}
