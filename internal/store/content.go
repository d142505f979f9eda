package store

import (
	"context"
	"errors"
	"io"
)

// ErrCopyRefused is returned (wrapped) by CopyFromURL when the storage
// service refused to copy from the source: it cannot reach it, the source
// is too large for one copy, or the service has no such operation (Azurite).
// The caller then streams the content itself.
var ErrCopyRefused = errors.New("store: server-side copy refused")

// MaxCopyFromURL is the largest source a single server-side copy takes
// (Put Blob From URL: 5,000 MiB).
const MaxCopyFromURL = 5000 << 20

// StreamPutter is implemented by adapters with a write path of their own for
// large, opaque content (artifact content): the same contract as Put, in
// memory bounded by the adapter whatever the body's length.
type StreamPutter interface {
	PutStream(ctx context.Context, key string, body io.Reader, opts PutOptions) error
}

// URLCopier is implemented by adapters whose storage service can copy
// content from a URL itself, so that the bytes never pass through this
// process. CopyFromURL writes key from sourceURL, whole or not at all, and
// returns the size written. sourceURL may carry a credential (a SAS): the
// adapter never puts it into an error or a log.
type URLCopier interface {
	CopyFromURL(ctx context.Context, key, sourceURL string, opts PutOptions) (int64, error)
}
