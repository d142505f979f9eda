package azureapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Pacer models ARM's token buckets locally, one per pacing key (the ARM
// endpoint or a data-plane host, and the subscription) and operation class
// (reads, deletes, writes): Burst tokens, refilled at the class's rate.
//
// ARM's bucket is shared by every client of the subscription and
// principal, every instance of this app included, so the local model
// follows what ARM reports:
//   - every response's x-ms-ratelimit-remaining-subscription-{class} and
//     -subscription-global-{class} lower the local estimate to what is left,
//     less this process's calls still in flight (sent since, or about to
//     be): min(local, remaining - in flight);
//   - when the remaining count is at or below LowWater the local bucket is
//     emptied and its refill slows to (remaining/LowWater)² of the rate (at
//     least 1/(2·LowWater)): N instances seeing the same low count together
//     settle on the bucket's rate with about LowWater/√N left in it, instead
//     of each spending the whole budget (the square keeps that margin above
//     empty for more instances than a linear share would);
//   - a 429 empties the local bucket and refills nothing before its
//     Retry-After.
//
// Every try goes through the pacer (a per-retry policy of the pipeline):
// first calls, azcore's own retries and the polls of long-running
// operations. A try that would wait longer than MaxWait (or past the
// context's deadline) is not sent: the caller gets a Throttled *Error with
// code PacedLocally (see PacedLocally) carrying the wait, and reschedules
// the step instead of holding a queue lock while it sleeps.
type Pacer struct {
	Reads, Deletes float64 // tokens per second; 0 disables pacing of the class
	// Writes is the rate of PUT, POST and PATCH; 0 uses Reads.
	Writes  float64
	Burst   float64       // bucket size; 0 means 1
	MaxWait time.Duration // longest in-process wait
	// LowWater: a remaining count at or below it slows the refill (see
	// above); 0 only takes the minimum.
	LowWater int

	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time // tests
}

// bucket is the local model of one ARM bucket.
type bucket struct {
	tokens float64
	last   time.Time // tokens counted up to here
	until  time.Time // a 429's Retry-After: nothing refills before it
	share  float64   // fraction of the rate refilled (low remaining counts)
	// inflight counts this process's calls that took a token and have not
	// been answered: ARM counts them already, or will before the next
	// answer, so a remaining count is worth that much less here.
	inflight int
}

// DefaultLowWater is the LowWater the app runs with. N instances settle
// with about LowWater/√N calls left in the bucket (10 at 4 instances),
// which absorbs the calls several instances send at once before the
// next answer tells them; at 10 the bench's 4 instances met 1.1 % 429s,
// each of which stops an instance for its Retry-After (a second or more).
// Against ARM's 250 reads it costs nothing: the rate is the same.
const DefaultLowWater = 20

// PacedCode is the code of a local pacing refusal.
const PacedCode = "PacedLocally"

// PacedLocally reports whether err is a refusal by local pacing: the call
// was not sent, so it says nothing about the service and must not use up
// one of the step's attempts.
func PacedLocally(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Class == Throttled && e.Code == PacedCode
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

var classes = [...]string{"reads", "deletes", "writes"}

func (p *Pacer) rate(class string) float64 {
	switch class {
	case "deletes":
		return p.Deletes
	case "writes":
		if p.Writes > 0 {
			return p.Writes
		}
	}
	return p.Reads
}

func (p *Pacer) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// Wait takes a token for (key, class), sleeping up to MaxWait. Beyond
// that, or past ctx's deadline, it returns a PacedLocally error carrying
// the wait.
func (p *Pacer) Wait(ctx context.Context, key, class string) error {
	if p == nil || p.rate(class) <= 0 {
		return nil
	}
	d := p.reserve(key, class)
	if d <= 0 {
		return nil
	}
	dl, ok := ctx.Deadline()
	if d > p.MaxWait || (ok && p.clock().Add(d).After(dl)) {
		p.refund(key, class)
		return &Error{Class: Throttled, Code: PacedCode, Message: "paced below ARM's limits", RetryAfter: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		p.refund(key, class)
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
	now := p.clock()
	b := p.bucketLocked(key, class, now)
	r := p.refillLocked(b, class, now)
	b.tokens--
	b.inflight++
	var d time.Duration
	if now.Before(b.until) {
		d = b.until.Sub(now)
	}
	if b.tokens < 0 {
		d += time.Duration(-b.tokens / r * float64(time.Second))
	}
	return d
}

// refillLocked adds what the bucket gained since b.last (nothing before
// b.until) and returns the effective rate.
func (p *Pacer) refillLocked(b *bucket, class string, now time.Time) float64 {
	r := p.rate(class) * b.share
	from := b.last
	if b.until.After(from) {
		from = b.until
	}
	if now.After(from) {
		b.tokens = min(p.burst(), b.tokens+now.Sub(from).Seconds()*r)
	}
	if now.After(b.last) {
		b.last = now
	}
	return r
}

func (p *Pacer) refund(key, class string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bucketLocked(key, class, p.clock())
	b.tokens++
	b.landed()
}

// landed notes that one of the bucket's calls is no longer in flight
// (answered, or never sent).
func (b *bucket) landed() {
	if b.inflight > 0 {
		b.inflight--
	}
}

func (p *Pacer) burst() float64 {
	if p.Burst <= 0 {
		return 1
	}
	return p.Burst
}

func (p *Pacer) bucketLocked(key, class string, now time.Time) *bucket {
	if p.buckets == nil {
		p.buckets = map[string]*bucket{}
	}
	k := key + "|" + class
	b := p.buckets[k]
	if b == nil {
		b = &bucket{tokens: p.burst(), last: now, share: 1}
		p.buckets[k] = b
	}
	return b
}

// Observe reads the remaining counts of a response
// (x-ms-ratelimit-remaining-subscription-{class} and its -global- variant,
// the lower of the two) and lowers the local estimate to them, slowing the
// refill when they are at or below LowWater.
func (p *Pacer) Observe(key string, h http.Header) {
	if p == nil {
		return
	}
	for _, class := range classes {
		left, ok := remaining(h, class)
		if !ok || p.rate(class) <= 0 {
			continue
		}
		p.mu.Lock()
		now := p.clock()
		b := p.bucketLocked(key, class, now)
		p.refillLocked(b, class, now)
		left -= b.inflight // sent by this process since, or about to be
		b.tokens = min(b.tokens, float64(left))
		if left <= p.LowWater {
			b.tokens = min(b.tokens, 0)
		}
		b.share = p.shareOf(max(left, 0))
		p.mu.Unlock()
	}
}

// shareOf is the fraction of the rate refilled when remaining calls are
// left: 1 above LowWater, else (remaining/LowWater)², at least
// 1/(2·LowWater) so that an instance that saw 0 still calls again soon.
func (p *Pacer) shareOf(left int) float64 {
	if p.LowWater <= 0 || left >= p.LowWater {
		return 1
	}
	f := float64(left) / float64(p.LowWater)
	return max(f*f, 1/float64(2*p.LowWater))
}

// remaining is the lowest remaining count a response reports for class.
func remaining(h http.Header, class string) (int, bool) {
	n, ok := math.MaxInt, false
	for _, name := range []string{"x-ms-ratelimit-remaining-subscription-", "x-ms-ratelimit-remaining-subscription-global-"} {
		v, err := strconv.Atoi(strings.TrimSpace(h.Get(name + class)))
		if err == nil && v >= 0 {
			n, ok = min(n, v), true
		}
	}
	return n, ok
}

// Throttle records a 429 for (key, class): the local bucket is emptied and
// nothing refills before retryAfter has passed.
func (p *Pacer) Throttle(key, class string, retryAfter time.Duration) {
	if p == nil || p.rate(class) <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	b := p.bucketLocked(key, class, now)
	p.refillLocked(b, class, now)
	b.tokens = min(b.tokens, 0)
	if u := now.Add(retryAfter); u.After(b.until) {
		b.until = u
	}
}

// pacing is the pipeline policy that paces every try (first calls,
// azcore's retries, polls) with the client's Pacer and feeds every response
// back into its model.
type pacing struct {
	c   *Client
	arm *url.URL // the ARM endpoint
}

func (pc pacing) Do(req *policy.Request) (*http.Response, error) {
	p := pc.c.pacer
	if p == nil {
		return req.Next()
	}
	raw := req.Raw()
	key, class := paceKey(pc.arm, raw.URL), opClass(raw.Method)
	if err := p.Wait(raw.Context(), key, class); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, final{e}
		}
		return nil, err
	}
	resp, err := req.Next()
	p.finish(key, class)
	if err != nil || resp == nil {
		return resp, err
	}
	p.Observe(key, resp.Header)
	if resp.StatusCode == http.StatusTooManyRequests {
		d := retryAfter(resp.Header)
		if d <= 0 {
			d = 10 * time.Second
		}
		p.Throttle(key, class, d)
	}
	return resp, nil
}

// paceKey is the bucket a URL draws on: ARM's per subscription for every
// URL under the ARM endpoint arm, else the host's per subscription (the
// data planes).
func paceKey(arm *url.URL, u *url.URL) string {
	if arm != nil && strings.EqualFold(u.Host, arm.Host) && strings.HasPrefix(u.Path, strings.TrimRight(arm.Path, "/")+"/") {
		return "arm|" + subscriptionOf(u.Path)
	}
	return u.Host + "|" + subscriptionOf(u.Path)
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

// finish notes that a call of class to key, sent with a token of reserve,
// was answered (or failed): it is no longer in flight.
func (p *Pacer) finish(key, class string) {
	if p == nil || p.rate(class) <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bucketLocked(key, class, p.clock()).landed()
}
