package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"amldsr/internal/store"
)

var (
	_ store.StreamPutter = (*Store)(nil)
	_ store.URLCopier    = (*Store)(nil)
)

// PutStream writes a large, opaque body (artifact content) to key with
// azblob's UploadStream: blocks of BlockSize, at most Concurrency of them in
// flight, in buffers outside the Go heap; nothing holds the whole body. The
// blob appears only when its block list is committed, so a body that fails
// midway leaves no blob (and an existing blob its old content). Options as
// for Put.
func (s *Store) PutStream(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	up, err := uploadOf(opts)
	if err != nil {
		return err
	}
	_, err = s.c.NewBlockBlobClient(key).UploadStream(ctx, store.ContextReader(ctx, body), &blockblob.UploadStreamOptions{
		BlockSize: BlockSize, Concurrency: Concurrency,
		HTTPHeaders: up.headers, Metadata: up.metadata, AccessConditions: up.cond,
	})
	return s.putError(ctx, key, err, opts.IfNotExists)
}

// CopyFromURL has the storage service copy the content at sourceURL into
// key in one synchronous Put Blob From URL (sources up to
// store.MaxCopyFromURL), and returns the size of the new blob. A refusal
// by the service (the source unreachable or too large for it, or no such
// operation, as in Azurite) is store.ErrCopyRefused; the error names the
// service's status and code, never the source URL.
func (s *Store) CopyFromURL(ctx context.Context, key, sourceURL string, opts store.PutOptions) (int64, error) {
	if err := store.ValidKey(key); err != nil {
		return 0, err
	}
	up, err := uploadOf(opts)
	if err != nil {
		return 0, err
	}
	bb := s.c.NewBlockBlobClient(key)
	_, err = bb.UploadBlobFromURL(ctx, sourceURL, &blockblob.UploadBlobFromURLOptions{
		HTTPHeaders: up.headers, Metadata: up.metadata,
		AccessConditions:         up.cond,
		CopySourceBlobProperties: to.Ptr(false),
	})
	if err != nil {
		var re *azcore.ResponseError
		if !errors.As(err, &re) { // the transport's error names the destination, not the source
			return 0, fmt.Errorf("blob store: copy to %s: %w", key, err)
		}
		if opts.IfNotExists && (re.StatusCode == http.StatusConflict || re.StatusCode == http.StatusPreconditionFailed) && committed(ctx, bb.BlobClient()) {
			return 0, store.ErrExists
		}
		if copyRefused(re.StatusCode) {
			return 0, fmt.Errorf("%w: %d %s", store.ErrCopyRefused, re.StatusCode, re.ErrorCode)
		}
		return 0, fmt.Errorf("blob store: copy to %s: %d %s", key, re.StatusCode, re.ErrorCode)
	}
	props, err := bb.GetProperties(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("blob store: copy to %s: %w", key, err)
	}
	return *props.ContentLength, nil
}

// copyRefused reports whether a copy answered with status is one the
// service will not do (a client error other than a timeout or throttling,
// or 501 Not Implemented), rather than one it failed to do this time.
func copyRefused(status int) bool {
	return status == http.StatusNotImplemented ||
		status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// uploadOf checks opts and turns them into what an upload sends besides
// the body.
func uploadOf(opts store.PutOptions) (upload, error) {
	md, err := toAzure(opts.Metadata)
	if err != nil {
		return upload{}, err
	}
	up := upload{headers: &blob.HTTPHeaders{}, metadata: md}
	if opts.ContentType != "" {
		up.headers.BlobContentType = &opts.ContentType
	}
	if opts.IfNotExists {
		up.cond = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}}
	}
	return up, nil
}
