// Package memtest samples the Go heap for the tests and benchmarks that
// bound or report memory (never time).
package memtest

import (
	"runtime"
	"time"
)

// PeakHeap samples HeapInuse every interval until the returned stop is
// called, which returns the largest value seen. A sample can only miss a
// peak, never invent one.
func PeakHeap(every time.Duration) (stop func() uint64) {
	var peak uint64
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done
		return peak
	}
}
