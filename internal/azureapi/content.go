package azureapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// contentClient fetches artifact content from the URLs the service returns
// (SAS URLs of blob storage). It carries no credential of any kind and
// follows at most five redirects, each only to https. Unless allowPrivate,
// it connects only to public addresses: the address is checked when it is
// dialled (after name resolution, for every redirect too), so a name that
// resolves to loopback, a private or a link-local address (the instance
// metadata service) is refused whatever it is called. With the check on,
// no proxy is used, since a proxy would hide the address of the content.
func contentClient(t policy.Transporter, allowPrivate bool) *http.Client {
	c := &http.Client{
		Timeout: 30 * time.Minute,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) > 5 {
				return &Error{Class: Permanent, Code: "ContentRedirect", Message: "refusing a redirect that is not https, or the sixth: " + redact(req.URL)}
			}
			req.Header.Del("Authorization")
			return nil
		},
	}
	var tr *http.Transport
	if hc, ok := t.(*http.Client); ok && hc.Transport != nil {
		if ht, ok := hc.Transport.(*http.Transport); ok {
			tr = ht.Clone()
		} else {
			c.Transport = hc.Transport // a test's own round tripper, as it is
			return c
		}
	} else {
		tr = defaultTransport()
	}
	if !allowPrivate {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guardAddress}
		tr.DialContext, tr.DialTLSContext, tr.Proxy = d.DialContext, nil, nil
	}
	c.Transport = tr
	return c
}

// guardAddress is the content dialer's Control: it refuses to connect to
// an address contentAddressAllowed refuses.
func guardAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !contentAddressAllowed(ap.Addr()) {
		return &Error{Class: Permanent, Code: "ContentAddressNotAllowed",
			Message: fmt.Sprintf("refusing to fetch content from %s: not a public address (DSR_CONTENT_ALLOW_PRIVATE allows it)", address)}
	}
	return nil
}

// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT, RFC 6598).
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// contentAddressAllowed reports whether content may be fetched from a:
// a global unicast address that is not private (RFC 1918, RFC 4193), not
// loopback, link-local, unspecified, multicast, broadcast or shared
// address space. IPv4-mapped IPv6 addresses are judged as IPv4.
func contentAddressAllowed(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() &&
		!sharedAddressSpace.Contains(a) && a != netip.IPv4Unspecified() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// FetchContent opens the content at rawURL, which the service returned.
// It must be https; no token is sent. Content larger than the client's cap
// (Options.MaxContent) is a Permanent ContentTooLarge error: at once when
// its declared length says so, else from the body's Read once the cap is
// passed. The caller streams the body and closes it.
func (c *Client) FetchContent(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, 0, &Error{Class: Permanent, Code: "InvalidContentURI", Message: "the content URI is not an https URL"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, &Error{Class: Permanent, Code: "InvalidContentURI", Message: StripSAS(err.Error())}
	}
	resp, err := c.content.Do(req)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, 0, e
		}
		return nil, 0, &Error{Class: Transient, Err: err, Message: "fetching content: " + StripSAS(err.Error())}
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		e := classify(resp, body)
		e.Message = fmt.Sprintf("content answered %d: %s", resp.StatusCode, e.Message)
		return nil, 0, e
	}
	tooLarge := &Error{Class: Permanent, Status: resp.StatusCode, Code: "ContentTooLarge",
		Message: fmt.Sprintf("the content is larger than %d bytes (DSR_MAX_CONTENT_BYTES)", c.maxCont)}
	if resp.ContentLength > c.maxCont {
		resp.Body.Close()
		return nil, 0, tooLarge
	}
	return &limitedBody{rc: resp.Body, left: c.maxCont, err: tooLarge}, resp.ContentLength, nil
}
