// Package azureapi is the client amldsr calls Azure ML with: the azcore
// pipeline (bearer tokens for DSR_TOKEN_SCOPE, azcore's retry policy),
// every list followed to its end whatever its shape, ARM long-running
// deletes, local pacing below ARM's limits, and every failure turned into a
// typed *Error that decides what happens to the step.
//
// Tokens go only to hosts of the configured endpoints: a policy in the
// pipeline refuses any other URL (a nextLink or polling URL pointing
// elsewhere included) before the token policy runs, and the transport
// follows no redirect. Every body is limited while it is read.
package azureapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"amldsr/internal/catalog"
	"amldsr/internal/metrics"
)

// DefaultScope is the token scope of the seed's APIs.
const DefaultScope = "https://management.core.windows.net//.default"

// MaxDocument bounds one JSON document, list page or poll body read into
// memory (Options.MaxDocument overrides it).
const MaxDocument = 32 << 20

// DefaultMaxContent bounds one artifact content (Options.MaxContent
// overrides it; DSR_MAX_CONTENT_BYTES in the configuration).
const DefaultMaxContent = 5 << 30

// Options configure a Client.
type Options struct {
	Endpoints catalog.Endpoints
	Scope     string
	// Transport replaces the HTTP transport (tests); nil uses one like
	// azcore's. An *http.Client is copied and made to follow no redirect;
	// another Transporter is used as it is.
	Transport policy.Transporter
	Retry     policy.RetryOptions
	Pacer     *Pacer
	// MaxDocument bounds one response body of the token client while it is
	// read; 0 is the package's MaxDocument.
	MaxDocument int64
	// MaxContent bounds one artifact content; 0 is DefaultMaxContent.
	MaxContent int64
	// ContentAllowPrivate lets artifact content come from loopback,
	// private and link-local addresses (tests, the local simulator).
	ContentAllowPrivate bool
}

// Client calls the catalog's endpoints.
type Client struct {
	pl        runtime.Pipeline
	endpoints catalog.Endpoints
	pacer     *Pacer
	content   *http.Client
	maxDoc    int64
	maxCont   int64
	// contentPrivate: artifact content may come from non-public addresses
	// (Options.ContentAllowPrivate).
	contentPrivate bool
}

// New builds a client that authenticates with cred.
func New(cred azcore.TokenCredential, o Options) (*Client, error) {
	if err := o.Endpoints.Validate(); err != nil {
		return nil, err
	}
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	if o.Retry.MaxRetries == 0 {
		o.Retry.MaxRetries = 3
	}
	if o.Retry.MaxRetryDelay == 0 {
		// A longer Retry-After comes back to the caller as Throttled, and the
		// step is rescheduled instead of sleeping on a queue lock.
		o.Retry.MaxRetryDelay = 10 * time.Second
	}
	if o.Retry.RetryDelay == 0 {
		o.Retry.RetryDelay = 800 * time.Millisecond
	}
	if o.MaxDocument <= 0 {
		o.MaxDocument = MaxDocument
	}
	if o.MaxContent <= 0 {
		o.MaxContent = DefaultMaxContent
	}
	allow := policyFunc(func(req *policy.Request) (*http.Response, error) {
		if !o.Endpoints.Allowed(req.Raw().URL) {
			return nil, final{&Error{Class: Permanent, Code: "HostNotAllowed",
				Message: fmt.Sprintf("refusing to send a token to %s://%s: not a configured endpoint", req.Raw().URL.Scheme, req.Raw().URL.Host)}}
		}
		return req.Next()
	})
	bearer := runtime.NewBearerTokenPolicy(cred, []string{o.Scope}, nil)
	// Every 429 is counted, each try's: the retry policy sits above.
	throttled := policyFunc(func(req *policy.Request) (*http.Response, error) {
		resp, err := req.Next()
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			metrics.Throttled(req.Raw().Context(), req.Raw().URL.Host)
		}
		return resp, err
	})
	c := &Client{endpoints: o.Endpoints, pacer: o.Pacer, maxDoc: o.MaxDocument, maxCont: o.MaxContent,
		content: contentClient(o.Transport, o.ContentAllowPrivate), contentPrivate: o.ContentAllowPrivate}
	arm, _ := url.Parse(o.Endpoints.ARM) // validated above
	c.pl = runtime.NewPipeline("amldsr", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{allow, pacing{c: c, arm: arm}, bearer, throttled},
	}, &policy.ClientOptions{Retry: o.Retry, Transport: newTokenTransport(o.Transport, o.MaxDocument)})
	return c, nil
}

type policyFunc func(*policy.Request) (*http.Response, error)

func (f policyFunc) Do(r *policy.Request) (*http.Response, error) { return f(r) }

// Endpoints returns the configured endpoints.
func (c *Client) Endpoints() catalog.Endpoints { return c.endpoints }

// Response is a successful response with its body read.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
}

// do sends one request through pacing and the pipeline and reads the
// body. Non-2xx statuses come back as *Error.
func (c *Client) do(ctx context.Context, method string, u *url.URL) (*http.Response, []byte, error) {
	if !c.endpoints.Allowed(u) {
		return nil, nil, &Error{Class: Permanent, Code: "HostNotAllowed", Message: "URL is not on a configured endpoint: " + redact(u)}
	}
	req, err := runtime.NewRequest(ctx, method, u.String())
	if err != nil {
		return nil, nil, &Error{Class: Permanent, Err: err}
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.pl.Do(req)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, nil, e
		}
		return nil, nil, &Error{Class: Transient, Err: err, Message: "no response: " + StripSAS(err.Error())}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxDoc+1))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, nil, e
		}
		return nil, nil, &Error{Class: Transient, Status: resp.StatusCode, Err: err, Message: "reading the response: " + StripSAS(err.Error())}
	}
	if int64(len(body)) > c.maxDoc {
		return nil, nil, &Error{Class: Permanent, Status: resp.StatusCode, Code: "DocumentTooLarge", Message: fmt.Sprintf("response larger than %d bytes", c.maxDoc)}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, body, classify(resp, body)
	}
	return resp, body, nil
}

// Get fetches one document. A 404 is an *Error of class Gone.
func (c *Client) Get(ctx context.Context, u *url.URL) (*Response, error) {
	resp, body, err := c.do(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Class: Permanent, Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"),
			Code: "UnexpectedStatus", Message: fmt.Sprintf("GET answered %d, want 200", resp.StatusCode)}
	}
	if !json.Valid(body) {
		return nil, &Error{Class: Permanent, Status: resp.StatusCode, Code: "InvalidJSON", Message: "the document is not JSON"}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, RequestID: resp.Header.Get("x-ms-request-id")}, nil
}

func redact(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}
