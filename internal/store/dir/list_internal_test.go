package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"amldsr/internal/store"
	"amldsr/internal/store/storetest"
)

// TestAPageCostsItsSizeNotTheDirectorys: once a directory's listing is
// known, a page after a marker touches about page-size entries, however
// many keys the directory holds (counted in entries, never timed).
func TestAPageCostsItsSizeNotTheDirectorys(t *testing.T) {
	cost := map[int]int64{}
	for _, n := range []int{50, 500} {
		s, err := Open(t.TempDir(), "dsr")
		if err != nil {
			t.Fatal(err)
		}
		s.now = func() time.Time { return time.Now().Add(time.Hour) } // the directory has been quiet a while
		ctx := context.Background()
		for i := range n {
			if err := s.Put(ctx, fmt.Sprintf("requests/r1/results/op-%04d.json", i), strings.NewReader("{}"), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.List(ctx, "requests/r1/results/", "", 10); err != nil { // the first listing reads the directory
			t.Fatal(err)
		}
		before := s.scanned.Load()
		page, err := s.List(ctx, "requests/r1/results/", "requests/r1/results/op-0020.json", 10)
		if err != nil || len(page.Items) != 10 || page.Items[0].Key != "requests/r1/results/op-0021.json" || page.Next == "" {
			t.Fatalf("n=%d: page %+v %v", n, page, err)
		}
		cost[n] = s.scanned.Load() - before
	}
	if cost[500] != cost[50] || cost[50] > 11 {
		t.Fatalf("entries touched by one page of 10: %v (by directory size)", cost)
	}
}

// TestAListingSeesWritesOfAnotherProcess: a second store on the same
// directory (another process) writes; the first one's next listing sees
// the new key although it had listed the directory before.
func TestAListingSeesWritesOfAnotherProcess(t *testing.T) {
	root := t.TempDir()
	a, _ := Open(root, "dsr")
	b, _ := Open(root, "dsr")
	ctx := context.Background()
	a.Put(ctx, "p/x1", strings.NewReader("1"), store.PutOptions{})
	if page, _ := a.List(ctx, "p/", "", 0); len(page.Items) != 1 {
		t.Fatalf("%+v", page)
	}
	b.Put(ctx, "p/x2", strings.NewReader("2"), store.PutOptions{})
	if page, _ := a.List(ctx, "p/", "", 0); len(page.Items) != 2 {
		t.Fatalf("after another process wrote: %+v", page)
	}
}

// TestConformanceWithSidecars: on a file system without extended
// attributes, metadata goes to the sidecar tree and the store still
// conforms.
func TestConformanceWithSidecars(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.TempDir(), "dsr")
		if err != nil {
			t.Fatal(err)
		}
		s.xattr = false
		return s
	})
}

// TestMetadataTravelsWithTheFile: with extended attributes, a Put writes
// one file (no sidecar), and the metadata is read back from it.
func TestMetadataTravelsWithTheFile(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	if !s.xattr {
		t.Skip("this file system has no user extended attributes; TestConformanceWithSidecars covers the fallback")
	}
	ctx := context.Background()
	if err := s.Put(ctx, "a/b", strings.NewReader("x"), store.PutOptions{Metadata: map[string]string{"outcome": "failed"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path(s.meta, "a/b")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a sidecar was written: %v", err)
	}
	_, info, err := s.Get(ctx, "a/b")
	if err != nil || info.Metadata["outcome"] != "failed" {
		t.Fatalf("%+v %v", info, err)
	}
}
