package worker

import (
	"testing"
	"time"

	"amldsr/internal/azureapi"
)

// TestBackoffGrowsUnderAShortRetryAfter: a storm of 429s that each say
// "Retry-After: 1" must not spend the step's attempts in a dozen seconds:
// Retry-After is a floor, the exponential backoff still grows, so the
// attempts span minutes (a 30-second storm passes).
func TestBackoffGrowsUnderAShortRetryAfter(t *testing.T) {
	w := &Worker{Limits: DefaultLimits}
	total := time.Duration(0)
	for attempt := range DefaultLimits.MaxAttempts - 1 {
		r := &run{Worker: w, step: &Step{Attempt: attempt}}
		d := r.backoff(&azureapi.Error{Class: azureapi.Throttled, Status: 429, RetryAfter: time.Second})
		if d < time.Second {
			t.Fatalf("attempt %d: %v, shorter than Retry-After", attempt, d)
		}
		total += d
	}
	if total < 5*time.Minute {
		t.Fatalf("%d attempts span %v under Retry-After: 1", DefaultLimits.MaxAttempts, total)
	}
	r := &run{Worker: w, step: &Step{}}
	if d := r.backoff(&azureapi.Error{Class: azureapi.Throttled, Status: 429, RetryAfter: 40 * time.Second}); d < 40*time.Second {
		t.Fatalf("a long Retry-After was cut to %v", d)
	}
}
