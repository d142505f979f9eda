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
	"text/tabwriter"
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

// TestBenchTable measures the figures of issue 9 in one run and prints one
// table, each figure beside its goal. It is a measurement, not a test: it
// fails only when a run cannot be carried out.
func TestBenchTable(t *testing.T) {
	if *tableFlag == "" {
		t.Skip("the bench table runs with -table (make bench)")
	}
	var rows []row
	rows = append(rows, stepsPerCore(t)...)
	rows = append(rows, stream1GiB(t))
	rows = append(rows, instances(t)...)
	rows = append(rows, readiness(t))
	rows = append(rows,
		row{"100,000-step request (wall, RSS, status, page, doubles)", "not measured", "nothing lost or doubled; RSS < 200 MiB; status < 200 ms", "-"},
		row{"50 concurrent requests (same figures)", "not measured", "as above", "-"})
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "amldsr bench table, %s, %d cores\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU())
	fmt.Fprintln(tw, "MEASURE\tFIGURE\tGOAL\tPASS/MISS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.measure, r.figure, r.goal, r.pass)
	}
	tw.Flush()
	if err := os.WriteFile(*tableFlag, []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stepsPerCore runs BenchmarkExportResourceGroup at scale 1 (in process,
// zero-latency simulator, local store): steps per second per core and
// allocations per step.
func stepsPerCore(t *testing.T) []row {
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
func stream1GiB(t *testing.T) row {
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
}

func startParts(t *testing.T) *parts {
	sim := procs.StartSim(t, "-scale", "4", "-arm-buckets", fmt.Sprintf("reads=%d/%g,deletes=%d/%g,writes=%d/%g", benchBurst, benchRefill, benchBurst, benchRefill, benchBurst, benchRefill))
	az := procs.StartAzurite(t)
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{LockDuration: 30 * time.Second, MaxDeliveryCount: 10})
	p := &parts{sim: sim, settings: map[string]string{
		"FUNCTIONS_WORKER_RUNTIME":      "custom",
		"ServiceBusConnection":          bus.ConnectionString,
		"DSR_QUEUE":                     fmt.Sprintf("dsr-bench-%d", time.Now().UnixNano()),
		"DSR_SWEEP_SCHEDULE":            "0 */5 * * * *",
		"DSR_STORAGE_CONNECTION_STRING": az.ConnectionString,
		"DSR_CONTAINER":                 "dsr",
		"DSR_LOG_LEVEL":                 "warn",
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

// instances runs one export of today's workspace (ARM reads) with 1, 2
// and 4 worker-mode instances against the simulator's bucket.
func instances(t *testing.T) []row {
	p := startParts(t)
	var rows []row
	var pageSmall, pageLarge time.Duration
	var largeSteps int
	for _, n := range []int{1, 2, 4} {
		workers := startWorkers(t, p, n)
		m := measureRun(t, p, fmt.Sprintf("tp-%d", n), fmt.Sprintf(`{"requestId":"tp-%d","operation":"export","targets":[%q]}`, n, scenario.WorkspaceID))
		var rss []string
		peak := 0.0
		for _, w := range workers {
			v := w.PeakRSSMiB()
			peak = max(peak, v)
			rss = append(rss, fmt.Sprintf("%.0f", v))
			w.Stop(10 * time.Second)
		}
		ok := m.rate >= 0.9 && m.share < 0.01
		rows = append(rows,
			row{fmt.Sprintf("%d instance(s): throughput, 429 share", n),
				fmt.Sprintf("%.0f %% of %g/s, %.2f %% 429 (%d calls in %v; %d steps)", 100*m.rate, benchRefill, 100*m.share, m.calls, m.wall.Round(time.Second), m.steps),
				">= 90 %, < 1 %", verdict(ok)},
			row{fmt.Sprintf("%d instance(s): status call with Azurite (p50 / max)", n),
				fmt.Sprintf("%v / %v", m.statusP50.Round(time.Millisecond), m.statusMax.Round(time.Millisecond)), "< 200 ms", verdict(m.statusMax < 200*time.Millisecond)},
			row{fmt.Sprintf("%d instance(s): peak RSS per worker", n), strings.Join(rss, ", ") + " MiB", "< 200 MiB", verdict(peak > 0 && peak < 200)})
		if n == 1 {
			pageLarge, largeSteps = m.page, m.steps
		}
	}
	// A small request: the registry alone.
	workers := startWorkers(t, p, 1)
	small := measureRun(t, p, "small", fmt.Sprintf(`{"requestId":"small","operation":"export","targets":[%q]}`, scenario.RegistryID))
	pageSmall = small.page
	for _, w := range workers {
		w.Stop(10 * time.Second)
	}
	ratio := float64(pageLarge) / float64(max(pageSmall, time.Microsecond))
	rows = append(rows, row{"one results page: small vs large request",
		fmt.Sprintf("%v (%d steps) vs %v (%d steps)", pageSmall.Round(100*time.Microsecond), small.steps, pageLarge.Round(100*time.Microsecond), largeSteps),
		"independent of size (ratio < 2)", verdict(ratio < 2)})
	return rows
}

func startWorkers(t *testing.T, p *parts, n int) []*procs.Proc {
	var out []*procs.Proc
	for i := range n {
		env := []string{fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", procs.FreePort(t)), "DSR_CONCURRENCY=8", "DSR_SWEEP_INTERVAL=30s"}
		for k, v := range p.settings {
			env = append(env, k+"="+v)
		}
		out = append(out, procs.Start(t, fmt.Sprintf("worker-%d-of-%d", i, n), filepath.Join(procs.Binaries(t), "handler"), env, "worker"))
	}
	return out
}

// measured is one request's figures.
type measured struct {
	rate, share          float64 // of the bucket's refill; 429s of ARM calls
	calls, steps         int
	wall                 time.Duration
	statusP50, statusMax time.Duration
	page                 time.Duration // median of one results page
}

// measureRun submits body and polls its status every 250 ms until it is
// terminal, sampling the simulator's counts: the rate is the ARM calls
// answered (not 429) per second from the moment the bucket's burst is
// spent to the last second of the run, as a share of the refill.
func measureRun(t *testing.T, p *parts, id, body string) measured {
	var m measured
	before := p.sim.Stats(t)
	start := time.Now()
	p.api.Submit(t, body)
	var lat []time.Duration
	var steadyAt time.Time
	var steadyOK int
	var lastOK int
	var lastAt time.Time
	for {
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
		if st.State == "succeeded" || st.State == "failed" || st.State == "partial" || st.State == "cancelled" {
			if st.State != "succeeded" {
				t.Fatalf("%s: %v", id, st)
			}
			m.steps = st.Counts.Discovered
			m.calls = req
			m.share = float64(thr) / float64(max(req, 1))
			break
		}
		if time.Since(start) > 10*time.Minute {
			t.Fatalf("%s not done after 10 minutes: %v", id, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	m.wall = time.Since(start)
	if !steadyAt.IsZero() && lastAt.After(steadyAt) {
		m.rate = float64(lastOK-steadyOK) / lastAt.Sub(steadyAt).Seconds() / benchRefill
	}
	slices.Sort(lat)
	m.statusP50, m.statusMax = lat[len(lat)/2], lat[len(lat)-1]
	m.page = pageCost(t, p, id)
	return m
}

func delta(now, before procs.Stats) (req, thr int) {
	r1, t1 := now.Total()
	r0, t0 := before.Total()
	return r1 - r0, t1 - t0
}

func status(t *testing.T, p *parts, id string) procs.Status {
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

// pageCost is the median time of the first results page (5 calls).
func pageCost(t *testing.T, p *parts, id string) time.Duration {
	var ds []time.Duration
	for range 5 {
		t0 := time.Now()
		resp, err := http.Get(p.host.URL() + "/api/dsr/requests/" + id + "/results?code=" + benchKey)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("results of %s: %d", id, resp.StatusCode)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// readiness starts the handler in local mode five times and times process
// start to the first answer of GET / (polled every millisecond).
func readiness(t *testing.T) row {
	bin := filepath.Join(procs.Binaries(t), "handler")
	var ds []time.Duration
	for range 5 {
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
	}
	slices.Sort(ds)
	med := ds[len(ds)/2]
	return row{"readiness: process start to first GET / (median of 5)", fmt.Sprintf("%.1f ms (min %.1f)", float64(med.Microseconds())/1000, float64(ds[0].Microseconds())/1000), "< 20 ms", verdict(med < 20*time.Millisecond)}
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
