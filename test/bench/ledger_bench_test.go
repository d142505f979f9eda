package bench

import (
	"context"
	"fmt"
	"testing"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/store/dir"
)

// BenchmarkStatus derives the status of a request with 10,000 result
// records from local files (what every status poll costs until the
// request is finished).
func BenchmarkStatus(b *testing.B) {
	st, err := dir.Open(b.TempDir(), "dsr")
	if err != nil {
		b.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	ctx := context.Background()
	l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r", Operation: dsr.Export, Targets: []string{"/subscriptions/s"}}})
	for i := range 10000 {
		l.Record(ctx, fmt.Sprintf("op-%05d", i), dsr.Record{RequestID: "r", Outcome: dsr.Succeeded})
	}
	l.Pend(ctx, "r", ledger.Marker{OpKey: "still-running"})
	b.ResetTimer()
	for range b.N {
		if _, err := l.Status(ctx, "r"); err != nil {
			b.Fatal(err)
		}
	}
}
