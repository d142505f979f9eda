package azureapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"amldsr/internal/catalog"
)

// TestCopySource: a server-side copy is asked only for a URL a fetch would
// accept, by the same rules, and the error never carries the signature.
func TestCopySource(t *testing.T) {
	const sig = "?sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
	tests := []struct {
		url          string
		allowPrivate bool
		code         string // "" for accepted
	}{
		{"https://93.184.215.14/c/a.bin" + sig, false, ""},
		{"https://127.0.0.1:8443/c/a.bin" + sig, false, "ContentAddressNotAllowed"},
		{"https://10.1.2.3/c/a.bin" + sig, false, "ContentAddressNotAllowed"},
		{"https://169.254.169.254/metadata" + sig, false, "ContentAddressNotAllowed"},
		{"https://[::1]/c" + sig, false, "ContentAddressNotAllowed"},
		{"https://127.0.0.1:8443/c/a.bin" + sig, true, ""},
		{"http://93.184.215.14/c/a.bin" + sig, false, "InvalidContentURI"},
		{"https://user:pw@93.184.215.14/c" + sig, false, "InvalidContentURI"},
	}
	for _, tc := range tests {
		c, err := New(nil, Options{Endpoints: catalog.DefaultEndpoints(), MaxContent: 12345, ContentAllowPrivate: tc.allowPrivate})
		if err != nil {
			t.Fatal(err)
		}
		max, err := c.CopySource(context.Background(), tc.url)
		var e *Error
		switch {
		case tc.code == "" && (err != nil || max != 12345):
			t.Errorf("%s (private allowed %v): %d, %v; want the cap 12345", tc.url, tc.allowPrivate, max, err)
		case tc.code != "" && (!errors.As(err, &e) || e.Code != tc.code || e.Class != Permanent):
			t.Errorf("%s: %v, want permanent %s", tc.url, err, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error carries the signature: %v", err)
		}
	}
}
