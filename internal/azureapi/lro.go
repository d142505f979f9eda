package azureapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// DeleteResult is where a delete stands.
type DeleteResult struct {
	// Done: nothing left to poll.
	Done bool
	// Existed is false when the service said the resource did not exist
	// (404, or 204 on the first response).
	Existed bool
	Status  int
	// ResumeToken polls a long-running delete that is not done; empty when
	// the service accepted the delete (202) without a polling URL, in which
	// case the caller confirms with GETs.
	ResumeToken string
	RetryAfter  time.Duration
	RequestID   string
}

// DeleteBody is the (ignored) final body of a long-running delete; the
// poller needs a named type.
type DeleteBody struct{}

// DefaultPollInterval is used when a 202 gives no Retry-After.
const DefaultPollInterval = 5 * time.Second

// BeginDelete sends DELETE u. 200 is done; 204 and 404 are done and did
// not exist; 202 with Azure-AsyncOperation or Location starts a poll.
func (c *Client) BeginDelete(ctx context.Context, u *url.URL) (*DeleteResult, error) {
	resp, _, err := c.do(ctx, http.MethodDelete, u)
	if err != nil {
		if ClassOf(err) == Gone {
			e, _ := err.(*Error)
			return &DeleteResult{Done: true, Status: http.StatusNotFound, RequestID: e.RequestID}, nil
		}
		return nil, err
	}
	r := &DeleteResult{Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"), Existed: true}
	switch resp.StatusCode {
	case http.StatusOK:
		r.Done = true
	case http.StatusNoContent:
		r.Done, r.Existed = true, false
	case http.StatusAccepted:
		r.RetryAfter = pollDelay(resp.Header)
		if resp.Header.Get("Azure-AsyncOperation") == "" && resp.Header.Get("Location") == "" {
			return r, nil
		}
		poller, err := runtime.NewPoller[DeleteBody](resp, c.pl, nil)
		if err != nil {
			return nil, &Error{Class: Permanent, Status: resp.StatusCode, Code: "InvalidPoller", Message: StripSAS(err.Error())}
		}
		if r.ResumeToken, err = poller.ResumeToken(); err != nil {
			return nil, &Error{Class: Permanent, Status: resp.StatusCode, Code: "InvalidPoller", Message: StripSAS(err.Error())}
		}
	default:
		r.Done = true
	}
	return r, nil
}

// PollDelete polls a long-running delete once. A delete whose operation
// ended Failed or Canceled is an *Error with OperationFailed set and the
// operation's own code and message; its class says whether sending the
// delete again may help (see failedOperation).
func (c *Client) PollDelete(ctx context.Context, token string) (*DeleteResult, error) {
	poller, err := runtime.NewPollerFromResumeToken[DeleteBody](token, c.pl, nil)
	if err != nil {
		return nil, &Error{Class: Permanent, Code: "InvalidResumeToken", Message: StripSAS(err.Error())}
	}
	resp, err := poller.Poll(ctx)
	if err != nil {
		return nil, asError(err)
	}
	r := &DeleteResult{Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"), Existed: true}
	if !poller.Done() {
		r.RetryAfter = pollDelay(resp.Header)
		if r.ResumeToken, err = poller.ResumeToken(); err != nil {
			return nil, &Error{Class: Permanent, Code: "InvalidPoller", Message: StripSAS(err.Error())}
		}
		return r, nil
	}
	if _, err := poller.Result(ctx); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, failedOperation(err)
	}
	r.Done = true
	return r, nil
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fromResponseError(err)
}

func pollDelay(h http.Header) time.Duration {
	if d := retryAfter(h); d > 0 {
		return d
	}
	return DefaultPollInterval
}
