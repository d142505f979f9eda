package azureapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"amldsr/internal/catalog"
)

// Page is one page of a list.
type Page struct {
	Items []json.RawMessage
	// Next is the URL of the next page, nil on the last one. It has been
	// checked against the configured endpoints.
	Next      *url.URL
	RequestID string
	Status    int
}

// ListPage fetches the page at u and works out the next one according to
// the list's shape: nextLink when present; for continuation lists without
// a nextLink, the continuationToken sent back in tokenParam.
func (c *Client) ListPage(ctx context.Context, u *url.URL, shape catalog.Shape, tokenParam string) (*Page, error) {
	resp, body, err := c.do(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	var env struct {
		Value             []json.RawMessage `json:"value"`
		NextLink          string            `json:"nextLink"`
		ContinuationToken string            `json:"continuationToken"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &Error{Class: Permanent, Status: resp.StatusCode, Code: "InvalidList", Message: "the list is not {\"value\": [...]}: " + err.Error()}
	}
	p := &Page{Items: env.Value, RequestID: resp.Header.Get("x-ms-request-id"), Status: resp.StatusCode}
	next, err := c.nextURL(u, env.NextLink, env.ContinuationToken, shape, tokenParam)
	if err != nil {
		return nil, err
	}
	p.Next = next
	return p, nil
}

func (c *Client) nextURL(cur *url.URL, nextLink, token string, shape catalog.Shape, tokenParam string) (*url.URL, error) {
	var next *url.URL
	switch {
	case nextLink != "":
		u, err := cur.Parse(nextLink) // an absolute nextLink stands; a relative one resolves
		if err != nil {
			return nil, &Error{Class: Permanent, Code: "InvalidNextLink", Message: StripSAS(err.Error())}
		}
		next = u
	case token != "" && shape == catalog.ShapeContinuation && tokenParam != "":
		u := *cur
		q := u.Query()
		q.Set(tokenParam, token)
		u.RawQuery = q.Encode()
		next = &u
	default:
		return nil, nil
	}
	if !c.endpoints.Allowed(next) {
		return nil, &Error{Class: Permanent, Code: "HostNotAllowed", Message: "the next page is not on a configured endpoint: " + redact(next)}
	}
	if next.String() == cur.String() {
		return nil, &Error{Class: Permanent, Code: "PagingLoop", Message: "the next page is the page just read"}
	}
	return next, nil
}
