package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// response is an answer computed under the server lock and written after it
// is released.
type response struct {
	status      int
	header      http.Header
	body        []byte // nil: no body
	contentType string // defaults to JSON when body is set
}

// write sends resp to w.
func (resp *response) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.body != nil && resp.status != http.StatusNoContent {
		ct := resp.contentType
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if resp.body != nil && resp.status != http.StatusNoContent {
		_, _ = w.Write(resp.body)
	}
}

// empty returns a response with a status and no body.
func empty(status int) *response {
	return &response{status: status, header: http.Header{}}
}

// jsonResponse marshals v as the body of a response with status.
func jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(planeARM, http.StatusInternalServerError, "InternalError", err.Error())
	}
	return &response{status: status, header: http.Header{}, body: b}
}

// rawResponse returns a JSON document as stored.
func rawResponse(status int, doc json.RawMessage) *response {
	return &response{status: status, header: http.Header{}, body: []byte(doc)}
}

// armError is the ARM (and experimentation) error body.
type armError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// mmError is the model-management error body.
type mmError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Details    []any  `json:"details"`
	StatusCode int    `json:"statusCode"`
}

// errorResponse builds an error in the shape of the plane: ARM and
// experimentation {"error": {"code", "message"}}, model management
// {"code", "message", "details", "statusCode"}. It also sets x-ms-error-code.
func errorResponse(p plane, status int, code, msg string) *response {
	var resp *response
	if p == planeMM {
		resp = jsonResponse(status, mmError{Code: code, Message: msg, Details: []any{}, StatusCode: status})
	} else {
		var e armError
		e.Error.Code, e.Error.Message = code, msg
		resp = jsonResponse(status, e)
	}
	resp.header.Set("x-ms-error-code", code)
	return resp
}

// newRequestID returns a fresh random GUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// formatGUID renders 16 bytes as 8-4-4-4-12 lower-case hex.
func formatGUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func itoa(n int) string { return strconv.Itoa(n) }

// queryGet returns the first value of the query parameter whose name equals
// name case-insensitively, and whether it was present.
func queryGet(r *http.Request, name string) (string, bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// splitPath splits a path into its non-empty segments.
func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// eq reports whether a path segment equals a keyword case-insensitively.
func eq(seg, keyword string) bool { return strings.EqualFold(seg, keyword) }

// methodNotAllowed answers 405 in the plane's error shape.
func methodNotAllowed(p plane, r *http.Request) *response {
	return errorResponse(p, http.StatusMethodNotAllowed, "MethodNotAllowed",
		"the method "+r.Method+" is not allowed on "+r.URL.Path)
}

// notFound answers 404 in the plane's error shape.
func notFound(p plane, code, msg string) *response {
	return errorResponse(p, http.StatusNotFound, code, msg)
}

// badRequest answers 400 in the plane's error shape.
func badRequest(p plane, code, msg string) *response {
	return errorResponse(p, http.StatusBadRequest, code, msg)
}
