package azureapi

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// N instances of 8 concurrent steps each, with a real round trip (the
// remaining count a response reports is the bucket's when the call
// arrived, and others were sent since): the headers still steer them onto
// the bucket's rate with (almost) no 429s. The ARM bucket is the bench's
// (50 burst, 25/s, Retry-After 1 s) and each instance paces at the whole
// rate with the app's settings, as make bench runs them: a step that
// would wait past MaxWait goes back to the queue for the wait (worker
// settle), and a throttled one backs off for a second.
func TestConcurrentCallsConvergeOnASharedBucket(t *testing.T) {
	const slots, rtt = 8, 40 * time.Millisecond
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1e9, 0)}
			arm := &armBucket{tokens: 50, burst: 50, rate: 25, last: clk.t}
			type slot struct {
				at       time.Time
				inst     int
				reserved bool // its token is taken; it sends at at
				flying   bool // sent; its answer arrives at at
				ok       bool
				left     int
			}
			pacers := make([]*Pacer, n)
			var ss []*slot
			for i := range pacers {
				pacers[i] = &Pacer{Reads: 25, Deletes: 25, Burst: 5, MaxWait: 2 * time.Second, LowWater: DefaultLowWater, now: clk.now}
				for k := range slots {
					ss = append(ss, &slot{at: clk.t.Add(time.Duration(i*slots+k) * time.Millisecond), inst: i})
				}
			}
			end := clk.t.Add(120 * time.Second)
			calls, throttled := 0, 0
			for {
				s := ss[0]
				for _, x := range ss {
					if x.at.Before(s.at) {
						s = x
					}
				}
				if !s.at.Before(end) {
					break
				}
				clk.t = s.at
				p := pacers[s.inst]
				switch {
				case s.flying: // the answer arrives
					p.finish("k", "reads")
					h := http.Header{}
					h.Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(s.left))
					if !s.ok {
						p.Throttle("k", "reads", time.Second)
					}
					p.Observe("k", h)
					s.flying, s.at = false, clk.t
					if !s.ok { // the step's backoff
						s.at = clk.t.Add(1100 * time.Millisecond)
					}
				case !s.reserved:
					if d := p.reserve("k", "reads"); d > 0 {
						if d > p.MaxWait { // rescheduled through the queue
							p.refund("k", "reads")
							s.at = clk.t.Add(d + d/10 + 20*time.Millisecond)
							continue
						}
						s.reserved, s.at = true, clk.t.Add(d)
						continue
					}
					fallthrough
				default: // sent
					s.reserved = false
					s.ok, s.left = arm.call(clk.t)
					calls++
					if !s.ok {
						throttled++
					}
					s.flying, s.at = true, clk.t.Add(rtt)
				}
			}
			rate := float64(calls-throttled) / 120 / 25
			share := float64(throttled) / float64(calls)
			t.Logf("%d instances x %d slots: %d calls, %d throttled (%.2f %%), %.1f %% of the bucket's rate", n, slots, calls, throttled, 100*share, 100*rate)
			if share >= 0.01 {
				t.Errorf("%d instances: %.2f %% of calls throttled, want < 1 %%", n, 100*share)
			}
			if rate < 0.9 {
				t.Errorf("%d instances: %.1f %% of the bucket's rate, want >= 90 %%", n, 100*rate)
			}
		})
	}
}
