package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/test/fakehost"
	"amldsr/test/procs"
	"amldsr/test/scenario"
	"amldsr/tools/mlsim/sim"
)

// tableFlag turns TestBenchTable on and names the file the table is
// written to: `make bench` runs
// go test -run '^TestBenchTable$' ./test/bench -args -table FILE, then
// prints FILE.
var tableFlag = flag.String("table", "", "measure the bench table and write it to this file (make bench)")

// row is one line of the table: a figure beside its goal.
type row struct {
	measure, figure, goal string
	pass                  string // "pass", "MISS" or "-" (not measured)
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "MISS"
}

// The bucket the throughput rows run against: ARM's read rate, a smaller
// burst so the runs reach the steady state quickly.
const (
	benchBurst  = 50
	benchRefill = 25.0
	benchKey    = "code-bench"
)

// rowsFlag selects row groups by name (comma-separated; empty: all).
var rowsFlag = flag.String("rows", "", "measure only these row groups, comma-separated: "+strings.Join(groupNames, ","))

// groupNames are the row groups in the order they are measured.
var groupNames = []string{"steps", "stream", "instances", "readiness", "big"}

// TestBenchTable measures the figures of issue 9 in one run and prints one
// table, each figure beside its goal. It is a measurement, not a test: a
// row group whose measurement fails gives a MISS row with the reason and
// the run carries on. The table file holds every row measured so far from
// the moment it is measured (see tableFile); the aligned table is written
// at the end.
func TestBenchTable(t *testing.T) {
	if *tableFlag == "" {
		t.Skip("the bench table runs with -table (make bench)")
	}
	selected, err := selectGroups(*rowsFlag)
	if err != nil {
		t.Fatal(err)
	}
	f := &tableFile{path: *tableFlag, log: t.Log,
		title: fmt.Sprintf("amldsr bench table, %s, %d cores", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU())}
	if err := f.start(); err != nil {
		t.Fatal(err)
	}
	var small page // the registry export's results page (instances), for the big row
	groups := map[string]func(t testing.TB, add func(...row)){
		"steps":     func(t testing.TB, add func(...row)) { add(stepsPerCore(t)...) },
		"stream":    func(t testing.TB, add func(...row)) { add(stream1GiB(t)) },
		"instances": func(t testing.TB, add func(...row)) { small = instances(t, add) },
		"readiness": func(t testing.TB, add func(...row)) { add(readiness(t)) },
		"big":       func(t testing.TB, add func(...row)) { hundredK(t, small, add) },
	}
	for _, name := range groupNames {
		if selected[name] {
			runGroup(t, f, name, groups[name])
		}
	}
	if err := f.finish(); err != nil {
		t.Fatal(err)
	}
}

// selectGroups reads -rows: the named groups, or all when empty.
func selectGroups(list string) (map[string]bool, error) {
	sel := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(groupNames, name) {
			return nil, fmt.Errorf("-rows: no row group %q (groups: %s)", name, strings.Join(groupNames, ","))
		}
		sel[name] = true
	}
	if len(sel) == 0 {
		for _, name := range groupNames {
			sel[name] = true
		}
	}
	return sel, nil
}

// stepsPerCore runs BenchmarkExportResourceGroup at scale 1 (in process,
// zero-latency simulator, local store): steps per second per core and
// allocations per step.
func stepsPerCore(t testing.TB) []row {
	var ops int
	res := testing.Benchmark(func(b *testing.B) {
		s, srv, hc := startSim(b, 1)
		client := newClient(b, s, srv, hc)
		log := discardLog()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			ops = exportOnce(b, client, log, fmt.Sprintf("table-%d", i))
		}
	})
	if res.N == 0 || ops == 0 {
		t.Fatal("the in-process export benchmark did not run")
	}
	cores := float64(runtime.GOMAXPROCS(0))
	perCore := float64(ops*res.N) / res.T.Seconds() / cores
	allocs := float64(res.AllocsPerOp()) / float64(ops)
	return []row{
		{"export steps/s per core (in process, zero latency)", fmt.Sprintf("%.0f (%d steps x %d, %d cores)", perCore, ops, res.N, int(cores)), ">= 1000", verdict(perCore >= 1000)},
		{"allocations per export step", fmt.Sprintf("%.0f (%.1f KiB)", allocs, float64(res.AllocedBytesPerOp())/float64(ops)/1024), "(figure only)", "-"},
	}
}

// stream1GiB runs BenchmarkStream1GiB (the infra branch's) when it exists,
// and reads its peak-rss-MiB metric.
func stream1GiB(t testing.TB) row {
	r := row{"peak RSS streaming a 1 GiB artifact into the store", "not measured (no BenchmarkStream1GiB on this branch)", "< 64 MiB", "-"}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkStream1GiB$", "-benchtime", "1x", "./test/bench")
	cmd.Dir = procs.Root()
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`([0-9.]+) peak-rss-MiB`).FindSubmatch(out)
	if err != nil || m == nil {
		return r
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	r.figure, r.pass = fmt.Sprintf("%.1f MiB", v), verdict(v < 64)
	return r
}

// parts are the processes every instance count shares.
type parts struct {
	sim      *procs.Sim
	settings map[string]string
	host     *fakehost.Host
	api      *procs.API
	bus      *procs.ServiceBus
}

func startParts(t testing.TB) *parts {
	return startPartsWith(t, "-scale", "4", "-arm-buckets", fmt.Sprintf("reads=%d/%g,deletes=%d/%g,writes=%d/%g", benchBurst, benchRefill, benchBurst, benchRefill, benchBurst, benchRefill))
}

// startPartsWith starts the simulator with simFlags, Azurite, the Service
// Bus stand-in (counting sends) and the host in front of them.
//
// Azurite is procs.StartAzuriteScaled: plain Azurite deletes, counts and
// lists blobs in time that grows with every blob it holds (Blob Storage
// does not), which the rows would otherwise measure instead of amldsr.
func startPartsWith(t testing.TB, simFlags ...string) *parts {
	sim := procs.StartSim(t, simFlags...)
	az := procs.StartAzuriteScaled(t)
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{LockDuration: 30 * time.Second, MaxDeliveryCount: 10, Admin: true})
	p := &parts{sim: sim, bus: bus, settings: map[string]string{
		"FUNCTIONS_WORKER_RUNTIME":      "custom",
		"ServiceBusConnection":          bus.ConnectionString,
		"DSR_QUEUE":                     fmt.Sprintf("dsr-bench-%d", time.Now().UnixNano()),
		"DSR_SWEEP_SCHEDULE":            "0 */5 * * * *",
		"DSR_STORAGE_CONNECTION_STRING": az.ConnectionString,
		"DSR_CONTAINER":                 "dsr",
		"DSR_LOG_LEVEL":                 "warn",
		// nextLink is https unless it names the host's own URL.
		"DSR_PUBLIC_URL": fakehost.OwnURL,
		// Each instance may spend the whole bucket; the headers share it.
		"DSR_READS_PER_SECOND":   fmt.Sprint(benchRefill),
		"DSR_DELETES_PER_SECOND": fmt.Sprint(benchRefill),
	}}
	for _, kv := range sim.Env() {
		k, v, _ := strings.Cut(kv, "=")
		p.settings[k] = v
	}
	p.host = fakehost.Start(t, procs.StageApp(t), fakehost.Options{Settings: p.settings, ServiceBus: bus.ConnectionString,
		FunctionKey: benchKey, NoTriggers: true})
	p.api = &procs.API{Base: p.host.URL(), Query: "code=" + benchKey}
	return p
}

// instances runs exports of today's workspace (ARM reads only), eight at
// a time so the demand outlasts the bucket's burst, with 1, 2 and 4
// worker-mode instances against the simulator's bucket; then 50 concurrent
// exports of the registry with 2 instances; then one results page of a
// small and of a large request, the small one's returned for the
// 100,000-step row.
func instances(t testing.TB, add func(...row)) page {
	p := startParts(t)
	var large string
	for _, n := range []int{1, 2, 4} {
		workers := startWorkers(t, p, n)
		var ids, bodies []string
		for i := range 8 {
			id := fmt.Sprintf("tp-%d-%d", n, i)
			ids = append(ids, id)
			bodies = append(bodies, fmt.Sprintf(`{"requestId":%q,"operation":"export","targets":[%q]}`, id, scenario.WorkspaceID))
		}
		m := measureRun(t, p, ids, bodies)
		large = ids[0]
		peak, rss := stopWorkers(workers)
		add(
			row{fmt.Sprintf("%d instance(s): ARM throughput, 429 share (8 exports)", n),
				fmt.Sprintf("%.0f %% of %g/s, %.2f %% 429 (%d calls, %v)", 100*m.rate, benchRefill, 100*m.share, m.calls, m.wall.Round(time.Second)),
				">= 90 %, < 1 %", verdict(m.rate >= 0.9 && m.share < 0.01)},
			row{fmt.Sprintf("%d instance(s): status call with Azurite (p50 / max)", n),
				fmt.Sprintf("%v / %v", m.statusP50.Round(time.Millisecond), m.statusMax.Round(time.Millisecond)), "< 200 ms", verdict(m.statusMax < 200*time.Millisecond)},
			row{fmt.Sprintf("%d instance(s): peak RSS per worker", n), rss, "< 200 MiB", verdict(peak > 0 && peak < 200)})
	}
	workers := startWorkers(t, p, 2)
	var ids, bodies []string
	for i := range 50 {
		id := fmt.Sprintf("many-%d", i)
		ids = append(ids, id)
		bodies = append(bodies, fmt.Sprintf(`{"requestId":%q,"operation":"export","targets":[%q]}`, id, scenario.RegistryID))
	}
	m := measureRun(t, p, ids, bodies)
	peak, rss := stopWorkers(workers)
	lost, doubled := checkRecords(t, p, ids)
	sends := p.bus.Sends(t, ids...)
	add(
		row{"50 concurrent requests, 2 instances: all done, lost / doubled records", fmt.Sprintf("%d steps in %v; %d lost, %d doubled", m.steps, m.wall.Round(time.Second), lost, doubled),
			"nothing lost or doubled", verdict(lost == 0 && doubled == 0)},
		row{"50 concurrent requests: status call (p50 / max)", fmt.Sprintf("%v / %v", m.statusP50.Round(time.Millisecond), m.statusMax.Round(time.Millisecond)), "< 200 ms", verdict(m.statusMax < 200*time.Millisecond)},
		row{"50 concurrent requests: peak RSS per worker", rss, "< 200 MiB", verdict(peak > 0 && peak < 200)},
		row{"50 concurrent requests: step messages sent twice (of them re-drives)", sentTwice(sends), "(figure)", "-"})
	// The workspace export has more records than a page holds: its first
	// page is full, as the 100,000-step request's is, so the two compare
	// pages of the same size from requests of very different sizes.
	base := pageCost(t, p, large)
	add(row{"one results page of a small request (baseline for the 100,000-step row)",
		fmt.Sprintf("%v (%d records on the page, %d in the request)", base.d.Round(100*time.Microsecond), base.onPage, base.total), "(figure)", "-"})
	return base
}

// sentTwice says how many step messages were sent more than once, and how
// many of those had a re-drive among their sends.
func sentTwice(c procs.SendCounts) string {
	s := fmt.Sprintf("%d of %d (%d re-driven; %d sends)", c.SentTwice, c.IDs, c.SentTwiceRedriven, c.Sends)
	for i, e := range c.Examples {
		if i == 3 {
			break
		}
		s += fmt.Sprintf(" %s/%s x%d", e.RequestID, e.ID, e.Sends)
	}
	return s
}

func stopWorkers(ws []*procs.Proc) (peak float64, list string) {
	var rss []string
	for _, w := range ws {
		v := w.PeakRSSMiB()
		peak = max(peak, v)
		rss = append(rss, fmt.Sprintf("%.0f", v))
		w.Stop(10 * time.Second)
	}
	return peak, strings.Join(rss, ", ") + " MiB"
}

// checkRecords reads every result of every request: a request with fewer
// records than steps lost some; a step recorded twice is doubled (see
// doubles: the pages of one list are not).
func checkRecords(t testing.TB, p *parts, ids []string) (lost, doubled int) {
	for _, id := range ids {
		st := status(t, p, id)
		recs := p.api.Results(t, id)
		doubled += doubles(recs)
		lost += max(st.Counts.Discovered-len(recs), 0)
	}
	return lost, doubled
}

func startWorkers(t testing.TB, p *parts, n int) []*procs.Proc {
	var out []*procs.Proc
	for i := range n {
		env := []string{fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", procs.FreePort(t)), "DSR_CONCURRENCY=8", "DSR_SWEEP_INTERVAL=30s"}
		for k, v := range p.settings {
			if k == "DSR_PUBLIC_URL" { // the host's own URL; workers serve no API
				continue
			}
			env = append(env, k+"="+v)
		}
		out = append(out, procs.Start(t, fmt.Sprintf("worker-%d-of-%d", i, n), filepath.Join(procs.Binaries(t), "handler"), env, "worker"))
	}
	return out
}

// measured is the figures of a run of requests.
type measured struct {
	rate, share          float64 // ARM calls answered per second, of the refill; 429s of ARM calls
	calls, steps         int
	wall                 time.Duration
	statusP50, statusMax time.Duration
}

// measureRun submits the bodies and polls the requests' status (one call
// every 100 ms, round robin) until all are terminal, sampling the
// simulator's counts: the rate is the ARM calls answered (not 429) per
// second from the moment the bucket's burst is spent to the last call, as
// a share of the refill.
func measureRun(t testing.TB, p *parts, ids, bodies []string) measured {
	var m measured
	before := p.sim.Stats(t)
	start := time.Now()
	for _, b := range bodies {
		p.api.Submit(t, b)
	}
	var lat []time.Duration
	var steadyAt, lastAt time.Time
	var steadyOK, lastOK int
	done := map[string]bool{}
	for i := 0; len(done) < len(ids); i++ {
		id := ids[i%len(ids)]
		if done[id] {
			continue
		}
		t0 := time.Now()
		st := status(t, p, id)
		lat = append(lat, time.Since(t0))
		now := time.Now()
		req, thr := delta(p.sim.Stats(t), before)
		ok := req - thr
		if steadyAt.IsZero() && ok >= benchBurst {
			steadyAt, steadyOK = now, ok
		}
		if ok != lastOK {
			lastOK, lastAt = ok, now
		}
		m.calls, m.share = req, float64(thr)/float64(max(req, 1))
		switch st.State {
		case "succeeded":
			done[id] = true
			m.steps += st.Counts.Discovered
		case "failed", "partial", "cancelled":
			t.Fatalf("%s: %v", id, st)
		}
		if time.Since(start) > 15*time.Minute {
			t.Fatalf("%s not done after 15 minutes: %v", id, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.wall = time.Since(start)
	if !steadyAt.IsZero() && lastAt.After(steadyAt) {
		m.rate = float64(lastOK-steadyOK) / lastAt.Sub(steadyAt).Seconds() / benchRefill
	}
	slices.Sort(lat)
	m.statusP50, m.statusMax = lat[len(lat)/2], lat[len(lat)-1]
	return m
}

func delta(now, before procs.Stats) (req, thr int) {
	r1, t1 := now.Total()
	r0, t0 := before.Total()
	return r1 - r0, t1 - t0
}

func status(t testing.TB, p *parts, id string) procs.Status {
	resp, err := http.Get(p.host.URL() + "/api/dsr/requests/" + id + "?code=" + benchKey)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st procs.Status
	if resp.StatusCode == http.StatusOK {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

// page is the median time of the first results page (5 calls), the
// records on it and the request's record count.
type page struct {
	d             time.Duration
	onPage, total int
}

func pageCost(t testing.TB, p *parts, id string) page {
	d, n, err := firstPage(p, id)
	if err != "" {
		t.Fatalf("results of %s%s", id, err)
	}
	return page{d: d, onPage: n, total: len(p.api.Results(t, id))}
}

// readinessRuns is how many starts the readiness row takes the median of.
const readinessRuns = 11

// readiness starts the handler in local mode readinessRuns times and times
// process start to the first answer of GET / (polled every millisecond).
// It also gives the CPU time (user + system) the process used until then
// (it is killed as soon as it answered): on a busy machine the wall time
// mostly measures the wait for a core, the CPU time less so.
func readiness(t testing.TB) row {
	bin := filepath.Join(procs.Binaries(t), "handler")
	var ds, cpu []time.Duration
	for range readinessRuns {
		port := procs.FreePort(t)
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", port), "DSR_DATA_DIR="+t.TempDir(), "DSR_LOG_LEVEL=error")
		c := &http.Client{Timeout: 100 * time.Millisecond}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var d time.Duration
		for time.Since(start) < 10*time.Second {
			resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err == nil {
				resp.Body.Close()
				d = time.Since(start)
				break
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if d == 0 {
			t.Fatal("the handler never answered GET /")
		}
		ds = append(ds, d)
		cpu = append(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	slices.Sort(ds)
	slices.Sort(cpu)
	med := ds[len(ds)/2]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return row{fmt.Sprintf("readiness: process start to first GET / (median of %d)", readinessRuns),
		fmt.Sprintf("%.1f ms (min %.1f; CPU until then %.1f ms)", ms(med), ms(ds[0]), ms(cpu[len(cpu)/2])), "< 20 ms", verdict(med < 20*time.Millisecond)}
}

func newClient(b *testing.B, s *sim.Server, srv *httptest.Server, hc *http.Client) *azureapi.Client {
	client, err := azureapi.New(simCred{s.IssueToken(sim.DefaultAudience)}, azureapi.Options{
		Endpoints: catalog.Endpoints{ARM: srv.URL + "/arm", ModelManagement: srv.URL + "/mm/{location}", Experiments: srv.URL + "/exp/{location}",
			AML: srv.URL + "/aml/{location}"},
		Transport:           hc,
		ContentAllowPrivate: true, // the simulator serves content from loopback
	})
	if err != nil {
		b.Fatal(err)
	}
	return client
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
