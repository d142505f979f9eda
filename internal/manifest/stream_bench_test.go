package manifest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"amldsr/internal/memtest"
)

// listedBundle walks n files in byte order, each with a written hash, as
// the listing of a finished 100,000-step export does (about 213,000 blobs).
type listedBundle int

func (n listedBundle) Walk(context.Context, func(string, int64) error) error { panic("walkSums only") }
func (n listedBundle) Open(context.Context, string) (io.ReadCloser, error) {
	panic("every file has a sum")
}

func (n listedBundle) walkSums(_ context.Context, fn func(string, int64, string) error) error {
	sum := Digest([]byte("x"))
	for i := range int(n) {
		if err := fn(fmt.Sprintf("results/%064d.json", i), 1234, sum); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkManifestOf213kFiles compares the peak Go heap of a manifest of
// 213,000 files built whole and encoded (BuildFrom, Encode: as Finalize
// did) with the streamed one (Write). Reproduce:
//
//	go test -run XXX -bench ManifestOf213k -benchtime 1x ./internal/manifest
func BenchmarkManifestOf213kFiles(b *testing.B) {
	const files = listedBundle(213_000)
	ctx := context.Background()
	b.Run("whole", func(b *testing.B) {
		peak := heapPeak(b, func() {
			m, err := BuildFrom(ctx, files, "big")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(m.Encode())
		})
		b.ReportMetric(peak, "peak-heap-MiB")
	})
	b.Run("streamed", func(b *testing.B) {
		peak := heapPeak(b, func() {
			if _, err := Write(ctx, files, "big", io.Discard); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(peak, "peak-heap-MiB")
	})
}

// heapPeak runs fn b.N times and returns the largest live heap seen
// (sampled every millisecond), in MiB.
func heapPeak(b *testing.B, fn func()) float64 {
	runtime.GC()
	stop := memtest.PeakHeap(time.Millisecond)
	for b.Loop() {
		fn()
	}
	return float64(stop()) / (1 << 20)
}
