package report

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/memtest"
)

// BenchmarkReportOf100kDeletes measures the peak Go heap of the report of
// a delete request of 100,000 resources: the page lists every delete, so
// the tally keeps each (the export's report keeps counters only).
// Reproduce:
//
//	go test -run XXX -bench ReportOf100kDeletes -benchtime 1x ./internal/report
func BenchmarkReportOf100kDeletes(b *testing.B) {
	const n = 100_000
	ws := "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dsr-target/providers/Microsoft.MachineLearningServices/workspaces/ws-1"
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := memtest.PeakHeap(2 * time.Millisecond)
	for b.Loop() {
		var t Tally
		for i := range n {
			t.Add(dsr.Record{RequestID: "dsr-big", Operation: dsr.StepDelete, Kind: "ml.job", Outcome: dsr.Succeeded,
				Resource: fmt.Sprintf("%s/jobs/job-%08d", ws, i), Attempts: 1, HTTPStatus: 200,
				UpstreamRequestID: fmt.Sprintf("%08d-aaaa-bbbb-cccc-dddddddddddd", i),
				StartedAt:         time.Unix(int64(i), 0), FinishedAt: time.Unix(int64(i+1), 0)})
		}
		if err := t.Render(io.Discard, Input{Status: dsr.Status{RequestID: "dsr-big"}}); err != nil {
			b.Fatal(err)
		}
	}
	peak := stop()
	b.ReportMetric(float64(peak-min(peak, before.HeapInuse))/(1<<20), "peak-heap-MiB")
}
