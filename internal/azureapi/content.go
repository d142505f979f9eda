package azureapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// contentClient fetches artifact content from the URLs the service returns
// (SAS URLs of blob storage). It carries no credential of any kind and
// follows redirects only to https.
func contentClient(t policy.Transporter) *http.Client {
	c := &http.Client{
		Timeout: 30 * time.Minute,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) > 5 {
				return errors.New("refusing a redirect that is not https, or the sixth")
			}
			req.Header.Del("Authorization")
			return nil
		},
	}
	if hc, ok := t.(*http.Client); ok && hc.Transport != nil {
		c.Transport = hc.Transport
	}
	return c
}

// FetchContent opens the content at rawURL, which the service returned.
// It must be https; no token is sent. The caller closes the body.
func (c *Client) FetchContent(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, 0, &Error{Class: Permanent, Code: "InvalidContentURI", Message: "the content URI is not an https URL"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, &Error{Class: Permanent, Code: "InvalidContentURI", Message: err.Error()}
	}
	resp, err := c.content.Do(req)
	if err != nil {
		return nil, 0, &Error{Class: Transient, Err: err, Message: "fetching content: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		e := classify(resp, body)
		e.Message = fmt.Sprintf("content answered %d: %s", resp.StatusCode, e.Message)
		return nil, 0, e
	}
	return resp.Body, resp.ContentLength, nil
}
