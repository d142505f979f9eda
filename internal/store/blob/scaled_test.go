package blob

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/test/procs"
)

// TestScaledAzuriteListsAsAzurite: the bench's Azurite (whose preload
// walks the name index for List Blobs) lists the same pages as plain
// Azurite: flat and by delimiter, in small pages through markers, with and
// without uncommitted blobs, for prefixes it walks and prefixes it leaves
// to Azurite (empty, numeric, starting with I), over names that LokiJS
// orders as numbers, names another container holds, and a blob with
// only uncommitted blocks.
func TestScaledAzuriteListsAsAzurite(t *testing.T) {
	plain, scaled := procs.StartAzurite(t), procs.StartAzuriteScaled(t)
	names := []string{"a", "a/b", "a/b/c", "a-b", "a.b", "a/c", "ab", "b", "12", "1e5", "123", "1/x", "Infinity", "I/x",
		"n/1", "n/10", "n/2", "n/1e5", "requests/r/results/000.json", "requests/r/results/001.json", "requests/r/request.json",
		"requests/r2/results/000.json", "é", "é/x", "z/" + strings.Repeat("y", 200)}
	prefixes := []string{"", "a", "a/", "a/b", "n/", "n/1", "requests/", "requests/r/", "requests/r/results/", "1", "I", "é", "z", "q"}
	ctx := context.Background()
	var listings [2][]string
	for i, az := range []*procs.Azurite{plain, scaled} {
		c, err := azblob.NewClientFromConnectionString(az.ConnectionString, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ctr := range []string{"dsr", "other"} {
			if _, err := c.CreateContainer(ctx, ctr, nil); err != nil {
				t.Fatal(err)
			}
		}
		for k, name := range names {
			md := map[string]*string{"n": to.Ptr(fmt.Sprint(k))}
			if _, err := c.UploadBuffer(ctx, "dsr", name, []byte(name), &azblob.UploadBufferOptions{Metadata: md}); err != nil {
				t.Fatal(err)
			}
			if k%3 == 0 {
				if _, err := c.UploadBuffer(ctx, "other", name, []byte("other"), nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		bb := c.ServiceClient().NewContainerClient("dsr").NewBlockBlobClient("a/uncommitted")
		if _, err := bb.StageBlock(ctx, "YmxvY2stMA==", streaming.NopCloser(bytes.NewReader([]byte("x"))), nil); err != nil {
			t.Fatal(err)
		}
		cc := c.ServiceClient().NewContainerClient("dsr")
		for _, prefix := range prefixes {
			for _, uncommitted := range []bool{false, true} {
				listings[i] = append(listings[i], flat(t, cc, prefix, uncommitted), byDelimiter(t, cc, prefix))
			}
		}
	}
	for k := range listings[0] {
		if listings[0][k] != listings[1][k] {
			t.Errorf("listing %d differs:\nplain  %s\nscaled %s", k, listings[0][k], listings[1][k])
		}
	}
	if !strings.Contains(listings[0][0], "requests/r/request.json") || !strings.Contains(strings.Join(listings[0], " "), "a/uncommitted") {
		t.Fatalf("the listings miss blobs the test put: %s", listings[0][0])
	}
}

// flat lists prefix in pages of 3, each name with its metadata, pages
// separated.
func flat(t *testing.T, c *container.Client, prefix string, uncommitted bool) string {
	t.Helper()
	p := c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: to.Ptr(int32(3)),
		Include: container.ListBlobsInclude{Metadata: true, UncommittedBlobs: uncommitted}})
	var out []string
	for p.More() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range page.Segment.BlobItems {
			var md []string
			for k, v := range b.Metadata {
				md = append(md, k+"="+*v)
			}
			slices.Sort(md)
			names = append(names, *b.Name+fmt.Sprint(md))
		}
		out = append(out, strings.Join(names, " "))
	}
	return fmt.Sprintf("flat %q uncommitted=%v: %s", prefix, uncommitted, strings.Join(out, " | "))
}

// byDelimiter lists prefix by "/" in pages of 2: blobs and prefixes.
func byDelimiter(t *testing.T, c *container.Client, prefix string) string {
	t.Helper()
	p := c.NewListBlobsHierarchyPager("/", &container.ListBlobsHierarchyOptions{Prefix: &prefix, MaxResults: to.Ptr(int32(2))})
	var out []string
	for p.More() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
		for _, bp := range page.Segment.BlobPrefixes {
			names = append(names, "prefix:"+*bp.Name)
		}
		out = append(out, strings.Join(names, " "))
	}
	return fmt.Sprintf("delimited %q: %s", prefix, strings.Join(out, " | "))
}
