// Package content brings an artifact's content, which the service names by
// a pre-signed URL (a SAS), into the result store: copied by the storage
// service itself where the store can and the service accepts, else streamed
// through this process in bounded memory. Either way the content's cap
// (DSR_MAX_CONTENT_BYTES) and the rules on where content may come from
// hold, and the URL's signature reaches no error and no log.
package content

import (
	"context"
	"errors"
	"io"

	"amldsr/internal/azureapi"
	"amldsr/internal/store"
)

// Fetcher opens the content at a URL the service returned
// (azureapi.Client.FetchContent): no credential sent, private addresses
// refused, and a body that fails once it passes the cap.
type Fetcher interface {
	FetchContent(ctx context.Context, rawURL string) (io.ReadCloser, int64, error)
}

// CopySourcer is implemented by a Fetcher that can vet a URL for a
// server-side copy by the rules of a fetch (azureapi.Client.CopySource),
// returning the cap.
type CopySourcer interface {
	CopySource(ctx context.Context, rawURL string) (int64, error)
}

// How says which way content reached the store.
type How int

const (
	// Streamed: fetched by this process and written through the store.
	Streamed How = iota
	// Copied: copied by the storage service from the URL.
	Copied
)

func (h How) String() string { return [...]string{"streamed", "copied"}[h] }

// Copy writes the content at uri to key in st.
//
// When st is a store.URLCopier and f a CopySourcer that accepts uri, the
// storage service is asked to copy it; content it copied over the cap is
// deleted again and is a ContentTooLarge error. When the service refuses
// (store.ErrCopyRefused: Azurite has no such operation, a source over
// store.MaxCopyFromURL, one the service cannot reach), or no copy is
// possible, the content is fetched and streamed: through the store's
// StreamPutter if it has one, else its Put. Any other failure of a copy is
// returned as it is (the step is retried).
func Copy(ctx context.Context, f Fetcher, st store.Store, key, uri string, opts store.PutOptions) (How, error) {
	if cp, ok := st.(store.URLCopier); ok {
		if cs, ok := f.(CopySourcer); ok {
			max, err := cs.CopySource(ctx, uri)
			if err != nil {
				return Copied, err
			}
			n, err := cp.CopyFromURL(ctx, key, uri, opts)
			switch {
			case err == nil && n > max:
				if derr := st.Delete(ctx, key); derr != nil {
					return Copied, derr
				}
				return Copied, azureapi.TooLarge(n, max)
			case err == nil:
				return Copied, nil
			case !errors.Is(err, store.ErrCopyRefused):
				return Copied, err
			}
		}
	}
	return Streamed, stream(ctx, f, st, key, uri, opts)
}

// stream fetches uri and writes its body to key as it arrives.
func stream(ctx context.Context, f Fetcher, st store.Store, key, uri string, opts store.PutOptions) error {
	body, _, err := f.FetchContent(ctx, uri)
	if err != nil {
		return err
	}
	defer body.Close()
	if sp, ok := st.(store.StreamPutter); ok {
		return sp.PutStream(ctx, key, body, opts)
	}
	return st.Put(ctx, key, body, opts)
}
