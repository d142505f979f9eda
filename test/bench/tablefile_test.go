package bench

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	"amldsr/test/procs"
)

// tableFile is the bench table as it is measured. start writes the title
// and the column header; every add appends its rows, one tab-separated line
// each, so the file always holds every row measured so far (a run that
// overruns or fails keeps them); finish rewrites the file aligned.
type tableFile struct {
	path, title string
	rows        []row
	log         func(args ...any) // t.Log: each row as it is measured
}

const tableHeader = "MEASURE\tFIGURE\tGOAL\tPASS/MISS"

func (f *tableFile) start() error {
	return os.WriteFile(f.path, []byte(f.title+"\n"+tableHeader+"\n"), 0o644)
}

func (f *tableFile) add(rs ...row) error {
	var b strings.Builder
	for _, r := range rs {
		f.rows = append(f.rows, r)
		b.WriteString(rowLine(r))
		if f.log != nil {
			f.log(strings.TrimSuffix(rowLine(r), "\n"))
		}
	}
	out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := out.WriteString(b.String()); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (f *tableFile) finish() error {
	return os.WriteFile(f.path, []byte(renderTable(f.title, f.rows)), 0o644)
}

// rowLine is r as one tab-separated line; tabs and line breaks inside a
// field (an error's text) become spaces so that the line stays one row.
func rowLine(r row) string {
	clean := strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ", "\r", " ")
	fields := []string{r.measure, r.figure, r.goal, r.pass}
	for i := range fields {
		fields[i] = clean.Replace(fields[i])
	}
	return strings.Join(fields, "\t") + "\n"
}

// renderTable is the title, the header and rows, in aligned columns.
func renderTable(title string, rows []row) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, title)
	fmt.Fprintln(tw, tableHeader)
	for _, r := range rows {
		fmt.Fprint(tw, rowLine(r))
	}
	tw.Flush()
	return b.String()
}

// groupT is the testing.TB a row group measures with: a Fatal or FailNow
// ends the group (not the run) with its reason, and the group's cleanups
// (the processes it started) run when the group ends, not at the end of
// the whole table.
type groupT struct {
	*testing.T
	mu       sync.Mutex
	reason   string
	cleanups []func()
}

func (g *groupT) fail(reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason == "" {
		g.reason = reason
	}
}

func (g *groupT) Fatal(args ...any) { g.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (g *groupT) Fatalf(format string, args ...any) {
	g.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (g *groupT) FailNow()                          { g.fail("FailNow"); runtime.Goexit() }
func (g *groupT) Error(args ...any)                 { g.fail(fmt.Sprint(args...)) }
func (g *groupT) Errorf(format string, args ...any) { g.fail(fmt.Sprintf(format, args...)) }
func (g *groupT) Fail()                             { g.fail("Fail") }
func (g *groupT) Failed() bool                      { g.mu.Lock(); defer g.mu.Unlock(); return g.reason != "" }

func (g *groupT) Cleanup(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cleanups = append(g.cleanups, f)
}

func (g *groupT) runCleanups() {
	g.mu.Lock()
	fs := g.cleanups
	g.cleanups = nil
	g.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}

// runGroup measures one row group: measure adds its rows as it goes. A
// group that fails adds a MISS row with the reason, and the table carries
// on.
func runGroup(t *testing.T, f *tableFile, name string, measure func(t testing.TB, add func(...row))) {
	g := &groupT{T: t}
	add := func(rs ...row) {
		if err := f.add(rs...); err != nil {
			t.Errorf("table file: %v", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer g.runCleanups()
		measure(g, add)
	}()
	<-done
	if g.Failed() {
		add(row{name + ": measurement failed", g.reason, "-", "MISS"})
	}
}

// doubles counts the records of one request that repeat an earlier
// record's operation, kind and resource: a step recorded twice. The pages
// of one list (discover records) share their list's resource, so discover
// records are exempt.
func doubles(recs []procs.Record) int {
	seen := make(map[string]bool, len(recs))
	n := 0
	for _, r := range recs {
		if r.Operation == "discover" {
			continue
		}
		k := r.Operation + " " + r.Kind + " " + r.Resource
		if seen[k] {
			n++
		}
		seen[k] = true
	}
	return n
}

func TestDoubles(t *testing.T) {
	rec := func(op, kind, res string) procs.Record { return procs.Record{Operation: op, Kind: kind, Resource: res} }
	page := rec("discover", "exp.run", "/subscriptions/s/rg/w/runs")
	for _, c := range []struct {
		name string
		recs []procs.Record
		want int
	}{
		{"none", nil, 0},
		{"distinct", []procs.Record{rec("export", "model", "/m/1"), rec("export", "model", "/m/2")}, 0},
		{"pages of one list", []procs.Record{page, page, page}, 0},
		{"same op twice", []procs.Record{rec("export", "model", "/m/1"), page, rec("export", "model", "/m/1")}, 1},
		{"three times", []procs.Record{rec("delete", "blob", "/b"), rec("delete", "blob", "/b"), rec("delete", "blob", "/b")}, 2},
		{"other kind", []procs.Record{rec("export", "model", "/m/1"), rec("export", "run", "/m/1")}, 0},
		{"other operation", []procs.Record{rec("export", "model", "/m/1"), rec("delete", "model", "/m/1")}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := doubles(c.recs); got != c.want {
				t.Errorf("doubles = %d, want %d", got, c.want)
			}
		})
	}
}

func TestRowLine(t *testing.T) {
	for _, c := range []struct {
		name string
		r    row
		want string
	}{
		{"plain", row{"m", "1 ms", "< 2 ms", "pass"}, "m\t1 ms\t< 2 ms\tpass\n"},
		{"error text", row{"g: measurement failed", "x\ty\nz\r\nw", "-", "MISS"}, "g: measurement failed\tx y z w\t-\tMISS\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rowLine(c.r); got != c.want {
				t.Errorf("rowLine = %q, want %q", got, c.want)
			}
		})
	}
}

// The file holds the header and every row added so far after each add, and
// the aligned table after finish.
func TestTableFile(t *testing.T) {
	f := &tableFile{path: t.TempDir() + "/table.txt", title: "amldsr bench table"}
	read := func() string {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if err := f.start(); err != nil {
		t.Fatal(err)
	}
	head := "amldsr bench table\n" + tableHeader + "\n"
	if got := read(); got != head {
		t.Fatalf("after start: %q, want %q", got, head)
	}
	steps := []struct {
		add  []row
		want string
	}{
		{[]row{{"a", "1", "> 0", "pass"}}, head + "a\t1\t> 0\tpass\n"},
		{[]row{{"bb", "22", "< 3", "MISS"}, {"c", "3", "(figure)", "-"}}, head + "a\t1\t> 0\tpass\nbb\t22\t< 3\tMISS\nc\t3\t(figure)\t-\n"},
	}
	for i, s := range steps {
		if err := f.add(s.add...); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != s.want {
			t.Fatalf("after add %d: %q, want %q", i, got, s.want)
		}
	}
	if err := f.finish(); err != nil {
		t.Fatal(err)
	}
	want := "amldsr bench table\n" +
		"MEASURE  FIGURE  GOAL      PASS/MISS\n" +
		"a        1       > 0       pass\n" +
		"bb       22      < 3       MISS\n" +
		"c        3       (figure)  -\n"
	if got := read(); got != want {
		t.Fatalf("after finish:\n%s\nwant:\n%s", got, want)
	}
}

// A group that fails adds the rows it measured, then a MISS row with the
// reason; its cleanups run when it ends; the next group still runs.
func TestRunGroup(t *testing.T) {
	f := &tableFile{path: t.TempDir() + "/table.txt", title: "t"}
	if err := f.start(); err != nil {
		t.Fatal(err)
	}
	cleaned := false
	runGroup(t, f, "first", func(t testing.TB, add func(...row)) {
		t.Cleanup(func() { cleaned = true })
		add(row{"first: a", "1", "> 0", "pass"})
		t.Fatalf("the handler never answered %s", "GET /")
		add(row{"first: never", "", "", ""})
	})
	if !cleaned {
		t.Error("the failed group's cleanup did not run when it ended")
	}
	runGroup(t, f, "second", func(t testing.TB, add func(...row)) { add(row{"second: b", "2", "> 0", "pass"}) })
	want := []row{
		{"first: a", "1", "> 0", "pass"},
		{"first: measurement failed", "the handler never answered GET /", "-", "MISS"},
		{"second: b", "2", "> 0", "pass"},
	}
	if !slices.Equal(f.rows, want) {
		t.Errorf("rows = %q, want %q", f.rows, want)
	}
}
