package azureapi

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// maxErrorBody bounds the body of a response with a non-2xx status: it
// only feeds the error's code and message, so it is cut, not refused.
const maxErrorBody = 64 << 10

// tokenTransport is the token client's transport. It follows no redirect
// (Go copies Authorization to a redirect on the same host name, even to
// http; the endpoint check runs before the transport): a 3xx comes back as
// it is and becomes a Permanent *Error. It limits every body while it is
// read, so azcore's body download, its retries' draining, its error
// classification and every poll of a long-running operation read at most
// max bytes of a 2xx body (more is a Permanent DocumentTooLarge) and
// maxErrorBody of any other.
type tokenTransport struct {
	next policy.Transporter
	max  int64
}

func newTokenTransport(t policy.Transporter, max int64) tokenTransport {
	if t == nil {
		t = &http.Client{Transport: defaultTransport()}
	}
	if hc, ok := t.(*http.Client); ok {
		c := *hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		t = &c
	}
	return tokenTransport{next: t, max: max}
}

func (t tokenTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxErrorBody), resp.Body}
		return resp, nil
	}
	tooLarge := &Error{Class: Permanent, Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"),
		Code: "DocumentTooLarge", Message: fmt.Sprintf("response larger than %d bytes", t.max)}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, final{tooLarge}
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, err: final{tooLarge}}
	return resp, nil
}

// defaultTransport is azcore's default, without its redirects (the
// clients set their own policy) and with TLS 1.2 at least.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// limitedBody reads at most left bytes of rc; one byte more is err.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		for {
			n, err := b.rc.Read(one[:])
			if n > 0 {
				return 0, b.err
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// final wraps an *Error that azcore's retry policy must not retry.
type final struct{ e *Error }

func (f final) Error() string { return f.e.Error() }

func (f final) Unwrap() error { return f.e }

// NonRetriable marks final for azcore (errorinfo.NonRetriable).
func (final) NonRetriable() {}
