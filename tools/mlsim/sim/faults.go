package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Faults are the run-time fault-injection settings.
type Faults struct {
	// P429 and P503 are the fractions of authenticated API calls answered
	// 429 TooManyRequests (with Retry-After) or 503 ServerBusy, decided
	// before any effect. Their sum is at most 1.
	P429, P503 float64
	// Latency is added to every call except /_sim/.
	Latency time.Duration
	// RetryAfter is the Retry-After, in seconds, of injected 429s (>= 1).
	RetryAfter int
	// TokenDownUntil: until then the managed-identity token endpoint
	// answers 503 (an outage of the identity endpoint).
	TokenDownUntil time.Time
}

// tokenDown answers the token endpoint's injected outage, or nil.
func (s *Server) tokenDown() *response {
	s.mu.Lock()
	until := s.faults.TokenDownUntil
	s.mu.Unlock()
	if time.Now().Before(until) {
		return jsonResponse(http.StatusServiceUnavailable, identityError{"temporarily_unavailable", "injected fault: the identity endpoint is down"})
	}
	return nil
}

// validate reports the first setting out of range.
func (f Faults) validate() error {
	switch {
	case !(f.P429 >= 0 && f.P429 <= 1):
		return fmt.Errorf("p429 must be in [0, 1], not %v", f.P429)
	case !(f.P503 >= 0 && f.P503 <= 1):
		return fmt.Errorf("p503 must be in [0, 1], not %v", f.P503)
	case f.P429+f.P503 > 1:
		return fmt.Errorf("p429 + p503 must be at most 1, not %v", f.P429+f.P503)
	case f.Latency < 0:
		return fmt.Errorf("latency must not be negative, not %v", f.Latency)
	case f.RetryAfter < 1:
		return fmt.Errorf("retryAfter must be at least 1, not %d", f.RetryAfter)
	}
	return nil
}

// Faults returns the current fault settings.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the fault settings; it returns an error, and changes
// nothing, when a setting is out of range.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// drawFault decides (with the seeded generator) whether this call is
// answered with an injected fault, and returns that answer or nil.
func (s *Server) drawFault(p plane) *response {
	f := s.faults
	if f.P429 == 0 && f.P503 == 0 {
		return nil
	}
	x := s.rng.Float64()
	switch {
	case x < f.P429:
		resp := errorResponse(p, http.StatusTooManyRequests, "TooManyRequests",
			"injected throttling: retry after "+strconv.Itoa(f.RetryAfter)+" s")
		resp.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		return resp
	case x < f.P429+f.P503:
		return errorResponse(p, http.StatusServiceUnavailable, "ServerBusy", "injected fault: the service is busy")
	}
	return nil
}

// delay sleeps for the configured latency, or until r is cancelled.
func (s *Server) delay(r *http.Request) {
	s.mu.Lock()
	d := s.faults.Latency
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// LogEntry is one API call in the log (GET /_sim/log).
type LogEntry struct {
	Seq       int64     `json:"seq"`       // strictly increasing from 1
	Time      time.Time `json:"time"`      // when it was answered
	Method    string    `json:"method"`    // HTTP method
	Prefix    string    `json:"prefix"`    // "/arm", "/mm/{location}" or "/exp/{location}" as requested
	Path      string    `json:"path"`      // after the prefix
	Query     string    `json:"query"`     // raw query, without "?"
	Status    int       `json:"status"`    // status answered
	Fault     bool      `json:"fault"`     // answered by fault injection
	RequestID string    `json:"requestId"` // the x-ms-request-id answered
}

// appendLog records a call; the caller holds the lock.
func (s *Server) appendLog(r *http.Request, c call, status int, fault bool, reqID string) {
	s.seq++
	s.log = append(s.log, LogEntry{
		Seq: s.seq, Time: time.Now().UTC(), Method: r.Method, Prefix: c.prefix, Path: c.path,
		Query: r.URL.RawQuery, Status: status, Fault: fault, RequestID: reqID,
	})
}

// Log returns the API calls with a sequence number above since (0 for all).
func (s *Server) Log(since int64) []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []LogEntry{}
	for _, e := range s.log {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	return out
}
