package azureapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pacer spaces calls per subscription and operation type, below ARM's
// token buckets (about 25 reads/s and 10 deletes/s per principal and
// subscription). When a call would wait longer than MaxWait it is not sent:
// the caller gets a Throttled error and reschedules the step, instead of
// holding a queue lock while it sleeps.
type Pacer struct {
	Reads, Deletes float64       // tokens per second; 0 disables pacing
	Burst          float64       // bucket size
	MaxWait        time.Duration // longest in-process wait
	// LowWater: when a response reports this many remaining calls or
	// fewer, the bucket is emptied so the next calls slow down.
	LowWater int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// opClass is the ARM limit a method counts against.
func opClass(method string) string {
	switch method {
	case http.MethodDelete:
		return "deletes"
	case http.MethodGet, http.MethodHead:
		return "reads"
	default:
		return "writes"
	}
}

func (p *Pacer) rate(class string) float64 {
	if class == "deletes" {
		return p.Deletes
	}
	return p.Reads
}

// Wait takes a token for (key, class), sleeping up to MaxWait. Beyond
// that it returns a Throttled error carrying the wait.
func (p *Pacer) Wait(ctx context.Context, key, class string) error {
	if p == nil || p.rate(class) <= 0 {
		return nil
	}
	d := p.reserve(key, class)
	if d <= 0 {
		return nil
	}
	if d > p.MaxWait {
		p.refund(key, class)
		return &Error{Class: Throttled, Code: "PacedLocally", Message: "paced below ARM's limits", RetryAfter: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reserve takes a token (possibly going negative) and returns how long the
// caller must wait for it.
func (p *Pacer) reserve(key, class string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bucketLocked(key + "|" + class)
	rate := p.rate(class)
	now := time.Now()
	b.tokens = min(p.burst(), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

func (p *Pacer) refund(key, class string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bucketLocked(key+"|"+class).tokens++
}

func (p *Pacer) burst() float64 {
	if p.Burst <= 0 {
		return 1
	}
	return p.Burst
}

func (p *Pacer) bucketLocked(k string) *bucket {
	if p.buckets == nil {
		p.buckets = map[string]*bucket{}
	}
	b := p.buckets[k]
	if b == nil {
		b = &bucket{tokens: p.burst(), last: time.Now()}
		p.buckets[k] = b
	}
	return b
}

// Observe reads x-ms-ratelimit-remaining-subscription-{reads,deletes} and
// empties the bucket when ARM says little is left.
func (p *Pacer) Observe(key string, h http.Header) {
	if p == nil || p.LowWater <= 0 {
		return
	}
	for _, class := range []string{"reads", "deletes"} {
		v, err := strconv.Atoi(strings.TrimSpace(h.Get("x-ms-ratelimit-remaining-subscription-" + class)))
		if err != nil || v > p.LowWater {
			continue
		}
		p.mu.Lock()
		b := p.bucketLocked(key + "|" + class)
		b.tokens = min(b.tokens, 0)
		p.mu.Unlock()
	}
}

// subscriptionOf returns the subscription id in a URL path, for pacing.
func subscriptionOf(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.EqualFold(s, "subscriptions") && i+1 < len(segs) {
			return strings.ToLower(segs[i+1])
		}
	}
	return ""
}
