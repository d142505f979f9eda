// Package storetest is the conformance suite every store.Store adapter
// passes.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/store"
)

// Run exercises s. Each call should get an empty store (or a fresh
// container); keys are prefixed with t.Name() to stay apart anyway.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, p string)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"IfNotExists", testIfNotExists},
		{"ConcurrentCreateOnlyOneWins", testConcurrentCreate},
		{"Metadata", testMetadata},
		{"GetMissing", testGetMissing},
		{"DeleteIdempotent", testDelete},
		{"ListOrderAndPages", testList},
		{"ListPrefixIsNotADirectory", testListPrefix},
		{"LargeStreamed", testLarge},
		{"FailedBodyLeavesNothing", testFailedBody},
		{"RejectsBadKeys", testBadKeys},
		{"LeaseOneHolder", testLease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s, "conf/"+strings.ReplaceAll(t.Name(), "/", "_")+"/")
		})
	}
}

func put(t *testing.T, s store.Store, key, body string, opts store.PutOptions) error {
	t.Helper()
	return s.Put(context.Background(), key, strings.NewReader(body), opts)
}

func get(t *testing.T, s store.Store, key string) string {
	t.Helper()
	b, err := store.ReadAll(context.Background(), s, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(b)
}

func testPutGet(t *testing.T, s store.Store, p string) {
	if err := put(t, s, p+"a/b.json", `{"x":1}`, store.PutOptions{ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, p+"a/b.json"); got != `{"x":1}` {
		t.Fatalf("got %q", got)
	}
	rc, info, err := s.Get(context.Background(), p+"a/b.json")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if info.Size != 7 || info.Key != p+"a/b.json" {
		t.Errorf("info %+v", info)
	}
}

func testOverwrite(t *testing.T, s store.Store, p string) {
	for _, v := range []string{"one", "two"} {
		if err := put(t, s, p+"k", v, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := get(t, s, p+"k"); got != "two" {
		t.Fatalf("got %q", got)
	}
}

func testIfNotExists(t *testing.T, s store.Store, p string) {
	if err := put(t, s, p+"k", "first", store.PutOptions{IfNotExists: true, Metadata: map[string]string{"n": "1"}}); err != nil {
		t.Fatal(err)
	}
	err := put(t, s, p+"k", "second", store.PutOptions{IfNotExists: true, Metadata: map[string]string{"n": "2"}})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create-only put: %v, want ErrExists", err)
	}
	if got := get(t, s, p+"k"); got != "first" {
		t.Fatalf("got %q after a refused put", got)
	}
	_, info, _ := s.Get(context.Background(), p+"k")
	if info.Metadata["n"] != "1" {
		t.Errorf("metadata changed by a refused put: %v", info.Metadata)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store, p string) {
	var wg sync.WaitGroup
	wins := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := fmt.Sprint("writer-", i)
			err := s.Put(context.Background(), p+"race", strings.NewReader(v), store.PutOptions{IfNotExists: true})
			if err == nil {
				wins <- v
			} else if !errors.Is(err, store.ErrExists) {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var won []string
	for v := range wins {
		won = append(won, v)
	}
	if len(won) != 1 {
		t.Fatalf("%d writers won: %v", len(won), won)
	}
	if got := get(t, s, p+"race"); got != won[0] {
		t.Fatalf("blob holds %q, winner wrote %q", got, won[0])
	}
}

func testMetadata(t *testing.T, s store.Store, p string) {
	md := map[string]string{"outcome": "succeeded", "kind": "mm.model"}
	if err := put(t, s, p+"m", "x", store.PutOptions{Metadata: md}); err != nil {
		t.Fatal(err)
	}
	page, err := s.List(context.Background(), p, "", 10)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %v %+v", err, page)
	}
	for k, v := range md {
		if page.Items[0].Metadata[k] != v {
			t.Errorf("listed metadata %v, want %v", page.Items[0].Metadata, md)
		}
	}
	_, info, _ := s.Get(context.Background(), p+"m")
	if info.Metadata["outcome"] != "succeeded" {
		t.Errorf("get metadata %v", info.Metadata)
	}
}

func testGetMissing(t *testing.T, s store.Store, p string) {
	if _, _, err := s.Get(context.Background(), p+"nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s store.Store, p string) {
	if err := put(t, s, p+"d/x", "x", store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Delete(context.Background(), p+"d/x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Get(context.Background(), p+"d/x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	// a blob can be written again where one was deleted
	if err := put(t, s, p+"d/x", "y", store.PutOptions{IfNotExists: true}); err != nil {
		t.Fatal(err)
	}
}

func testList(t *testing.T, s store.Store, p string) {
	want := []string{"a-b", "a.json", "a/b", "a/c/d", "b", "c.json"}
	for _, k := range []string{"c.json", "a/c/d", "b", "a.json", "a/b", "a-b"} {
		if err := put(t, s, p+k, k, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	marker := ""
	pages := 0
	for {
		page, err := s.List(context.Background(), p, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Items) > 2 {
			t.Fatalf("page of %d items, max 2", len(page.Items))
		}
		for _, it := range page.Items {
			got = append(got, strings.TrimPrefix(it.Key, p))
		}
		if page.Next == "" {
			break
		}
		marker = page.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages < 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3+", got, pages, want)
	}
}

func testListPrefix(t *testing.T, s store.Store, p string) {
	for _, k := range []string{"req-1/a", "req-10/a", "req-2/a"} {
		if err := put(t, s, p+k, "x", store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.List(context.Background(), p+"req-1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("prefix req-1 listed %d blobs, want 2 (req-1/a and req-10/a)", len(page.Items))
	}
	page, err = s.List(context.Background(), p+"none/", "", 10)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("empty prefix: %v %+v", err, page)
	}
}

func testLarge(t *testing.T, s store.Store, p string) {
	data := make([]byte, 9<<20+123)
	rand.Read(data)
	if err := s.Put(context.Background(), p+"big", io.NopCloser(bytes.NewReader(data)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadAll(context.Background(), s, p+"big")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("large blob differs (len %d, err %v)", len(got), err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("source broke")
	}
	n := min(len(b), f.n)
	f.n -= n
	return n, nil
}

func testFailedBody(t *testing.T, s store.Store, p string) {
	err := s.Put(context.Background(), p+"partial", &failingReader{n: 100_000}, store.PutOptions{})
	if err == nil {
		t.Fatal("a put whose body failed succeeded")
	}
	if _, _, err := s.Get(context.Background(), p+"partial"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed put left a blob: %v", err)
	}
}

func testBadKeys(t *testing.T, s store.Store, p string) {
	for _, k := range []string{"", "/abs", p + "../x", p + "a//b", p + "a/./b", p + "trail/", p + "ctl\x01", p + `back\slash`} {
		if err := put(t, s, k, "x", store.PutOptions{}); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

// testLease: of two holders, the second finds the lease held at once;
// after release (or the end of the holder's context) it can be taken
// again. Adapters that do not implement store.Leaser skip it.
func testLease(t *testing.T, s store.Store, p string) {
	l, ok := s.(store.Leaser)
	if !ok {
		t.Skip("the adapter holds no leases")
	}
	ctx := context.Background()
	release, err := l.Lease(ctx, p+"lock", 15*time.Second)
	if err != nil {
		t.Fatalf("first lease: %v", err)
	}
	if _, err := l.Lease(ctx, p+"lock", 15*time.Second); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("second lease while held: %v, want ErrLeased", err)
	}
	release()
	release() // idempotent
	hctx, cancel := context.WithCancel(ctx)
	again, err := l.Lease(hctx, p+"lock", 15*time.Second)
	if err != nil {
		t.Fatalf("lease after release: %v", err)
	}
	defer again()
	cancel()
	// The end of the holder's context releases the lease; how soon is up
	// to the adapter, so poll (no fixed wait).
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := l.Lease(ctx, p+"lock", 15*time.Second)
		if err == nil {
			r()
			return
		}
		if !errors.Is(err, store.ErrLeased) || time.Now().After(deadline) {
			t.Fatalf("lease after the holder's context ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
