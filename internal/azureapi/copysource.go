package azureapi

import (
	"context"
	"fmt"
	"net"
	"net/url"
)

// CopySource vets rawURL, an artifact's content URI, before the storage
// service is asked to copy from it, by the rules FetchContent applies to a
// fetch: https, no user information, and (unless private addresses are
// allowed) a host whose every address is public, so that the copy reaches
// nothing a fetch would not. It returns the largest content allowed
// (DSR_MAX_CONTENT_BYTES), which the caller checks the copy against.
// Errors are the same *Error values a fetch would give, with no SAS.
func (c *Client) CopySource(ctx context.Context, rawURL string) (int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return 0, &Error{Class: Permanent, Code: "InvalidContentURI", Message: "the content URI is not an https URL"}
	}
	if c.contentPrivate {
		return c.maxCont, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return 0, &Error{Class: Transient, Err: err, Message: "resolving the content host: " + StripSAS(err.Error())}
	}
	for _, a := range addrs {
		if !contentAddressAllowed(a) {
			return 0, &Error{Class: Permanent, Code: "ContentAddressNotAllowed",
				Message: fmt.Sprintf("refusing to copy content from %s (%s): not a public address (DSR_CONTENT_ALLOW_PRIVATE allows it)", u.Hostname(), a)}
		}
	}
	return c.maxCont, nil
}

// TooLarge is the error of content of size bytes over the cap max.
func TooLarge(size, max int64) *Error {
	return &Error{Class: Permanent, Code: "ContentTooLarge",
		Message: fmt.Sprintf("the content (%d bytes) is larger than %d bytes (DSR_MAX_CONTENT_BYTES)", size, max)}
}
