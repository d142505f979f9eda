package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"amldsr/internal/manifest"
	"amldsr/internal/store"
	"amldsr/internal/store/blob"
	"amldsr/test/procs"
)

// TestFetchAndVerifyFromBlob: a bundle in a Blob container (Azurite) is
// fetched into a folder that verifies, verifies in place, and a changed
// blob is named.
func TestFetchAndVerifyFromBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite")
	}
	az := procs.StartAzurite(t)
	ctx := context.Background()
	c, err := blob.NewContainerClientFromConnectionString(az.ConnectionString, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	if err := blob.EnsureContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	s := blob.New(c)
	put := func(name, body string) {
		if err := s.Put(ctx, "requests/r1/"+name, strings.NewReader(body), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("request.json", `{"requestId":"r1"}`)
	put("results/export.a.json", `{"outcome":"succeeded"}`)
	put("export/api/models/m1.json", `{"name":"m1"}`)
	put("requests-neighbour.json", `{}`) // under requests/r1/ too: listed
	m, err := manifest.Build(ctx, s, "r1")
	if err != nil {
		t.Fatal(err)
	}
	put("manifest.json", string(m.Encode()))
	put("summary.json", `{"manifestSha256":"`+manifest.Digest(m.Encode())+`"}`)
	put("report.html", "<p>report</p>")
	// another request beside it is not part of r1's bundle
	if err := s.Put(ctx, "requests/r10/request.json", strings.NewReader(`{}`), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": az.ConnectionString}
	dir := filepath.Join(t.TempDir(), "r1")
	out, errs, code, _ := runCLI(t, env, "fetch", "r1", "--out", dir)
	if code != 0 || !strings.Contains(out, "fetched r1: 7 files") {
		t.Fatalf("fetch: exit %d %s %s", code, out, errs)
	}
	if out, _, code, _ := runCLI(t, nil, "verify", dir); code != 0 {
		t.Fatalf("verify of the fetched folder: exit %d %s", code, out)
	}
	if out, errs, code, _ := runCLI(t, nil, "verify", "r1", "--connection-string", az.ConnectionString); code != 0 || !strings.Contains(out, "4 files match") {
		t.Fatalf("verify in the container: exit %d %s %s", code, out, errs)
	}
	put("export/api/models/m1.json", `{"name":"m2"}`)
	out, _, code, _ = runCLI(t, env, "verify", "r1")
	if code != 1 || !strings.Contains(out, "changed  export/api/models/m1.json") {
		t.Fatalf("verify of a changed blob: exit %d %s", code, out)
	}
}
