package azureapi

import "regexp"

// sasSig finds the sig parameter of a SAS URL anywhere in a text: after
// the start, any character that cannot be part of a parameter name, a
// percent escape (a URL inside another URL's query) or JSON's \u0026;
// spelled sig= or sig%3D in any case. Its value runs to the next &, %26,
// white space, quote, bracket or separator that ends a URL in prose, JSON
// or an error message.
var sasSig = regexp.MustCompile(`(?i)(^|[^a-z0-9_]|%[0-9a-f]{2}|\\u0026)(sig(?:=|%3d))((?:[^&\s"'<>#\\;,)%]|%(?:[013-9a-f][0-9a-f]|2[0-57-9a-f]))*)`)

// StripSAS returns s with the value of every SAS signature (a sig query
// parameter, plain or percent-encoded) replaced by REDACTED. The other SAS
// parameters (expiry, permissions) are kept: they grant nothing alone.
// Every error text built from a URL, a *url.Error or an upstream body goes
// through it before it reaches a log, a record or the status document.
func StripSAS(s string) string {
	return sasSig.ReplaceAllStringFunc(s, func(m string) string {
		sub := sasSig.FindStringSubmatch(m)
		if sub[3] == "" {
			return m
		}
		return sub[1] + sub[2] + "REDACTED"
	})
}
