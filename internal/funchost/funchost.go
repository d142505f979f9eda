// Package funchost speaks the Azure Functions custom-handler protocol for
// non-HTTP triggers: it decodes the invocation envelope the host POSTs to
// /{FunctionName} and writes the result the host expects. It knows nothing
// of what the functions do.
//
// The host sends {"Data": {...}, "Metadata": {...}}. A string trigger value
// (a Service Bus message body) is serialized twice: "msg": "\"{\\\"v\\\":1}\"".
// Metadata scalars arrive as strings ("DeliveryCount": "1", "MessageId":
// "\"abc\""). The handler must answer with Content-Type application/json
// and a JSON object, at least {"Outputs":{},"Logs":[],"ReturnValue":null}:
// an empty 2xx body hangs the invocation until the function timeout.
package funchost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxEnvelope bounds an invocation body (a Service Bus message is at most
// 256 KB on Standard and 100 MB on Premium; ours are small).
const MaxEnvelope = 8 << 20

// Invocation is a decoded envelope.
type Invocation struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// Decode reads an envelope.
func Decode(r io.Reader) (*Invocation, error) {
	var inv Invocation
	dec := json.NewDecoder(io.LimitReader(r, MaxEnvelope))
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("funchost: the invocation is not a JSON envelope: %w", err)
	}
	if inv.Data == nil {
		return nil, errors.New("funchost: the invocation has no Data")
	}
	return &inv, nil
}

// Bytes returns the value of binding name as bytes: the text of a string
// value, unwrapped of the host's second JSON encoding when it has one; the
// decoded bytes of a base64 value (dataType "binary"); or the raw JSON of
// an object value.
func (inv *Invocation) Bytes(name string) ([]byte, error) {
	raw, ok := inv.Data[name]
	if !ok {
		return nil, fmt.Errorf("funchost: no binding %q in Data", name)
	}
	return unwrap(raw)
}

func unwrap(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return raw, nil // an object, array or number stands as it is
	}
	var s1 string
	if err := json.Unmarshal(raw, &s1); err != nil {
		return nil, fmt.Errorf("funchost: %w", err)
	}
	t := strings.TrimSpace(s1)
	if strings.HasPrefix(t, `"`) { // double-encoded: the host's serialized string
		var s2 string
		if err := json.Unmarshal([]byte(t), &s2); err == nil {
			return []byte(s2), nil
		}
	}
	if json.Valid([]byte(t)) && t != "" {
		return []byte(s1), nil // single-encoded JSON text
	}
	if b, err := base64.StdEncoding.DecodeString(t); err == nil && t != "" {
		return b, nil // dataType "binary"
	}
	return []byte(s1), nil
}

// MetaString returns a metadata value as text ("\"abc\"" and "abc" both
// give abc); empty when absent.
func (inv *Invocation) MetaString(name string) string {
	raw, ok := inv.Metadata[name]
	if !ok {
		return ""
	}
	b, err := unwrap(raw)
	if err != nil {
		return ""
	}
	return strings.Trim(string(b), `"`)
}

// MetaInt returns an integer metadata value ("1", "\"1\"" or 1).
func (inv *Invocation) MetaInt(name string) (int, bool) {
	n, err := strconv.Atoi(inv.MetaString(name))
	return n, err == nil
}

// Timer is the part of a timer trigger's value amldsr reads.
type Timer struct {
	IsPastDue      bool
	ScheduleStatus *struct {
		Last, Next, LastUpdated time.Time
	}
}

// Timer decodes a timer trigger value. ScheduleStatus is nil without
// useMonitor; its times parse leniently (with or without an offset).
func (inv *Invocation) Timer(name string) (*Timer, error) {
	b, err := inv.Bytes(name)
	if err != nil {
		return nil, err
	}
	var v struct {
		IsPastDue      bool
		ScheduleStatus *struct{ Last, Next, LastUpdated string }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("funchost: timer value: %w", err)
	}
	t := &Timer{IsPastDue: v.IsPastDue}
	if s := v.ScheduleStatus; s != nil {
		t.ScheduleStatus = &struct{ Last, Next, LastUpdated time.Time }{ParseTime(s.Last), ParseTime(s.Next), ParseTime(s.LastUpdated)}
	}
	return t, nil
}

// ParseTime reads the host's date forms: RFC 3339 with or without an
// offset or fraction; zero when it cannot.
func ParseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "01/02/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Result is the answer to an invocation.
type Result struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// Write answers an invocation: always application/json, always a full
// object. A non-2xx status fails the invocation (the host abandons a
// Service Bus message); 2xx completes it.
func Write(w http.ResponseWriter, status int, logs ...string) {
	if logs == nil {
		logs = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Result{Outputs: map[string]any{}, Logs: logs, ReturnValue: nil})
}
