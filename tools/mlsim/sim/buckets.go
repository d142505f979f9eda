package sim

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BucketLimits are ARM's token buckets per subscription: a burst and a
// refill per second for reads (GET, HEAD), deletes (DELETE) and writes
// (anything else). ../shared/reference/limits-and-anchors.md, 2.1.
type BucketLimits struct {
	ReadBurst, ReadRate     float64
	DeleteBurst, DeleteRate float64
	WriteBurst, WriteRate   float64
}

// DefaultBucketLimits are ARM's: reads 250 (25/s), deletes and writes 200
// (10/s).
func DefaultBucketLimits() BucketLimits {
	return BucketLimits{ReadBurst: 250, ReadRate: 25, DeleteBurst: 200, DeleteRate: 10, WriteBurst: 200, WriteRate: 10}
}

func (l BucketLimits) of(class string) (burst, rate float64) {
	switch class {
	case "deletes":
		return l.DeleteBurst, l.DeleteRate
	case "writes":
		return l.WriteBurst, l.WriteRate
	}
	return l.ReadBurst, l.ReadRate
}

// armBuckets holds the buckets (when enforced) and the per-bucket counts
// (always) of ARM calls. Guarded by Server.mu.
type armBuckets struct {
	limits  *BucketLimits // nil: not enforced
	now     func() time.Time
	buckets map[string]*armBucket
}

type armBucket struct {
	tokens float64
	last   time.Time
	BucketStats
}

// BucketStats are the counts of one bucket in GET /_sim/stats.
type BucketStats struct {
	Requests        int     `json:"requests"`
	Throttled       int     `json:"throttled"` // answered 429, by the bucket or injected
	Burst           float64 `json:"burst,omitempty"`
	RefillPerSecond float64 `json:"refillPerSecond,omitempty"`
}

// Stats is GET /_sim/stats: ARM calls per bucket ("{subscription}/{class}").
type Stats struct {
	Enforced bool                   `json:"enforced"`
	Buckets  map[string]BucketStats `json:"buckets"`
}

// SetARMBuckets enforces ARM's buckets per subscription on ARM calls (nil
// limits: not enforced, the default). now is the clock (nil: time.Now);
// the buckets start full.
func (s *Server) SetARMBuckets(l *BucketLimits, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets = &armBuckets{limits: l, now: now, buckets: map[string]*armBucket{}}
}

// Stats returns the counts per bucket.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Buckets: map[string]BucketStats{}}
	if s.buckets == nil {
		return st
	}
	st.Enforced = s.buckets.limits != nil
	for k, b := range s.buckets.buckets {
		st.Buckets[k] = b.BucketStats
	}
	return st
}

// bucketFor returns the bucket of an ARM call; the caller holds s.mu.
func (s *Server) bucketFor(method, path string) (*armBucket, string) {
	if s.buckets == nil {
		s.buckets = &armBuckets{now: time.Now, buckets: map[string]*armBucket{}}
	}
	class := "writes"
	switch method {
	case http.MethodGet, http.MethodHead:
		class = "reads"
	case http.MethodDelete:
		class = "deletes"
	}
	k := subscriptionOf(path) + "/" + class
	b := s.buckets.buckets[k]
	if b == nil {
		b = &armBucket{last: s.buckets.now()}
		if l := s.buckets.limits; l != nil {
			b.Burst, b.RefillPerSecond = l.of(class)
			b.tokens = b.Burst
		}
		s.buckets.buckets[k] = b
	}
	return b, class
}

// armTake draws a token for an authenticated ARM call before any effect;
// it returns the 429 to answer when the bucket is empty, or nil. The
// caller holds s.mu.
func (s *Server) armTake(method string, c call) *response {
	if c.plane != planeARM || s.buckets == nil || s.buckets.limits == nil {
		return nil
	}
	b, class := s.bucketFor(method, c.path)
	now := s.buckets.now()
	b.tokens = min(b.Burst, b.tokens+now.Sub(b.last).Seconds()*b.RefillPerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := 1.0
	if b.RefillPerSecond > 0 {
		wait = max(1, math.Ceil((1-b.tokens)/b.RefillPerSecond))
	}
	resp := errorResponse(planeARM, http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
		"Number of "+class+" requests for subscription exceeded the limit")
	resp.header.Set("Retry-After", strconv.Itoa(int(wait)))
	return resp
}

// armCount counts an answered ARM call and, when the buckets are
// enforced, sets the true remaining count of its bucket. The caller holds
// s.mu.
func (s *Server) armCount(method string, c call, resp *response) {
	if c.plane != planeARM {
		return
	}
	b, class := s.bucketFor(method, c.path)
	b.Requests++
	if resp.status == http.StatusTooManyRequests {
		b.Throttled++
	}
	if s.buckets.limits == nil {
		return
	}
	resp.header.Del("x-ms-ratelimit-remaining-subscription-reads")
	resp.header.Del("x-ms-ratelimit-remaining-subscription-deletes")
	resp.header.Set("x-ms-ratelimit-remaining-subscription-"+class, strconv.Itoa(int(max(b.tokens, 0))))
}

// subscriptionOf is the subscription id of an ARM path, lower case ("" if
// none).
func subscriptionOf(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.EqualFold(seg, "subscriptions") && i+1 < len(segs) {
			return strings.ToLower(segs[i+1])
		}
	}
	return ""
}

// adminStats answers GET /_sim/stats.
func (s *Server) adminStats(r *http.Request) *response {
	if r.Method != http.MethodGet {
		return methodNotAllowed(planeARM, r)
	}
	return jsonResponse(http.StatusOK, s.Stats())
}
