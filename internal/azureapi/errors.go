package azureapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Class decides what happens to the step that got an error.
type Class int

const (
	// Gone: the resource does not exist (404). A delete counts it as done.
	Gone Class = iota + 1
	// Throttled: 429; retry after RetryAfter.
	Throttled
	// Transient: 408, 409, 5xx, a broken connection; retry later.
	Transient
	// Permanent: anything else; retrying will not help.
	Permanent
)

func (c Class) String() string {
	return [...]string{"", "gone", "throttled", "transient", "permanent"}[c]
}

// Error is the typed outcome of a failed call.
type Error struct {
	Class      Class
	Status     int    // HTTP status, 0 when no response came
	Code       string // from the error body (ARM or model-management shape)
	Message    string
	RetryAfter time.Duration
	RequestID  string // x-ms-request-id of the response
	Err        error  // underlying cause, if any
	// OperationFailed: a long-running operation itself ended Failed or
	// Canceled (its status said so; the poll succeeded). Retrying it means
	// sending the request again, not polling again.
	OperationFailed bool
}

// Error is the class, status, code and message, with SAS signatures
// stripped (see StripSAS).
func (e *Error) Error() string {
	s := e.Class.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return StripSAS(s)
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches any *Error of the same class, so errors.Is(err, ErrGone)
// works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Class == e.Class && t.Status == 0 && t.Code == ""
}

// Sentinels for errors.Is.
var (
	ErrGone      = &Error{Class: Gone}
	ErrThrottled = &Error{Class: Throttled}
	ErrTransient = &Error{Class: Transient}
	ErrPermanent = &Error{Class: Permanent}
)

// ClassOf returns the class of err (Transient for errors this package did
// not type: broken connections, timeouts).
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Transient
}

// classify turns a response with an unexpected status into an *Error.
func classify(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id")}
	e.Code, e.Message = errorBody(body)
	e.Message = StripSAS(e.Message)
	if e.Code == "" {
		e.Code = resp.Header.Get("x-ms-error-code")
	}
	e.RetryAfter = retryAfter(resp.Header)
	switch s := resp.StatusCode; {
	case s == http.StatusNotFound || s == http.StatusGone:
		e.Class = Gone
	case s == http.StatusTooManyRequests:
		e.Class = Throttled
		if e.RetryAfter <= 0 {
			e.RetryAfter = 10 * time.Second
		}
	case s == http.StatusRequestTimeout || s == http.StatusConflict || s >= 500:
		e.Class = Transient
	case s >= 300 && s < 400:
		// Redirects are not followed (see tokenTransport).
		e.Class = Permanent
		if e.Code == "" {
			e.Code = "Redirect"
		}
		e.Message = fmt.Sprintf("the service answered %d, a redirect, which is not followed", s)
	default:
		e.Class = Permanent
	}
	return e
}

// fromResponseError converts an azcore error (from a poller) to *Error:
// the class of the status, the code and message of the body.
func fromResponseError(err error) *Error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		return &Error{Class: Transient, Err: err, Message: StripSAS(err.Error())}
	}
	body, _ := runtime.Payload(re.RawResponse) // read already, and limited
	e := classify(re.RawResponse, body)
	if e.Code == "" {
		e.Code = re.ErrorCode
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("the service answered %d", re.StatusCode)
	}
	return e
}

// retryableOperationCodes are the error codes of a failed long-running
// operation that are transient by nature: the service was busy, timed
// out, or another operation held the resource. Such an operation is
// started again (Transient, or Throttled for throttling); every other code
// is Permanent. Codes compare case-insensitively.
var retryableOperationCodes = map[string]Class{
	"internalservererror":           Transient,
	"internalerror":                 Transient,
	"serviceunavailable":            Transient,
	"serverbusy":                    Transient,
	"servertimeout":                 Transient,
	"gatewaytimeout":                Transient,
	"badgateway":                    Transient,
	"requesttimeout":                Transient,
	"operationtimedout":             Transient,
	"conflict":                      Transient,
	"anotheroperationinprogress":    Transient,
	"operationpreempted":            Transient,
	"retryableerror":                Transient,
	"toomanyrequests":               Throttled,
	"subscriptionrequeststhrottled": Throttled,
}

// failedOperation converts the error of a long-running operation that
// ended Failed or Canceled: the poll of an Azure-AsyncOperation URL answered
// 2xx with {"status":"Failed","error":{"code","message"}}, or the poll of a
// Location answered a final error status. It keeps the operation's own
// code and message (OperationFailed or OperationCanceled when it gave
// none; never the polling URL), sets OperationFailed, and takes the class
// from retryableOperationCodes; other codes keep the class of the status
// (Gone for 404, Transient for 409 and 5xx), Permanent after a 2xx.
func failedOperation(err error) *Error {
	e := fromResponseError(err)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		return e
	}
	e.OperationFailed = true
	body, _ := runtime.Payload(re.RawResponse)
	var st struct {
		Status string                          `json:"status"`
		Error  *struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &st)
	if re.StatusCode < 400 && (st.Error == nil || (st.Error.Code == "" && st.Error.Message == "")) {
		e.Code, e.Message = "OperationFailed", "the long-running operation ended "+cmp.Or(st.Status, "Failed")+" without an error"
		if strings.EqualFold(st.Status, "Canceled") || strings.EqualFold(st.Status, "Cancelled") {
			e.Code = "OperationCanceled"
		}
	}
	if c, ok := retryableOperationCodes[strings.ToLower(e.Code)]; ok {
		e.Class = c
	} else if re.StatusCode < 400 {
		e.Class = Permanent
	}
	return e
}

// errorBody reads the ARM shape {"error":{"code","message"}} and the
// model-management shape {"code","message","statusCode"}.
func errorBody(body []byte) (code, message string) {
	var arm struct {
		Error   *struct{ Code, Message string } `json:"error"`
		Code    string                          `json:"code"`
		Message string                          `json:"message"`
	}
	if json.Unmarshal(body, &arm) == nil {
		if arm.Error != nil {
			return arm.Error.Code, arm.Error.Message
		}
		if arm.Code != "" || arm.Message != "" {
			return arm.Code, arm.Message
		}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300]
	}
	return "", text
}

// retryAfter reads retry-after-ms, x-ms-retry-after-ms, then Retry-After
// (seconds or an HTTP date), as azcore does.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v, err := strconv.Atoi(h.Get(name)); err == nil && v > 0 {
			return time.Duration(v) * time.Millisecond
		}
	}
	v := h.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
