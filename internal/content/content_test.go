package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/content/contenttest"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

const testURI = "https://content.example/blob?sig=" + contenttest.Secret

// fakeSource serves size bytes of contenttest.Pattern and counts fetches.
type fakeSource struct {
	size    int64
	fetches int
}

func (f *fakeSource) FetchContent(ctx context.Context, uri string) (io.ReadCloser, int64, error) {
	f.fetches++
	return io.NopCloser(&contenttest.Pattern{N: f.size}), f.size, nil
}

// copySource is a fakeSource that also vets URLs for copies.
type copySource struct {
	fakeSource
	max    int64
	refuse error
}

func (c *copySource) CopySource(ctx context.Context, uri string) (int64, error) {
	return c.max, c.refuse
}

// copier is a dir store whose storage service copies from URLs: it writes
// copied bytes of the pattern, or answers err.
type copier struct {
	*dir.Store
	copied int64
	err    error
	calls  int
}

func (c *copier) CopyFromURL(ctx context.Context, key, src string, opts store.PutOptions) (int64, error) {
	c.calls++
	if c.err != nil {
		return 0, c.err
	}
	return c.copied, c.Store.Put(ctx, key, &contenttest.Pattern{N: c.copied}, opts)
}

func newDir(t *testing.T) *dir.Store {
	t.Helper()
	d, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCopy(t *testing.T) {
	const size = 3<<20 + 17
	refused := fmt.Errorf("%w: 501 NotImplemented", store.ErrCopyRefused)
	broken := errors.New("blob store: copy to k: 503 ServerBusy")
	private := &azureapi.Error{Class: azureapi.Permanent, Code: "ContentAddressNotAllowed"}
	tests := []struct {
		name      string
		copyStore bool   // the store copies from URLs
		copyErr   error  // what its copy answers
		copied    int64  // bytes its copy writes
		vets      bool   // the source vets copy URLs
		vetErr    error  // what vetting answers
		max       int64  // the cap vetting returns
		wantHow   How    //
		wantErr   string // substring of the error; "" for none
		wantCode  string // azureapi error code wanted
		fetches   int    // fetches of the content by this process
		calls     int    // copies asked of the store
		wantBlob  bool   // the blob holds the pattern after
	}{
		{name: "store cannot copy: streamed", wantHow: Streamed, fetches: 1, wantBlob: true},
		{name: "source cannot vet: streamed", copyStore: true, copied: size, wantHow: Streamed, fetches: 1, wantBlob: true},
		{name: "copied by the service", copyStore: true, copied: size, vets: true, max: size, wantHow: Copied, calls: 1, wantBlob: true},
		{name: "copy refused: streamed", copyStore: true, copyErr: refused, vets: true, max: size, wantHow: Streamed, fetches: 1, calls: 1, wantBlob: true},
		{name: "copy failed: retried later, not streamed", copyStore: true, copyErr: broken, vets: true, max: size, wantHow: Copied, wantErr: "ServerBusy", calls: 1},
		{name: "copied over the cap: deleted", copyStore: true, copied: size, vets: true, max: size - 1, wantHow: Copied, wantCode: "ContentTooLarge", calls: 1},
		{name: "source refused for a copy as for a fetch", copyStore: true, copied: size, vets: true, vetErr: private, wantHow: Copied, wantCode: "ContentAddressNotAllowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := newDir(t)
			var st store.Store = d
			cp := &copier{Store: d, copied: tc.copied, err: tc.copyErr}
			if tc.copyStore {
				st = cp
			}
			var f Fetcher
			fs := &fakeSource{size: size}
			cs := &copySource{fakeSource: fakeSource{size: size}, max: tc.max, refuse: tc.vetErr}
			if tc.vets {
				f, fs = cs, &cs.fakeSource
			} else {
				f = fs
			}
			how, err := Copy(ctx, f, st, "requests/r/export/x/content/a.bin", testURI, store.PutOptions{ContentType: "application/octet-stream"})
			if how != tc.wantHow {
				t.Errorf("how = %v, want %v", how, tc.wantHow)
			}
			switch {
			case tc.wantCode != "":
				var ae *azureapi.Error
				if !errors.As(err, &ae) || ae.Code != tc.wantCode {
					t.Errorf("err = %v, want code %s", err, tc.wantCode)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), contenttest.Secret) {
				t.Errorf("the error carries the URL's signature: %v", err)
			}
			if fs.fetches != tc.fetches || cp.calls != tc.calls {
				t.Errorf("fetched %d times, copied %d times; want %d and %d", fs.fetches, cp.calls, tc.fetches, tc.calls)
			}
			got, err := store.ReadAll(ctx, d, "requests/r/export/x/content/a.bin")
			if !tc.wantBlob {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("a blob was left: %d bytes, %v", len(got), err)
				}
				return
			}
			want, _ := io.ReadAll(&contenttest.Pattern{N: size})
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("blob of %d bytes (%v), want the %d bytes of the source", len(got), err, size)
			}
		})
	}
}
