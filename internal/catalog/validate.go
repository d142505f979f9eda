package catalog

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on values that end up in a URL path or a blob name.
const (
	MaxSegment  = 260  // bytes in one path segment
	MaxRestPath = 1024 // bytes in a rest parameter (an artifact path)
)

// The patterns below are matched by hand: compiled as regexps, their
// bounded repetitions cost milliseconds of every process's start-up.
var (
	// locationRE is ^[a-z0-9]{2,40}$.
	locationRE = charRun{min: 2, max: 40, ok: func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }}
	// guidRE is ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$.
	guidRE guidPattern
)

// charRun matches min to max bytes that ok accepts, and nothing else.
type charRun struct {
	min, max int
	ok       func(byte) bool
}

func (r charRun) MatchString(s string) bool {
	if len(s) < r.min || len(s) > r.max {
		return false
	}
	for i := range len(s) {
		if !r.ok(s[i]) {
			return false
		}
	}
	return true
}

// guidPattern matches a GUID: 8-4-4-4-12 hex digits, either case.
type guidPattern struct{}

func (guidPattern) MatchString(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// ValidName applies the request contract's rule for a name segment of a
// target: 1 to 260 letters, digits, '-', '_', '.', '(', ')', not ending in '.'.
func ValidName(s string) error {
	if !nameChars(s) {
		return fmt.Errorf("%q is not 1 to 260 letters, digits, '-', '_', '.', '(' or ')'", s)
	}
	if strings.HasSuffix(s, ".") {
		return fmt.Errorf("%q ends in '.'", s)
	}
	return nil
}

// nameChars is ^[A-Za-z0-9\-_.()]{1,260}$ (see locationRE).
var nameChars = charRun{min: 1, max: 260, ok: func(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.()", c) >= 0
}}.MatchString

// ValidGUID reports whether s is a GUID such as an Entra ID object id.
func ValidGUID(s string) bool { return guidRE.MatchString(s) }

// ValidSegment checks a value that an upstream service returned (a model id,
// a run id, an asset name) before it becomes one path segment: 1 to 260
// bytes of valid UTF-8, no '/', '\', '%', '?', '#', no control characters,
// and not "." or "..".
func ValidSegment(s string) error {
	switch {
	case s == "":
		return errors.New("empty segment")
	case len(s) > MaxSegment:
		return fmt.Errorf("segment of %d bytes is longer than %d", len(s), MaxSegment)
	case s == "." || s == "..":
		return fmt.Errorf("segment %q is a relative path", s)
	case !utf8.ValidString(s):
		return errors.New("segment is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || strings.ContainsRune(`/\%?#`, r) {
			return fmt.Errorf("segment %q holds a forbidden character %q", s, r)
		}
	}
	return nil
}

// ValidRestPath checks a multi-segment value (an artifact path): each
// segment passes ValidSegment and the whole is at most MaxRestPath bytes.
func ValidRestPath(s string) error {
	if len(s) > MaxRestPath {
		return fmt.Errorf("path of %d bytes is longer than %d", len(s), MaxRestPath)
	}
	for _, seg := range strings.Split(s, "/") {
		if err := ValidSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// NormalizeLocation turns an ARM location as a resource reports it ("East US
// 2" in the older examples, "eastus2" today) into the form substituted for
// {location}, and rejects anything that is not ^[a-z0-9]{2,40}$ afterwards,
// so a location can never change the host a URL points at.
func NormalizeLocation(loc string) (string, error) {
	n := strings.ToLower(strings.ReplaceAll(loc, " ", ""))
	if !locationRE.MatchString(n) {
		return "", fmt.Errorf("location %q is not 2 to 40 lower-case letters and digits", loc)
	}
	return n, nil
}
