package catalog

import (
	"regexp"
	"strings"
	"testing"
)

// The hand-written matchers are the regexps they replaced, on every byte
// and at the length bounds.
func TestMatchersAreTheRegexps(t *testing.T) {
	for _, c := range []struct {
		re    string
		match func(string) bool
		cases []string
	}{
		{`^[A-Za-z0-9\-_.()]{1,260}$`, nameChars, []string{"my-model_v1.2(a)", strings.Repeat("x", 259), strings.Repeat("x", 260), strings.Repeat("x", 261)}},
		{`^[a-z0-9]{2,40}$`, locationRE.MatchString, []string{"westeurope", "eastus2", "EastUS", "a1", strings.Repeat("x", 40), strings.Repeat("x", 41)}},
		{`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`, guidRE.MatchString, []string{
			"00000000-0000-0000-0000-000000000000", "0A1b2C3d-4E5f-6a7B-8c9D-0e1F2a3B4c5D", "0A1b2C3d-4E5f-6a7B-8c9D-0e1F2a3B4c5", "0A1b2C3d-4E5f-6a7B-8c9D-0e1F2a3B4c5D0",
			"0A1b2C3d-4E5f-6a7B-8c9D+0e1F2a3B4c5D", "0A1b2C3d04E5f-6a7B-8c9D-0e1F2a3B4c5D", "0A1b2C3g-4E5f-6a7B-8c9D-0e1F2a3B4c5D", "0A1b2C3d-4E5f-6a7B-8c9D-0e1F2a3B4c5\n"}},
	} {
		re := regexp.MustCompile(c.re)
		cases := append([]string{"", "a", "ab", "a b", "a\n", "\na", "é"}, c.cases...)
		for b := range 256 {
			cases = append(cases, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"b")
		}
		for _, s := range cases {
			if got, want := c.match(s), re.MatchString(s); got != want {
				t.Errorf("%s: %q = %v, the regexp says %v", c.re, s, got, want)
			}
		}
	}
}
