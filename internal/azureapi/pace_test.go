package azureapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for the pacer.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClockedPacer(c *fakeClock, rate, burst float64, lowWater int) *Pacer {
	return &Pacer{Reads: rate, Deletes: rate, Burst: burst, MaxWait: time.Hour, LowWater: lowWater, now: c.now}
}

// The local bucket: burst, refill, a header's remaining count and a
// 429's Retry-After, step by step against a fake clock.
func TestBucketModel(t *testing.T) {
	type op struct {
		advance   time.Duration
		remaining int           // >= 0: a response reported it (before the take)
		throttle  time.Duration // > 0: a 429 with this Retry-After (before the take)
		want      time.Duration // the take's wait
	}
	none := -1
	for _, c := range []struct {
		name  string
		rate  float64
		burst float64
		low   int
		ops   []op
	}{
		{"burst then refill", 10, 3, 0, []op{
			{0, none, 0, 0}, {0, none, 0, 0}, {0, none, 0, 0},
			{0, none, 0, 100 * time.Millisecond},
			{0, none, 0, 200 * time.Millisecond},
			{time.Second, none, 0, 0}, // refilled, capped at the burst
		}},
		{"refill is capped at the burst", 10, 2, 0, []op{
			{time.Hour, none, 0, 0}, {0, none, 0, 0}, {0, none, 0, 100 * time.Millisecond},
		}},
		{"a header lowers the estimate to what is left", 10, 5, 0, []op{
			{0, 1, 0, 0}, // min(5, 1) = 1 token: this take
			{0, none, 0, 100 * time.Millisecond},
		}},
		{"a header never raises the estimate", 10, 2, 0, []op{
			{0, none, 0, 0}, {0, none, 0, 0},
			{0, 200, 0, 100 * time.Millisecond},
		}},
		{"a 429 drains the bucket for its Retry-After", 10, 5, 0, []op{
			{0, none, 3 * time.Second, 3*time.Second + 100*time.Millisecond},
		}},
		{"nothing refills while the 429 holds", 10, 5, 0, []op{
			{0, none, 2 * time.Second, 2*time.Second + 100*time.Millisecond},
			{time.Second, none, 0, time.Second + 200*time.Millisecond},
		}},
		{"low remaining slows the refill to a share", 10, 5, 10, []op{
			{0, 0, 0, 2 * time.Second}, // estimate 0: one token at 10/s × 1/20 share
		}},
		{"a low count empties the bucket and slows the refill", 10, 5, 10, []op{
			{0, 5, 0, 400 * time.Millisecond},    // 10/s × (5/10)² = 2.5/s
			{0, none, 0, 800 * time.Millisecond}, // and the next
		}},
		{"a high count restores the full rate", 10, 5, 10, []op{
			{0, 5, 0, 400 * time.Millisecond},
			{400 * time.Millisecond, 50, 0, 100 * time.Millisecond},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1e9, 0)}
			p := newClockedPacer(clk, c.rate, c.burst, c.low)
			for i, o := range c.ops {
				clk.advance(o.advance)
				if o.remaining >= 0 {
					h := http.Header{}
					h.Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(o.remaining))
					p.Observe("k", h)
				}
				if o.throttle > 0 {
					p.Throttle("k", "reads", o.throttle)
				}
				got := p.reserve("k", "reads")
				if d := got - o.want; d > time.Millisecond || d < -time.Millisecond {
					t.Fatalf("op %d: wait %v, want %v", i, got, o.want)
				}
			}
		})
	}
	// With LowWater 10 and 0 remaining the share is its floor, 1/20:
	// one token at 10/s takes 2 s.
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	p := newClockedPacer(clk, 10, 1, 10)
	h := http.Header{}
	h.Set("x-ms-ratelimit-remaining-subscription-global-reads", "0")
	p.Observe("k", h)
	if got := p.reserve("k", "reads"); got < 1900*time.Millisecond || got > 2100*time.Millisecond {
		t.Fatalf("after a global count of 0: wait %v, want about 2 s", got)
	}
}

// armBucket is ARM's side: one shared token bucket.
type armBucket struct {
	tokens, burst, rate float64
	last                time.Time
}

func (b *armBucket) call(now time.Time) (ok bool, remaining int) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false, 0
	}
	b.tokens--
	return true, int(b.tokens)
}

// N instances, each pacing at the bucket's full rate, each with work
// always waiting, share one ARM bucket: the remaining-count headers make
// them converge on the bucket's rate with (almost) no 429s. Without the
// headers' steer every instance would spend the whole budget and most
// calls past the burst would be throttled.
func TestPacersConvergeOnASharedBucket(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1e9, 0)}
			arm := &armBucket{tokens: 20, burst: 20, rate: 10, last: clk.t}
			pacers := make([]*Pacer, n)
			next := make([]time.Time, n)
			reserved := make([]bool, n)
			for i := range pacers {
				pacers[i] = newClockedPacer(clk, 10, 5, 10)
				next[i] = clk.t.Add(time.Duration(i) * time.Millisecond)
			}
			end := clk.t.Add(120 * time.Second)
			calls, throttled := 0, 0
			for {
				i := 0 // the instance whose next call is due first
				for j := range next {
					if next[j].Before(next[i]) {
						i = j
					}
				}
				if !next[i].Before(end) {
					break
				}
				clk.t = next[i]
				if !reserved[i] {
					if d := pacers[i].reserve("k", "reads"); d > 0 {
						next[i], reserved[i] = clk.t.Add(d), true // the call waits for its token
						continue
					}
				}
				reserved[i] = false
				ok, left := arm.call(clk.t)
				calls++
				h := http.Header{}
				h.Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(left))
				if !ok {
					throttled++
					h.Set("Retry-After", "1")
					pacers[i].Throttle("k", "reads", time.Second)
				}
				pacers[i].finish("k", "reads")
				pacers[i].Observe("k", h)
				next[i] = clk.t.Add(time.Millisecond) // 1 ms round trip
			}
			ok := calls - throttled
			rate := float64(ok) / 120 / 10
			share := float64(throttled) / float64(calls)
			t.Logf("%d instances: %d calls, %d throttled (%.2f %%), %.1f %% of the bucket's rate", n, calls, throttled, 100*share, 100*rate)
			if share >= 0.01 {
				t.Errorf("%d instances: %.2f %% of calls throttled, want < 1 %%", n, 100*share)
			}
			if rate < 0.9 {
				t.Errorf("%d instances: %.1f %% of the bucket's rate, want >= 90 %%", n, 100*rate)
			}
		})
	}
}

// A 429 seen by the client drains the local bucket: the next call to the
// same subscription is refused locally, without reaching the service.
func TestA429DrainsTheLocalBucket(t *testing.T) {
	var calls atomic.Int32
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
	})
	b.client.pacer = &Pacer{Reads: 100, Deletes: 100, Burst: 5, MaxWait: 100 * time.Millisecond}
	ctx := context.Background()
	u := b.url(t, "/arm/subscriptions/s1/resourceGroups/rg?api-version=x")
	if _, err := b.client.Get(ctx, u); ClassOf(err) != Throttled {
		t.Fatalf("first call: %v, want throttled", err)
	}
	before := calls.Load()
	_, err := b.client.Get(ctx, u)
	var e *Error
	if !errors.As(err, &e) || !PacedLocally(err) || e.RetryAfter < 4*time.Second {
		t.Fatalf("second call: %v, want a local refusal for about 5 s", err)
	}
	if calls.Load() != before {
		t.Fatalf("the refused call reached the service")
	}
	other := b.url(t, "/arm/subscriptions/s2/resourceGroups/rg?api-version=x")
	if _, err := b.client.Get(ctx, other); PacedLocally(err) {
		t.Fatalf("another subscription is not drained: %v", err)
	}
}

// azcore's own retries take a token each: a retry that would wait longer
// than MaxWait is refused locally.
func TestRetriesArePaced(t *testing.T) {
	var calls atomic.Int32
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{}`)
	})
	b.client.pacer = &Pacer{Reads: 1, Deletes: 1, Burst: 1, MaxWait: 20 * time.Millisecond}
	_, err := b.client.Get(context.Background(), b.url(t, "/arm/subscriptions/s1/x?api-version=x"))
	if !PacedLocally(err) || calls.Load() != 1 {
		t.Fatalf("after %d calls: %v, want the retry refused by local pacing", calls.Load(), err)
	}
}

// The polls of a long-running delete take read tokens.
func TestPollsArePaced(t *testing.T) {
	var base string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodDelete:
			w.Header().Set("Location", base+"/arm/subscriptions/s1/operations/op1?api-version=x")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	base = b.srv.URL
	b.client.pacer = &Pacer{Reads: 1, Deletes: 100, Burst: 1, MaxWait: 20 * time.Millisecond}
	ctx := context.Background()
	res, err := b.client.BeginDelete(ctx, b.url(t, "/arm/subscriptions/s1/x?api-version=x"))
	if err != nil || res.ResumeToken == "" {
		t.Fatalf("begin: %+v %v", res, err)
	}
	if _, err := b.client.PollDelete(ctx, res.ResumeToken); err != nil {
		t.Fatalf("first poll: %v", err)
	}
	if _, err := b.client.PollDelete(ctx, res.ResumeToken); !PacedLocally(err) {
		t.Fatalf("second poll within a second at 1 read/s: %v, want a local refusal", err)
	}
}
