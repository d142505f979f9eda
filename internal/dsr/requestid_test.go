package dsr

import (
	"regexp"
	"strings"
	"testing"
)

// ValidRequestID is the regexp it replaced, on every byte, in first and
// later place, and at the length bounds.
func TestValidRequestIDIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	cases := []string{"", "a", "req-1", "req_1.2", "-a", ".a", "_a", "a b", "a\n", "é", strings.Repeat("x", 63), strings.Repeat("x", 64), strings.Repeat("x", 65)}
	for b := range 256 {
		cases = append(cases, string([]byte{byte(b)}), "a"+string([]byte{byte(b)}), string([]byte{byte(b)})+"a")
	}
	for _, id := range cases {
		if got, want := ValidRequestID(id), re.MatchString(id); got != want {
			t.Errorf("ValidRequestID(%q) = %v, the regexp says %v", id, got, want)
		}
	}
}
