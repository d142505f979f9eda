package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// client talks to the API at base. The key goes only to base's origin: a
// Location or nextLink elsewhere is followed without it.
type client struct {
	base *url.URL
	key  string
	http *http.Client
}

func newClient(base, key string) (*client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not an http(s) URL", base)
	}
	return &client{base: u, key: key, http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// api is the URL of path under base.
func (c *client) api(path string) *url.URL { return c.base.JoinPath(path) }

// link resolves a link the API gave (Location, nextLink) against the URL
// of the answer it came in.
func link(from *url.URL, ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("the API gave a link that is not a URL: %w", err)
	}
	return from.ResolveReference(u), nil
}

// response is an answer of the API, read whole.
type response struct {
	url    *url.URL // what was asked
	status int
	header http.Header
	body   []byte
}

// do sends one call and returns the answer; an answer of 400 or more is a
// *problem.
func (c *client) do(ctx context.Context, method string, u *url.URL, body any) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" && sameOrigin(u, c.base) {
		req.Header.Set("x-functions-key", c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, redactURL(u), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, redactURL(u), err)
	}
	r := &response{url: u, status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 400 {
		return r, problemOf(method, redactURL(u), r)
	}
	return r, nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// redactURL drops the query (a function key in "code", a signature).
func redactURL(u *url.URL) string {
	v := *u
	if v.RawQuery != "" {
		v.RawQuery = "…"
	}
	return v.String()
}

// retryAfter is the wait an answer asks for, between 1 and 30 seconds.
func (r *response) retryAfter() time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(r.header.Get("Retry-After")))
	if err != nil || n < 1 {
		return time.Second
	}
	return time.Duration(min(n, 30)) * time.Second
}

// problem is an error answer of the API, shown readably.
type problem struct {
	Method, URL string
	Status      int
	Title       string `json:"title"`
	Detail      string `json:"detail"`
	Type        string `json:"type"`
	Errors      []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	raw string
}

func problemOf(method, u string, r *response) error {
	p := &problem{Method: method, URL: u, Status: r.status}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if !strings.HasSuffix(mt, "json") || json.Unmarshal(r.body, p) != nil || (p.Title == "" && p.Detail == "") {
		p.raw = strings.TrimSpace(string(r.body))
		if len(p.raw) > 500 {
			p.raw = p.raw[:500] + "…"
		}
	}
	return p
}

func (p *problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, http.StatusText(p.Status))
	if p.Title != "" && p.Title != http.StatusText(p.Status) {
		fmt.Fprintf(&b, ": %s", p.Title)
	}
	if p.Detail != "" {
		fmt.Fprintf(&b, "\n%s", p.Detail)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "\n%s: %s", e.Field, e.Message)
	}
	if p.raw != "" {
		fmt.Fprintf(&b, "\n%s", p.raw)
	}
	fmt.Fprintf(&b, "\n(%s %s)", p.Method, p.URL)
	return b.String()
}
