package manifest

import (
	"context"
	"maps"
	"strings"

	"amldsr/internal/store"
)

// SumMetadata is the metadata key under which a blob written whole
// carries the SHA-256 of its bytes, computed as it was written (WithSum).
// Build takes a listed blob's hash from it instead of reading the blob: a
// bundle of 100,000 steps holds about 200,000 blobs, each a round trip to
// read. Verify never trusts it: it reads and hashes every file.
const SumMetadata = "sha256"

// WithSum returns md, copied, with SumMetadata set to the hash of b, the
// bytes about to be put.
func WithSum(md map[string]string, b []byte) map[string]string {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]string{}
	}
	out[SumMetadata] = Digest(b)
	return out
}

// sumOf is the hash a listed blob's metadata carries, or "" when it has
// none that is well formed.
func sumOf(md map[string]string) string {
	s := md[SumMetadata]
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return ""
	}
	return s
}

// sumWalker is a Source whose listing carries the hashes written with the
// files (StoreSource).
type sumWalker interface {
	walkSums(ctx context.Context, fn func(name string, size int64, sum string) error) error
}

func (b storeSource) walkSums(ctx context.Context, fn func(string, int64, string) error) error {
	return store.Walk(ctx, b.s, b.prefix, func(info store.Info) error {
		return fn(strings.TrimPrefix(info.Key, b.prefix), info.Size, sumOf(info.Metadata))
	})
}
