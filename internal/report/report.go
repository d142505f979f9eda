// Package report renders requests/{id}/report.html, the page a privacy
// officer reads: the request, its subject and targets, the dates (due date
// included), counts by kind and outcome, every delete with its proof,
// every failure with its reason, and the manifest's root. The page is
// self-contained: inline CSS, no script, no external asset or link.
package report

import (
	_ "embed"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
)

// Input is what the report shows.
type Input struct {
	Request  dsr.AcceptedRequest
	Status   dsr.Status // the summary
	DueAt    time.Time
	Records  []dsr.Record
	Manifest *manifest.Facts // its file count and root
}

//go:embed report.html.tmpl
var source string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 MST")
	},
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
}).Parse(source))

// KindCount is the outcomes of one kind of operation.
type KindCount struct {
	Operation dsr.Step
	Kind      string
	Outcomes  map[dsr.Outcome]int
	Total     int
}

// Delete is one delete and its proof: what the page shows of its record.
// A delete of 100,000 resources keeps 100,000 of these until the page is
// rendered in resource order, so it holds no more than that.
type Delete struct {
	Resource, Kind, UpstreamRequestID, Proof string
	Outcome                                  dsr.Outcome
	HTTPStatus                               int
	FinishedAt                               time.Time
}

type view struct {
	Input
	Outcomes []dsr.Outcome
	Kinds    []KindCount
	Deletes  []Delete
	Failures []dsr.Record
	Files    int
	Root     string
}

// outcomes are the columns of the counts table.
var outcomes = []dsr.Outcome{dsr.Succeeded, dsr.Absent, dsr.Planned, dsr.Skipped, dsr.Failed}

// Render writes the report of in to w.
func Render(w io.Writer, in Input) error {
	var t Tally
	for _, r := range in.Records {
		t.Add(r)
	}
	return t.Render(w, in)
}

// Tally gathers what the report shows from records given one at a time:
// counts by kind and outcome, and only the records the page lists (every
// delete with its proof, every failure). A request of 100,000 exports
// keeps a few counters, not its records. The zero value is ready.
type Tally struct {
	byKind   map[[2]string]*KindCount
	deletes  []Delete
	failures []dsr.Record
}

// Lists reports whether the page lists a record of this operation and
// outcome (every delete that was not skipped or failed, with its proof,
// and every failure): only those need the whole record; Count takes the
// others.
func Lists(op dsr.Step, outcome dsr.Outcome) bool {
	return outcome == dsr.Failed || (op == dsr.StepDelete && outcome != dsr.Skipped)
}

// Count counts a record of op, kind and outcome that the page does not
// list (see Lists), from what a listing of the records shows.
func (t *Tally) Count(op dsr.Step, kind string, outcome dsr.Outcome) {
	if t.byKind == nil {
		t.byKind = map[[2]string]*KindCount{}
	}
	k := [2]string{string(op), kind}
	kc := t.byKind[k]
	if kc == nil {
		kc = &KindCount{Operation: op, Kind: kind, Outcomes: map[dsr.Outcome]int{}}
		t.byKind[k] = kc
	}
	kc.Outcomes[outcome]++
	kc.Total++
}

// Add counts r and keeps it when the page lists it.
func (t *Tally) Add(r dsr.Record) {
	t.Count(r.Operation, r.Kind, r.Outcome)
	if r.Operation == dsr.StepDelete && r.Outcome != dsr.Failed && r.Outcome != dsr.Skipped {
		t.deletes = append(t.deletes, Delete{Resource: r.Resource, Kind: r.Kind, UpstreamRequestID: r.UpstreamRequestID, Proof: proof(r),
			Outcome: r.Outcome, HTTPStatus: r.HTTPStatus, FinishedAt: r.FinishedAt})
	}
	if r.Outcome == dsr.Failed {
		t.failures = append(t.failures, r)
	}
}

// Render writes the report of in with the records counted in t (in.Records
// is not read): deletes and failures in the order of their resource, and
// records of one resource in the order they were added.
func (t *Tally) Render(w io.Writer, in Input) error {
	v := view{Input: in, Outcomes: outcomes}
	if in.Manifest != nil {
		v.Files, v.Root = in.Manifest.Files, in.Manifest.Root
	}
	// sorted in place: a stable sort of sorted rows leaves them as they are
	slices.SortStableFunc(t.deletes, func(a, b Delete) int { return strings.Compare(a.Resource, b.Resource) })
	slices.SortStableFunc(t.failures, func(a, b dsr.Record) int { return strings.Compare(a.Resource, b.Resource) })
	v.Deletes, v.Failures = t.deletes, t.failures
	for _, kc := range t.byKind {
		v.Kinds = append(v.Kinds, *kc)
	}
	slices.SortFunc(v.Kinds, func(a, b KindCount) int {
		return strings.Compare(string(a.Operation)+"\x00"+a.Kind, string(b.Operation)+"\x00"+b.Kind)
	})
	return page.Execute(w, v)
}

// proof says what shows that a delete happened: a delete is recorded
// succeeded only after a GET of the resource answered 404.
func proof(r dsr.Record) string {
	switch r.Outcome {
	case dsr.Succeeded:
		return "deleted; confirmed gone by a GET that answered 404"
	case dsr.Absent:
		return "already gone: the service answered 404"
	case dsr.Planned:
		return "dry run: planned, not deleted"
	}
	return string(r.Outcome)
}
