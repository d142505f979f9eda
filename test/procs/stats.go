package procs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BucketStats are the simulator's counts of one ARM bucket.
type BucketStats struct {
	Requests        int     `json:"requests"`
	Throttled       int     `json:"throttled"`
	Burst           float64 `json:"burst"`
	RefillPerSecond float64 `json:"refillPerSecond"`
}

// Stats is GET /_sim/stats: ARM calls per bucket ("{subscription}/{class}").
type Stats struct {
	Enforced bool                   `json:"enforced"`
	Buckets  map[string]BucketStats `json:"buckets"`
}

// Stats returns the simulator's counts of ARM calls per bucket.
func (s *Sim) Stats(t testing.TB) Stats {
	var out Stats
	s.getJSON(t, "/_sim/stats", &out)
	return out
}

// Total sums the counts of every bucket.
func (st Stats) Total() (requests, throttled int) {
	for _, b := range st.Buckets {
		requests += b.Requests
		throttled += b.Throttled
	}
	return requests, throttled
}

// PeakRSSMiB is the process's peak resident set (VmHWM of
// /proc/PID/status), in MiB, while it runs; 0 where that is not readable.
func (p *Proc) PeakRSSMiB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
