package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on values that end up in a URL path or a blob name.
const (
	MaxSegment  = 260  // bytes in one path segment
	MaxRestPath = 1024 // bytes in a rest parameter (an artifact path)
)

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9\-_.()]{1,260}$`)
	locationRE = regexp.MustCompile(`^[a-z0-9]{2,40}$`)
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ValidName applies the request contract's rule for a name segment of a
// target: 1 to 260 letters, digits, '-', '_', '.', '(', ')', not ending in '.'.
func ValidName(s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%q is not 1 to 260 letters, digits, '-', '_', '.', '(' or ')'", s)
	}
	if strings.HasSuffix(s, ".") {
		return fmt.Errorf("%q ends in '.'", s)
	}
	return nil
}

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
