package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store/dir"
	"amldsr/internal/store/storetest"
)

// TestStatusReadsOnlyNewRecords: a status call reads the records it needs
// (the failed ones, for their errors) once; a second call with nothing
// new reads none, and after one more failed record it reads that one.
func TestStatusReadsOnlyNewRecords(t *testing.T) {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	cs := storetest.NewCounting(st)
	l := New(cs, "dsr")
	ctx := context.Background()
	if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: dsr.Request{RequestID: "r1", Operation: dsr.Delete, Targets: []string{"/subscriptions/s"}}, AcceptedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	l.Pend(ctx, "r1", Marker{OpKey: "open"}) // keeps the request running
	fail := func(k string) {
		if _, err := l.Record(ctx, k, dsr.Record{RequestID: "r1", Outcome: dsr.Failed, Error: &dsr.RecordError{Code: "X", Message: k}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		fail(fmt.Sprint("f", i))
		l.Record(ctx, fmt.Sprint("s", i), dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	}
	results := dsr.ResultsPrefix("r1")
	cs.Reset()
	s1, err := l.Status(ctx, "r1")
	if err != nil || s1.Counts.Failed != 3 || len(s1.Errors) != 3 {
		t.Fatalf("first status: %+v %v", s1, err)
	}
	if n := cs.Calls("get", results); n != 3 {
		t.Fatalf("first status read %d records, want the 3 failed ones", n)
	}
	cs.Reset()
	s2, err := l.Status(ctx, "r1")
	if err != nil || s2.Counts != s1.Counts || len(s2.Errors) != 3 || s2.Errors[2].Message != "f2" {
		t.Fatalf("second status: %+v %v", s2, err)
	}
	if n := cs.Calls("get", results); n != 0 {
		t.Fatalf("second status read %d records, nothing changed", n)
	}
	fail("f3")
	cs.Reset()
	s3, err := l.Status(ctx, "r1")
	if err != nil || s3.Counts.Failed != 4 || len(s3.Errors) != 4 {
		t.Fatalf("third status: %+v %v", s3, err)
	}
	if n := cs.Calls("get", results); n != 1 {
		t.Fatalf("third status read %d records, want the new one", n)
	}
}

// TestAResultsPageReadsItsRecordsOnly: one page of results lists one page
// and reads the records on it, whatever the request's size.
func TestAResultsPageReadsItsRecordsOnly(t *testing.T) {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	cs := storetest.NewCounting(st)
	l := New(cs, "dsr")
	ctx := context.Background()
	for i := range 40 {
		l.Record(ctx, fmt.Sprintf("op-%02d", i), dsr.Record{RequestID: "r1", Outcome: dsr.Succeeded})
	}
	_, next, err := l.Results(ctx, "r1", "", 7)
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	cs.Reset()
	recs, _, err := l.Results(ctx, "r1", next, 7)
	if err != nil || len(recs) != 7 {
		t.Fatalf("second page: %d %v", len(recs), err)
	}
	if g, n := cs.Calls("get", dsr.ResultsPrefix("r1")), cs.Listed(dsr.ResultsPrefix("r1")); g != 7 || n != 7 {
		t.Fatalf("a page of 7 read %d records and listed %d items", g, n)
	}
}
