package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"amldsr/internal/store"
)

const (
	// BlockSize is the size of one staged block, and the largest body that
	// goes up in a single Put Blob. A Put holds at most Concurrency blocks
	// in memory at a time.
	BlockSize = 4 << 20
	// Concurrency is how many blocks of one Put are in memory (one being
	// read while the other is sent, or two being sent) at once.
	Concurrency = 2
	// MaxBlocks is the service's limit of blocks in one blob: a body
	// longer than MaxBlocks*BlockSize (about 195 GiB) is refused.
	MaxBlocks = 50_000
)

// Put writes body to key; see store.Store.
//
// The body is read to its end in blocks of BlockSize, at most Concurrency
// of them in memory, and becomes visible only when the whole of it is
// committed. A body that fails (or a ctx that ends) before then commits
// nothing: a new key stays absent, an existing blob keeps its old content.
// With opts.IfNotExists the commit carries If-None-Match: *, so of several
// racing writers exactly one succeeds and the others get store.ErrExists.
//
// opts.Metadata keys must be lower-case letters and digits starting with a
// letter; values printable ASCII without leading or trailing spaces (the
// service cannot keep other values intact). Pairs with an empty value are
// not stored; a nil or empty map stores no metadata (and an overwrite
// drops the old blob's). opts.ContentType defaults to
// application/octet-stream.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	md, err := toAzure(opts.Metadata)
	if err != nil {
		return err
	}
	bb := s.c.NewBlockBlobClient(key)
	up := upload{headers: &blob.HTTPHeaders{}, metadata: md}
	if opts.ContentType != "" {
		up.headers.BlobContentType = &opts.ContentType
	}
	if opts.IfNotExists {
		up.cond = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}}
	}
	return s.putError(ctx, key, up.run(ctx, bb, body), opts.IfNotExists)
}

// upload is what one Put sends besides the body.
type upload struct {
	headers  *blob.HTTPHeaders
	metadata map[string]*string
	cond     *blob.AccessConditions
}

// run sends body: a body of at most BlockSize bytes in a single Put Blob,
// a longer one as staged blocks and a Put Block List.
func (u upload) run(ctx context.Context, bb *blockblob.Client, body io.Reader) error {
	body = store.ContextReader(ctx, body)
	first, err := readFirst(body)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return u.small(ctx, bb, first)
	case err != nil:
		return fmt.Errorf("reading body: %w", err)
	}
	st := newStager(ctx, bb)
	defer st.close()
	ids, err := st.stageAll(first, body)
	if err != nil {
		return err
	}
	return u.commit(ctx, bb, ids)
}

// small sends a body of at most one block in one Put Blob.
//
// Azurite refuses a create-only Put Blob where a failed put left only
// uncommitted blocks, although that blob does not exist for any other
// operation; such a refusal, with no committed blob there, is retried as a
// block and a commit, which judges existence by committed content.
func (u upload) small(ctx context.Context, bb *blockblob.Client, data []byte) error {
	_, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		HTTPHeaders: u.headers, Metadata: u.metadata, AccessConditions: u.cond,
	})
	if u.cond == nil || !bloberror.HasCode(err, bloberror.BlobAlreadyExists) || committed(ctx, bb.BlobClient()) {
		return err
	}
	var ids []string
	if len(data) > 0 {
		id := blockID(rand.Text(), 0)
		if _, err := bb.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(data)), nil); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	return u.commit(ctx, bb, ids)
}

// commit makes the staged blocks ids the blob's content.
func (u upload) commit(ctx context.Context, bb *blockblob.Client, ids []string) error {
	_, err := bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		HTTPHeaders: u.headers, Metadata: u.metadata, AccessConditions: u.cond,
	})
	return err
}

// putError maps the service's refusal of a create-only write to
// store.ErrExists.
//
// A create-only write staged in blocks can also fail with InvalidBlockList
// when another writer committed the same key meanwhile (a commit discards
// the blob's other uncommitted blocks); if the key now exists, that too is
// ErrExists.
func (s *Store) putError(ctx context.Context, key string, err error, createOnly bool) error {
	switch {
	case err == nil:
		return nil
	case createOnly && bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet):
		return store.ErrExists
	case createOnly && bloberror.HasCode(err, bloberror.InvalidBlockList) && committed(ctx, s.c.NewBlobClient(key)):
		return store.ErrExists
	}
	return fmt.Errorf("blob store: put %s: %w", key, err)
}

// committed reports whether the blob bc addresses exists now, with
// committed content.
func committed(ctx context.Context, bc *blob.Client) bool {
	_, err := bc.GetProperties(ctx, nil)
	return err == nil
}

// toAzure checks metadata and converts it to the SDK's form (nil for none).
func toAzure(md map[string]string) (map[string]*string, error) {
	var out map[string]*string
	for k, v := range md {
		if err := validMetadata(k, v); err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]*string, len(md))
		}
		out[k] = &v
	}
	return out, nil
}

var errMetadata = errors.New("blob store: bad metadata")

// validMetadata accepts a key of lower-case letters and digits starting
// with a letter (a C# identifier, as Azure requires, in the lower case the
// store port promises) and a value of printable ASCII that HTTP would not
// trim.
func validMetadata(k, v string) error {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return fmt.Errorf("%w: key %q must start with a lower-case letter", errMetadata, k)
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: key %q holds other than lower-case letters and digits", errMetadata, k)
		}
	}
	for _, c := range []byte(v) {
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("%w: value of %q holds other than printable ASCII", errMetadata, k)
		}
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return fmt.Errorf("%w: value of %q starts or ends with a space", errMetadata, k)
	}
	return nil
}
