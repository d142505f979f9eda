package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
)

func input() Input {
	created := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	done := created.Add(90 * time.Minute)
	ws := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
	recs := []dsr.Record{
		{Operation: dsr.StepDiscover, Kind: "ws.jobs", Resource: ws + "/jobs", Outcome: dsr.Succeeded, HTTPStatus: 200, UpstreamRequestID: "up-list"},
		{Operation: dsr.StepExport, Kind: "ws.job", Resource: ws + "/jobs/j1", Outcome: dsr.Succeeded, HTTPStatus: 200, UpstreamRequestID: "up-get"},
		{Operation: dsr.StepDelete, Kind: "ws.job", Resource: ws + "/jobs/j1", Outcome: dsr.Succeeded, HTTPStatus: 202, UpstreamRequestID: "up-del-1", FinishedAt: done},
		{Operation: dsr.StepDelete, Kind: "ws.job", Resource: ws + "/jobs/j2", Outcome: dsr.Succeeded, HTTPStatus: 200, UpstreamRequestID: "up-del-2", FinishedAt: done},
		{Operation: dsr.StepDelete, Kind: "ws.model", Resource: ws + "/models/m", Outcome: dsr.Absent, HTTPStatus: 404, UpstreamRequestID: "up-del-3", FinishedAt: done},
		{Operation: dsr.StepDelete, Kind: "ws.model", Resource: ws + "/models/n", Outcome: dsr.Failed, HTTPStatus: 409, UpstreamRequestID: "up-fail",
			Error: &dsr.RecordError{Code: "Conflict", Message: `<script>alert(1)</script> still in use`}},
		{Operation: dsr.StepDelete, Kind: "ws.compute", Resource: ws + "/computes/c", Outcome: dsr.Skipped, Error: &dsr.RecordError{Code: "NotTheSubjects"}},
	}
	st := dsr.Status{RequestID: "dsr-7", Operation: dsr.Delete, State: dsr.StateFailed, CreatedAt: created, CompletedAt: &done,
		Targets: []string{ws}, Counts: dsr.Counts{Discovered: 7, Succeeded: 5, Failed: 1, Skipped: 1}, ManifestSHA256: "abc123"}
	files := []manifest.File{{Name: "request.json", Size: 2, SHA256: "00"}}
	return Input{
		Request: dsr.AcceptedRequest{Request: dsr.Request{RequestID: "dsr-7", Operation: dsr.Delete, Targets: []string{ws}, Match: "subject",
			Subject: &dsr.Subject{ObjectID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", UserPrincipalName: "alice@contoso.com"}}, AcceptedAt: created},
		Status: st, DueAt: created.AddDate(0, 0, 30), Records: recs,
		Manifest: &manifest.Facts{Files: len(files), Root: manifest.RootOf(files)},
	}
}

// facts walks a parsed page.
type facts struct {
	scripts, external []string
	text              map[string]string // element id → text
	cells             map[string]string // "operation/kind/outcome" → text
	upstreams         []string          // code.upstream texts in the deletes table
}

func read(t *testing.T, page []byte) facts {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	f := facts{text: map[string]string{}, cells: map[string]string{}}
	var walk func(n *html.Node, row map[string]string)
	walk = func(n *html.Node, row map[string]string) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
				if a.Key == "src" || a.Key == "href" || a.Key == "srcset" || a.Key == "action" || strings.HasPrefix(a.Key, "on") {
					f.external = append(f.external, n.Data+" "+a.Key+"="+a.Val)
				}
			}
			switch {
			case n.Data == "script" || n.Data == "link" || n.Data == "iframe" || n.Data == "img" || n.Data == "object":
				f.scripts = append(f.scripts, n.Data)
			case n.Data == "style" && strings.Contains(text(n), "url("):
				f.external = append(f.external, "style url()")
			case n.Data == "tr" && attrs["data-kind"] != "":
				row = map[string]string{"operation": attrs["data-operation"], "kind": attrs["data-kind"]}
			case n.Data == "td" && row != nil && attrs["data-outcome"] != "":
				f.cells[row["operation"]+"/"+row["kind"]+"/"+attrs["data-outcome"]] = text(n)
			case n.Data == "code" && attrs["class"] == "upstream":
				f.upstreams = append(f.upstreams, text(n))
			}
			if id := attrs["id"]; id != "" {
				f.text[id] = text(n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, row)
		}
	}
	walk(doc, nil)
	return f
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return strings.TrimSpace(b.String())
}

// TestReportFacts renders a report and checks it against the records it
// was made from: counts per kind and outcome, every delete's upstream id,
// the root, the due date, nothing that loads or runs anything.
func TestReportFacts(t *testing.T) {
	in := input()
	var buf bytes.Buffer
	if err := Render(&buf, in); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("AMLDSR_REPORT_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "report.html"), buf.Bytes(), 0o644)
	}
	f := read(t, buf.Bytes())
	if len(f.scripts) > 0 || len(f.external) > 0 {
		t.Errorf("the page loads or runs something: %v %v", f.scripts, f.external)
	}
	want := map[string]int{}
	totals := map[string]int{}
	for _, r := range in.Records {
		want[fmt.Sprintf("%s/%s/%s", r.Operation, r.Kind, r.Outcome)]++
		totals[fmt.Sprintf("%s/%s/total", r.Operation, r.Kind)]++
	}
	for k, n := range totals {
		want[k] = n
	}
	for k, n := range want {
		if f.cells[k] != fmt.Sprint(n) {
			t.Errorf("count %s: %q, want %d", k, f.cells[k], n)
		}
	}
	var deletes []string
	for _, r := range in.Records {
		if r.Operation == dsr.StepDelete && (r.Outcome == dsr.Succeeded || r.Outcome == dsr.Absent) {
			deletes = append(deletes, r.UpstreamRequestID)
		}
	}
	for _, id := range deletes {
		found := false
		for _, u := range f.upstreams {
			found = found || u == id
		}
		if !found {
			t.Errorf("delete %s not in the deletes table %v", id, f.upstreams)
		}
	}
	if len(f.upstreams) != len(deletes) {
		t.Errorf("deletes table: %v, want %v", f.upstreams, deletes)
	}
	page := buf.String()
	for _, s := range []string{in.Manifest.Root, "alice@contoso.com", in.Request.Targets[0], "still in use", "Conflict", "confirmed gone by a GET that answered 404"} {
		if !strings.Contains(page, s) && !strings.Contains(text(mustParse(t, page)), s) {
			t.Errorf("the page does not show %q", s)
		}
	}
	if f.text["manifest-root"] != in.Manifest.Root || f.text["request-id"] != "dsr-7" {
		t.Errorf("root %q, id %q", f.text["manifest-root"], f.text["request-id"])
	}
	if !strings.Contains(f.text["due-at"], "2 December 2026") {
		t.Errorf("due %q", f.text["due-at"])
	}
}

func mustParse(t *testing.T, s string) *html.Node {
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A tally keeps only the records the page lists: 2,000 exports add
// counts, not records, and the deletes are listed in resource order
// whatever order they were added in.
func TestTallyKeepsOnlyWhatThePageLists(t *testing.T) {
	in := input()
	var tally Tally
	for i := range 2000 {
		tally.Add(dsr.Record{Operation: dsr.StepExport, Kind: "ws.job", Resource: fmt.Sprintf("/x/jobs/j%04d", i), Outcome: dsr.Succeeded})
	}
	for i := len(in.Records) - 1; i >= 0; i-- { // reversed
		tally.Add(in.Records[i])
	}
	if len(tally.deletes) != 3 || len(tally.failures) != 1 {
		t.Fatalf("the tally keeps %d deletes and %d failures, want 3 and 1", len(tally.deletes), len(tally.failures))
	}
	var buf bytes.Buffer
	if err := tally.Render(&buf, Input{Request: in.Request, Status: in.Status, DueAt: in.DueAt, Manifest: in.Manifest}); err != nil {
		t.Fatal(err)
	}
	f := read(t, buf.Bytes())
	if f.cells["export/ws.job/succeeded"] != "2001" || f.cells["delete/ws.job/succeeded"] != "2" {
		t.Errorf("counts: export %q, delete %q", f.cells["export/ws.job/succeeded"], f.cells["delete/ws.job/succeeded"])
	}
	if want := []string{"up-del-1", "up-del-2", "up-del-3"}; fmt.Sprint(f.upstreams) != fmt.Sprint(want) {
		t.Errorf("deletes table %v, want %v (jobs/j1, jobs/j2, models/m: resource order, added in reverse)", f.upstreams, want)
	}
}
