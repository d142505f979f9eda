package dir_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// BenchmarkPutRecord writes result-record-sized blobs with metadata,
// create-only, 8 writers at a time (as the worker does).
func BenchmarkPutRecord(b *testing.B) {
	s, err := dir.Open(b.TempDir(), "dsr")
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("x", 600)
	md := map[string]string{"outcome": "succeeded", "operation": "export", "kind": "mm.model"}
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("requests/r1/results/op-%08d.json", n.Add(1))
			if err := s.Put(context.Background(), k, strings.NewReader(body), store.PutOptions{IfNotExists: true, Metadata: md}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
