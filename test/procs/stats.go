package procs

import "testing"

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
