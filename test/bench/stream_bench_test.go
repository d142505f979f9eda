package bench

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/content"
	"amldsr/internal/content/contenttest"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// BenchmarkStream1GiB streams a 1 GiB artifact content from an https
// server on loopback through the real client (FetchContent, as an export
// step does, via content.Copy) into the local store, and reports the
// process's peak resident set meanwhile (peak-rss-MiB; the goal is under
// 64 MiB). The peak is Linux's VmHWM, reset before each run through
// /proc/self/clear_refs; where that cannot be reset the figure is the
// process's peak so far, and the benchmark says so.
//
//	go test -run '^$' -bench BenchmarkStream1GiB ./test/bench/
func BenchmarkStream1GiB(b *testing.B) {
	const size = 1 << 30
	srv, uri := contenttest.Serve(b, size)
	client, err := azureapi.New(nil, azureapi.Options{
		Endpoints: catalog.DefaultEndpoints(), Transport: srv.Client(), ContentAllowPrivate: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(size)
	var peak int64
	for i := 0; b.Loop(); i++ {
		st, err := dir.Open(b.TempDir(), "dsr")
		if err != nil {
			b.Fatal(err)
		}
		reset := resetPeakRSS()
		if !reset && i == 0 {
			b.Log("cannot reset the peak RSS (/proc/self/clear_refs): peak-rss-MiB is the process's peak so far")
		}
		key := "requests/bench/export/content/artifact.bin"
		if _, err := content.Copy(ctx, client, st, key, uri, store.PutOptions{ContentType: "application/octet-stream"}); err != nil {
			b.Fatal(err)
		}
		peak = max(peak, peakRSS(b))
		if info, err := os.Stat(st.Root() + "/" + key); err != nil || info.Size() != size {
			b.Fatalf("stored %v (%v), want %d bytes", info, err, size)
		}
		os.RemoveAll(st.Root())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MiB")
}

// resetPeakRSS resets the kernel's peak resident set of this process
// (VmHWM); false where it cannot.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the process's peak resident set in bytes (VmHWM).
func peakRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: peak RSS is measured on Linux only (%v)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
