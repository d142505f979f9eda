package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/internal/store"
)

// ErrInvalidMarker is returned (wrapped) by List when the service refuses
// the marker: it was not a Next of an earlier page of this listing.
var ErrInvalidMarker = errors.New("blob store: invalid list marker")

// MaxPage is the most items the service returns in one page.
const MaxPage = 5000

// Get opens key; see store.Store. The caller closes the body. A body that
// breaks while being read is resumed (up to three times) from where it
// broke, and only from the same version of the blob (If-Match its ETag):
// an overwrite in between fails the read rather than mixing two versions.
// A missing blob is store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, store.Info, error) {
	if err := store.ValidKey(key); err != nil {
		return nil, store.Info{}, err
	}
	resp, err := s.c.NewBlobClient(key).DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil, store.Info{}, store.ErrNotFound
	}
	if err != nil {
		return nil, store.Info{}, fmt.Errorf("blob store: get %s: %w", key, err)
	}
	info := store.Info{Key: key, Metadata: fromAzure(resp.Metadata)}
	if resp.ContentLength != nil {
		info.Size = *resp.ContentLength
	}
	if resp.LastModified != nil {
		info.Modified = *resp.LastModified
	}
	return resp.NewRetryReader(ctx, nil), info, nil
}

// Delete removes key and any snapshots of it; see store.Store. A missing
// blob is success.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	_, err := s.c.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	if err == nil || bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil
	}
	return fmt.Errorf("blob store: delete %s: %w", key, err)
}

// List returns one page of the blobs whose keys start with prefix, in
// ascending order of keys, with their metadata; see store.Store.
//
// max is capped at MaxPage (and 0 or less means MaxPage). The service may
// return fewer items than max, even none, with a Next to go on from:
// callers follow Next until it is empty. marker is the Next of an earlier
// page (opaque, from the service); one the service refuses is
// ErrInvalidMarker.
func (s *Store) List(ctx context.Context, prefix, marker string, max int) (store.Page, error) {
	if max <= 0 || max > MaxPage {
		max = MaxPage
	}
	opts := &container.ListBlobsFlatOptions{
		Include:    container.ListBlobsInclude{Metadata: true},
		MaxResults: to.Ptr(int32(max)),
	}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	if marker != "" {
		opts.Marker = &marker
	}
	resp, err := s.c.NewListBlobsFlatPager(opts).NextPage(ctx)
	if err != nil {
		return store.Page{}, listError(prefix, marker, err)
	}
	var page store.Page
	if resp.Segment != nil {
		for _, it := range resp.Segment.BlobItems {
			page.Items = append(page.Items, itemInfo(it))
		}
	}
	if resp.NextMarker != nil {
		page.Next = *resp.NextMarker
	}
	return page, nil
}

// listError maps the service's 400 for a listing that has a marker to
// ErrInvalidMarker: prefix and page size are always well-formed.
func listError(prefix, marker string, err error) error {
	var re *azcore.ResponseError
	if marker != "" && errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
		return fmt.Errorf("%w %q (listing %q): %w", ErrInvalidMarker, marker, prefix, err)
	}
	return fmt.Errorf("blob store: list %q: %w", prefix, err)
}

// itemInfo converts one listed blob.
func itemInfo(it *container.BlobItem) store.Info {
	info := store.Info{Metadata: fromAzure(it.Metadata)}
	if it.Name != nil {
		info.Key = *it.Name
	}
	if p := it.Properties; p != nil {
		if p.ContentLength != nil {
			info.Size = *p.ContentLength
		}
		if p.LastModified != nil {
			info.Modified = *p.LastModified
		}
	}
	return info
}

// fromAzure converts metadata from the SDK's form, nil when there is none.
// Keys are lower-cased: the SDK reads them from HTTP headers, whose names
// Go capitalizes ("Outcome"), and the store port's keys are lower case.
func fromAzure(md map[string]*string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		if v != nil {
			out[strings.ToLower(k)] = *v
		}
	}
	return out
}
