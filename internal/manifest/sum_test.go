package manifest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"amldsr/internal/store"
	"amldsr/internal/store/dir"
	"amldsr/internal/store/storetest"
)

// TestBuildTakesWrittenSumsFromTheListing: blobs put with WithSum are not
// read back; one without a sum, or with a malformed one, is; the manifest
// is the one that reading and hashing every file gives.
func TestBuildTakesWrittenSumsFromTheListing(t *testing.T) {
	root := t.TempDir()
	ds, err := dir.Open(root, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	cs := storetest.NewCounting(ds)
	ctx := context.Background()
	put := func(name, body string, md map[string]string) {
		t.Helper()
		if err := cs.Put(ctx, "requests/r1/"+name, bytes.NewReader([]byte(body)), store.PutOptions{Metadata: md}); err != nil {
			t.Fatal(err)
		}
	}
	put("request.json", `{"requestId":"r1"}`, WithSum(nil, []byte(`{"requestId":"r1"}`)))
	put("results/a.json", `{"outcome":"succeeded"}`, WithSum(map[string]string{"outcome": "succeeded"}, []byte(`{"outcome":"succeeded"}`)))
	put("export/x/content/blob.bin", "streamed, no sum", nil)
	put("export/y.json", `{"y":1}`, map[string]string{SumMetadata: "not-a-hash"})
	cs.Reset()
	m, err := Build(ctx, cs, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if n := cs.Calls("get", "requests/r1/"); n != 2 {
		t.Errorf("Build read %d blobs, want 2 (the one without a sum and the malformed one)", n)
	}
	if cs.Calls("get", "requests/r1/export/x/") != 1 || cs.Calls("get", "requests/r1/export/y.json") != 1 {
		t.Errorf("the blobs without a usable sum were not the ones read")
	}
	read, err := BuildFrom(ctx, DirSource(filepath.Join(root, "dsr", "requests", "r1")), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Same(read) || len(m.Files) != 4 {
		t.Fatalf("from sums %+v\nread %+v", m.Files, read.Files)
	}
}
