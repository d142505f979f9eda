package content

import (
	"bytes"
	"context"
	"crypto/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/content/contenttest"
	"amldsr/internal/memtest"
	"amldsr/internal/store"
	"amldsr/internal/store/blob"
	"amldsr/test/procs"
)

// allocBound is what streaming content may allocate, whatever its size.
const allocBound = 32 << 20

// TestStreamedContentBoundedMemory sends artifact content from an https
// server through the real client (FetchContent) into the dir store (256
// MiB) and into Azurite (64 MiB: Azurite reads a large blob back slowly),
// which refuses the server-side copy, so that the content is streamed, and
// checks that the process allocated less than 32 MiB meanwhile: nothing
// holds the body. Allocation counts, not time.
func TestStreamedContentBoundedMemory(t *testing.T) {
	t.Run("dir", func(t *testing.T) {
		client, uri, want := source(t, 256<<20)
		checkBounded(t, client, newDir(t), uri, want, Streamed)
	})
	t.Run("azurite", func(t *testing.T) {
		client, uri, want := source(t, 64<<20)
		az := procs.StartAzurite(t)
		c, err := blob.NewContainerClientFromConnectionString(az.ConnectionString, "dsr")
		if err != nil {
			t.Fatal(err)
		}
		if err := blob.EnsureContainer(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		checkBounded(t, client, blob.New(c), uri, want, Streamed)
	})
}

// source serves size bytes of content and returns a client that may fetch
// them, their URL and their digest.
func source(t *testing.T, size int64) (*azureapi.Client, string, digest) {
	srv, uri := contenttest.Serve(t, size)
	client, err := azureapi.New(nil, azureapi.Options{
		Endpoints: catalog.DefaultEndpoints(), Transport: srv.Client(), ContentAllowPrivate: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, _, _ := contenttest.Digest(&contenttest.Pattern{N: size})
	return client, uri, digest{sum, size}
}

type digest struct {
	sum  []byte
	size int64
}

// checkBounded copies uri into st with Copy, measuring the allocations of
// the whole process (the content server's included) and sampling its heap,
// then reads the blob back and compares digests.
func checkBounded(t *testing.T, f Fetcher, st store.Store, uri string, want digest, wantHow How) {
	t.Helper()
	ctx := context.Background()
	key := "requests/r/export/x/content/" + strings.ToLower(rand.Text()[:8])

	stop := memtest.PeakHeap(20 * time.Millisecond)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	how, err := Copy(ctx, f, st, key, uri, store.PutOptions{ContentType: "application/octet-stream"})
	runtime.ReadMemStats(&after)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%s %d MiB in %v: allocated %.1f MiB, peak heap in use (sampled) %.1f MiB",
		how, want.size>>20, time.Since(start).Round(time.Millisecond), float64(alloc)/(1<<20), float64(peak)/(1<<20))
	if how != wantHow {
		t.Errorf("content was %v, want %v", how, wantHow)
	}
	if alloc > allocBound {
		t.Errorf("streaming %d bytes allocated %d bytes (bound %d)", want.size, alloc, allocBound)
	}
	if peak > before.HeapInuse+allocBound {
		t.Errorf("heap in use reached %d bytes (from %d; bound %d more)", peak, before.HeapInuse, allocBound)
	}

	rc, info, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, n, err := contenttest.Digest(rc)
	if err != nil || n != want.size || info.Size != want.size || !bytes.Equal(got, want.sum) {
		t.Fatalf("read back %d bytes (size %d, %v), digest equal %v", n, info.Size, err, bytes.Equal(got, want.sum))
	}
}
