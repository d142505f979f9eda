package azureapi

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestStripSAS(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"no url here", "no url here"},
		{"https://a.blob.core.windows.net/c/b?sv=2021&sig=AbC%2Bd%3D&se=2030", "https://a.blob.core.windows.net/c/b?sv=2021&sig=REDACTED&se=2030"},
		{"https://a/b?sig=xyz", "https://a/b?sig=REDACTED"},
		{"https://a/b?SIG=xyz&sp=r", "https://a/b?SIG=REDACTED&sp=r"},
		{`Get "https://a/b?sp=r&sig=s3cr3t": dial tcp`, `Get "https://a/b?sp=r&sig=REDACTED": dial tcp`},
		{"two: https://a?sig=one https://b?x=1&sig=two.", "two: https://a?sig=REDACTED https://b?x=1&sig=REDACTED"},
		{`{"contentUri":"https://a/b?sv=1\u0026sig=abc\u0026se=2"}`, `{"contentUri":"https://a/b?sv=1\u0026sig=REDACTED\u0026se=2"}`},
		{"encoded: https://x/?next=https%3A%2F%2Fa%2Fb%3Fsv%3D1%26sig%3Dabc%26se%3D2", "encoded: https://x/?next=https%3A%2F%2Fa%2Fb%3Fsv%3D1%26sig%3DREDACTED%26se%3D2"},
		{"sig=atstart", "sig=REDACTED"},
		{"config=keep&design=keep", "config=keep&design=keep"},
		{"https://a/b?sig=", "https://a/b?sig="},
	} {
		if got := StripSAS(c.in); got != c.want {
			t.Errorf("StripSAS(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// sigValue is what follows a sig= the way StripSAS reads it.
var sigValue = regexp.MustCompile(`(?i)(?:^|[^a-z0-9_]|%26|%3f)sig(?:=|%3d)((?:[a-z0-9+/=_.~-]|%2b|%2f|%3d)*)`)

func FuzzStripSAS(f *testing.F) {
	f.Add("https://a/b?sv=1&", "AbCdEf%2B123%3D", "&se=2 rest")
	f.Add("Get \"", "s3cr3tsignature", "\": EOF")
	f.Add("x%3Fsv%3D1%26", "zzzzzzzz", "%26y")
	f.Fuzz(func(t *testing.T, prefix, sig, suffix string) {
		// Any text: no sig= is left with a value but REDACTED.
		for _, in := range []string{prefix, sig, suffix, prefix + sig + suffix} {
			out := StripSAS(in)
			for _, m := range sigValue.FindAllStringSubmatch(out, -1) {
				if m[1] != "" && m[1] != "REDACTED" {
					t.Fatalf("StripSAS(%q) = %q keeps a signature %q", in, out, m[1])
				}
			}
			if again := StripSAS(out); again != out {
				t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
			}
		}
		// A signature planted in a URL never survives, wherever the URL is.
		if len(sig) < 8 || strings.ContainsAny(sig, "&# \t\r\n\"'<>\\;,)") || strings.Contains(prefix+"|"+suffix, sig) || strings.Contains("REDACTED", sig) {
			return
		}
		for _, sep := range []string{"?sig=", "&sig=", " sig=", "%26sig%3D", "?SIG="} {
			if out := StripSAS(prefix + sep + sig + "&" + suffix); strings.Contains(out, sig) {
				t.Fatalf("signature %q survives in %q", sig, out)
			}
		}
	})
}

// Errors built from URLs carry no signature.
func TestErrorsCarryNoSignature(t *testing.T) {
	ue := &url.Error{Op: "Get", URL: "https://a.blob/c?sv=1&sig=TOPSECRET", Err: errors.New("boom")}
	for _, e := range []*Error{
		{Class: Transient, Err: ue},
		{Class: Transient, Err: ue, Message: "fetching content: " + ue.Error()},
	} {
		if strings.Contains(e.Error(), "TOPSECRET") {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}
