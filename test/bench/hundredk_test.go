package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// The export of the seeded target resource group has 662 steps at scale 1
// (BenchmarkExportResourceGroup), 95,626 at scale 160, at least 99,028
// at scale 170 (make bench, 2026-11-30) and 109,927 at scale 175 (make
// bench, 2026-12-01).
var (
	bigScale = flag.Int("bigscale", 175, "simulator scale of the 100,000-step row")
	bigLimit = flag.Duration("biglimit", 10*time.Minute, "how long the 100,000-step row waits for its request")
	bigPoll  = flag.Duration("bigpoll", 2*time.Second, "status poll interval of the 100,000-step row")
)

const bigSteps = 100_000

// hundredK exports the target resource group of a zero-latency simulator
// (no ARM buckets) at scale bigScale with 2 worker-mode instances, through
// the Service Bus stand-in, results in Azurite, polling its status every
// 2 s. Then it reads every record, the simulator's log and the stand-in's
// counts of sends. small is the cost of one results page of a small
// request (instances; zero when that group did not run). Rows are added as
// they are measured.
func hundredK(t testing.TB, small page, add func(...row)) {
	p := startPartsWith(t, "-scale", fmt.Sprint(*bigScale))
	workers := startWorkers(t, p, 2)
	const id = "big-export"
	start := time.Now()
	p.api.Submit(t, fmt.Sprintf(`{"requestId":%q,"operation":"export","targets":[%q],"subject":{"objectId":%q},"match":"all"}`,
		id, scenario.TargetID, scenario.SubjectOID))
	var lat []time.Duration
	var st procs.Status
	timeouts := 0
	for {
		t0 := time.Now()
		// A status call may take minutes: it ends with the limit (its
		// latency then counts as at least that).
		s, ok := bigStatus(p, id, max(start.Add(*bigLimit).Sub(t0), 10*time.Second))
		lat = append(lat, time.Since(t0))
		if ok {
			st = s
		} else {
			timeouts++
		}
		if terminal(st.State) || time.Since(start) > *bigLimit {
			break
		}
		time.Sleep(*bigPoll)
	}
	wall := time.Since(start)
	slices.Sort(lat)
	name := fmt.Sprintf("100,000-step request (scale %d export, 2 instances)", *bigScale)
	add(row{name + ": state, steps, wall",
		fmt.Sprintf("%s, %d steps (%d pending) in %v, %.0f steps/s", st.State, st.Counts.Discovered, st.Counts.Pending, wall.Round(time.Second),
			float64(st.Counts.Discovered-st.Counts.Pending)/wall.Seconds()),
		">= 100,000 steps, succeeded (wall: figure)", verdict(st.State == "succeeded" && st.Counts.Discovered >= bigSteps)})
	if st.State == "succeeded" {
		add(bigRecords(t, p, id, st))
	} else {
		add(row{name + ": lost / doubled records", "not checked: the request did not succeed within " + bigLimit.String(), "nothing lost or doubled", "MISS"})
	}
	// The workers stop first: a page is timed on a quiet Azurite, as the
	// small request's was.
	peak, rss := stopWorkers(workers)
	twice := simTwice(t, p)
	add(row{name + ": simulator calls made twice (a step run twice)", twice, "0", verdict(strings.HasPrefix(twice, "0 "))})
	big, onPage, pageErr := firstPage(p, id)
	if small.d == 0 {
		pageErr += "; no small request's page to compare (row group instances did not run)"
	} else if onPage != small.onPage {
		pageErr += fmt.Sprintf("; the pages differ in size (%d and %d records)", onPage, small.onPage)
	}
	host := p.host.PeakRSSMiB()
	peak = max(peak, host)
	sends := p.bus.Sends(t, id)
	add(
		row{name + ": peak RSS (workers; host's handler)", fmt.Sprintf("%s; %.0f MiB", rss, host), "< 200 MiB", verdict(host > 0 && peak < 200)},
		row{fmt.Sprintf("%s: status call with Azurite every %v (p50 / max)", name, *bigPoll), fmt.Sprintf("%v / %v (%d calls, %d failed or cut off by the limit)", lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), len(lat), timeouts),
			"< 200 ms", verdict(lat[len(lat)-1] < 200*time.Millisecond)},
		row{name + ": one results page vs a small request's",
			fmt.Sprintf("%v (%d on the page of %d records) vs %v (%d on the page of %d)%s", big.Round(100*time.Microsecond), onPage, st.Counts.Discovered-st.Counts.Pending,
				small.d.Round(100*time.Microsecond), small.onPage, small.total, pageErr),
			"independent of size (ratio < 2)", verdict(pageErr == "" && float64(big) < 2*float64(small.d))},
		row{name + ": step messages sent twice (of them re-drives)", sentTwice(sends), "(figure)", "-"})
}

// firstPage is the median time of the first results page of id (5 calls)
// and the records on it. A page that fails is reported, not fatal (a busy
// Azurite answers 500).
func firstPage(p *parts, id string) (time.Duration, int, string) {
	var ds []time.Duration
	n := 0
	for range 5 {
		t0 := time.Now()
		resp, err := http.Get(p.host.URL() + "/api/dsr/requests/" + id + "/results?code=" + benchKey)
		if err != nil {
			return 0, 0, "; first page failed: " + err.Error()
		}
		var body struct {
			Value []json.RawMessage `json:"value"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return 0, 0, fmt.Sprintf("; first page failed: %d after %v", resp.StatusCode, time.Since(t0).Round(time.Second))
		}
		ds = append(ds, time.Since(t0))
		n = len(body.Value)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], n, ""
}

// bigStatus is one status call that gives up after limit; a running
// request answers 202 with its status, a terminal one 200.
func bigStatus(p *parts, id string, limit time.Duration) (procs.Status, bool) {
	var st procs.Status
	c := &http.Client{Timeout: limit}
	resp, err := c.Get(p.host.URL() + "/api/dsr/requests/" + id + "?code=" + benchKey)
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ok := resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted
	if err != nil || !ok || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

func terminal(state string) bool {
	switch state {
	case "succeeded", "failed", "partial", "cancelled":
		return true
	}
	return false
}

// bigRecords checks that every discovered step has exactly one record,
// read through the API page by page: as many records as steps, no item
// recorded twice (the pages of one list share its path).
func bigRecords(t testing.TB, p *parts, id string, st procs.Status) row {
	recs := p.api.Results(t, id)
	doubled := doubles(recs)
	lost := max(st.Counts.Discovered-len(recs), 0)
	doubled += max(len(recs)-st.Counts.Discovered, 0)
	return row{fmt.Sprintf("100,000-step request (scale %d export, 2 instances): lost / doubled records", *bigScale),
		fmt.Sprintf("%d records: %d lost, %d doubled", len(recs), lost, doubled),
		"nothing lost or doubled", verdict(lost == 0 && doubled == 0)}
}

// simTwice counts the calls to the simulator made more than once (the
// same method, path and query): a step that ran twice.
func simTwice(t testing.TB, p *parts) string {
	calls := map[string]int{}
	for _, c := range p.sim.Log(t) {
		calls[c.Method+" "+c.Path+"?"+c.Query]++
	}
	twice, example := 0, ""
	for k, n := range calls {
		if n > 1 {
			twice++
			example = fmt.Sprintf(" (e.g. %s x%d)", k, n)
		}
	}
	return fmt.Sprintf("%d of %d calls%s", twice, len(calls), example)
}
