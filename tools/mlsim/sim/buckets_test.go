package sim_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"amldsr/tools/mlsim/sim"
)

// With ARM's buckets on, reads and deletes of one subscription draw on
// their own buckets: the burst passes with true remaining counts, then 429
// with a Retry-After; the data planes are not counted; /_sim/stats counts
// requests and 429s per bucket.
func TestARMBuckets(t *testing.T) {
	s := sim.New(sim.Options{})
	clock := time.Unix(1e9, 0)
	s.SetARMBuckets(&sim.BucketLimits{ReadBurst: 3, ReadRate: 2, DeleteBurst: 2, DeleteRate: 1, WriteBurst: 2, WriteRate: 1},
		func() time.Time { return clock })
	e := newEnv(t, s)
	rg := "/arm" + sub + "/resourcegroups?" + apiRG
	for i, want := range []string{"2", "1", "0"} {
		r := e.get(rg)
		if r.status != http.StatusOK || r.header.Get("x-ms-ratelimit-remaining-subscription-reads") != want {
			t.Fatalf("read %d: %d, remaining %q, want 200 and %s", i, r.status, r.header.Get("x-ms-ratelimit-remaining-subscription-reads"), want)
		}
	}
	r := e.get(rg)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || r.header.Get("x-ms-ratelimit-remaining-subscription-reads") != "0" {
		t.Fatalf("read past the burst: %d %v", r.status, r.header)
	}
	// The data planes have no ARM bucket.
	if r := e.get(hist + "/experiments?" + apiExp); r.status == http.StatusTooManyRequests {
		t.Fatalf("a data-plane call was throttled by ARM's bucket")
	}
	// Deletes have their own bucket.
	if r := e.send(http.MethodDelete, "/arm"+expProj2+"?"+apiExp, e.token, nil, nil); r.status == http.StatusTooManyRequests ||
		r.header.Get("x-ms-ratelimit-remaining-subscription-deletes") != "1" {
		t.Fatalf("first delete: %d %v", r.status, r.header)
	}
	clock = clock.Add(1500 * time.Millisecond) // 3 reads refilled: capped at the burst of 3
	for i := range 3 {
		if r := e.get(rg); r.status != http.StatusOK {
			t.Fatalf("read %d after the refill: %d", i, r.status)
		}
	}
	if r := e.get(rg); r.status != http.StatusTooManyRequests {
		t.Fatalf("the refill exceeded the burst: %d", r.status)
	}
	resp, err := e.client.Get(e.ts.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	reads := st.Buckets[sim.SubscriptionID+"/reads"]
	dels := st.Buckets[sim.SubscriptionID+"/deletes"]
	if !st.Enforced || reads.Requests != 8 || reads.Throttled != 2 || dels.Requests != 1 || dels.Throttled != 0 || reads.Burst != 3 || reads.RefillPerSecond != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// Off (the default), nothing is throttled by buckets, and the stats still
// count ARM calls.
func TestARMBucketsOffByDefault(t *testing.T) {
	e := seeded(t, sim.Options{})
	for i := range 300 {
		if r := e.get("/arm" + sub + "/resourcegroups?" + apiRG); r.status != http.StatusOK {
			t.Fatalf("read %d: %d", i, r.status)
		}
	}
	var st sim.Stats
	r := e.send(http.MethodGet, "/_sim/stats", "", nil, nil)
	r.json(t, &st)
	if st.Enforced || st.Buckets[sim.SubscriptionID+"/reads"].Requests != 300 {
		t.Fatalf("stats %+v", st)
	}
	_ = strconv.Itoa
}
