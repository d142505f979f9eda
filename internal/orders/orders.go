// Package orders keeps standing orders: a request body and a schedule,
// in orders/{name}.json, that the timer runs as ordinary requests. Each
// run's request id is order-{name}-{YYYYMMDDTHHMMZ}, from the slot it
// runs (start + k*every, UTC), so a run is idempotent and has its own
// bundle.
package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// Prefix holds the orders.
const Prefix = "orders/"

// MinEvery is the shortest schedule.
const MinEvery = time.Minute

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidName reports whether name may name an order.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Blob is the name of order name's blob.
func Blob(name string) string { return Prefix + name + ".json" }

// Body is a request body without requestId (each run gets its own).
type Body dsr.Request

// MarshalJSON leaves requestId out.
func (b Body) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal(dsr.Request(b))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "requestId")
	return json.Marshal(m)
}

// Schedule says when an order runs: at Start and every Every after it.
type Schedule struct {
	Every string    `json:"every"`
	Start time.Time `json:"start"`
}

// Run names an order's latest run: its slot and its request.
type Run struct {
	At        time.Time `json:"at"`
	RequestID string    `json:"requestId"`
}

// Order is orders/{name}.json and the API's order document.
type Order struct {
	Name      string    `json:"name"`
	Request   Body      `json:"request"`
	Schedule  Schedule  `json:"schedule"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	LastRun   *Run      `json:"lastRun,omitempty"`
}

// Slot is the latest start + k*every (k >= 0) not after now; ok is false
// before the first.
func Slot(s Schedule, now time.Time) (slot time.Time, ok bool) {
	every, err := time.ParseDuration(s.Every)
	if err != nil || every < MinEvery || now.Before(s.Start) {
		return time.Time{}, false
	}
	k := now.Sub(s.Start) / every
	return s.Start.Add(k * every).UTC(), true
}

// RunID is the request id of the run of order name at slot.
func RunID(name string, slot time.Time) string {
	return "order-" + name + "-" + slot.UTC().Format("20060102T1504Z")
}

// Due is the slot the order should run now, if any: the current slot
// when it is later than the last run's.
func (o *Order) Due(now time.Time) (time.Time, bool) {
	slot, ok := Slot(o.Schedule, now)
	if !ok || (o.LastRun != nil && !slot.After(o.LastRun.At)) {
		return time.Time{}, false
	}
	return slot, true
}

// Redacted is the order as the API shows it: the callback without its
// query, which may be a credential.
func (o Order) Redacted() Order {
	if o.Request.Callback != "" {
		o.Request.Callback = dsr.WithoutQuery(o.Request.Callback)
	}
	return o
}

// input is the body of PUT /api/dsr/orders/{name}.
type input struct {
	Request  json.RawMessage `json:"request"`
	Schedule *struct {
		Every string  `json:"every"`
		Start *string `json:"start"`
	} `json:"schedule"`
}

// Decode reads an order body: unknown fields rejected, the request
// validated exactly as a submitted one (dsr.Decode, then its callback
// against p), without requestId; the schedule's every a Go duration of at
// least a minute, its start RFC 3339 (default: now). Field errors are a
// dsr.ValidationError.
func Decode(r io.Reader, name string, p dsr.CallbackPolicy, now time.Time) (Order, error) {
	var in input
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.HasPrefix(err.Error(), "json: unknown field") {
			return Order{}, dsr.ValidationError{{Field: "", Message: "not an order: " + err.Error()}}
		}
		return Order{}, err
	}
	if dec.More() {
		return Order{}, dsr.ValidationError{{Field: "", Message: "the body holds more than one JSON value"}}
	}
	var errs dsr.ValidationError
	req, rerr := decodeRequest(in.Request, p)
	errs = append(errs, rerr...)
	sched, serr := decodeSchedule(in, now)
	errs = append(errs, serr...)
	if len(errs) > 0 {
		return Order{}, errs
	}
	return Order{Name: name, Request: Body(req), Schedule: sched}, nil
}

func decodeRequest(raw json.RawMessage, p dsr.CallbackPolicy) (dsr.Request, dsr.ValidationError) {
	if len(raw) == 0 || string(raw) == "null" {
		return dsr.Request{}, dsr.ValidationError{{Field: "request", Message: "is required: a request body as for POST /api/dsr/requests"}}
	}
	req, err := dsr.Decode(bytes.NewReader(raw))
	var invalid dsr.ValidationError
	switch {
	case errors.As(err, &invalid):
		return dsr.Request{}, prefixed(invalid)
	case err != nil:
		return dsr.Request{}, dsr.ValidationError{{Field: "request", Message: err.Error()}}
	case req.RequestID != "":
		return dsr.Request{}, dsr.ValidationError{{Field: "request.requestId", Message: "is set per run (order-{name}-{YYYYMMDDTHHMMZ}); leave it out"}}
	}
	if errs := req.CheckCallback(p); errs != nil {
		return dsr.Request{}, prefixed(errs)
	}
	return req, nil
}

func prefixed(errs dsr.ValidationError) dsr.ValidationError {
	out := make(dsr.ValidationError, len(errs))
	for i, e := range errs {
		out[i] = dsr.FieldError{Field: strings.TrimSuffix("request."+e.Field, "."), Message: e.Message}
	}
	return out
}

func decodeSchedule(in input, now time.Time) (Schedule, dsr.ValidationError) {
	if in.Schedule == nil {
		return Schedule{}, dsr.ValidationError{{Field: "schedule", Message: `is required: {"every": "<Go duration>", "start": "<RFC 3339>"}`}}
	}
	var errs dsr.ValidationError
	every, err := time.ParseDuration(in.Schedule.Every)
	switch {
	case in.Schedule.Every == "":
		errs = append(errs, dsr.FieldError{Field: "schedule.every", Message: "is required: a Go duration such as 24h"})
	case err != nil:
		errs = append(errs, dsr.FieldError{Field: "schedule.every", Message: "must be a Go duration such as 24h or 90m"})
	case every < MinEvery:
		errs = append(errs, dsr.FieldError{Field: "schedule.every", Message: "must be at least 1m"})
	}
	s := Schedule{Every: in.Schedule.Every, Start: now.UTC().Truncate(time.Second)}
	if in.Schedule.Start != nil {
		t, err := time.Parse(time.RFC3339, *in.Schedule.Start)
		if err != nil {
			errs = append(errs, dsr.FieldError{Field: "schedule.start", Message: "must be an RFC 3339 time such as 2026-01-31T02:00:00Z"})
		}
		s.Start = t.UTC()
	}
	return s, errs
}

// Get reads order name; store.ErrNotFound when there is none.
func Get(ctx context.Context, st store.Store, name string) (*Order, error) {
	b, err := store.ReadAll(ctx, st, Blob(name))
	if err != nil {
		return nil, err
	}
	var o Order
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("order %s: %w", name, err)
	}
	return &o, nil
}

// Put writes o.
func Put(ctx context.Context, st store.Store, o Order) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	return st.Put(ctx, Blob(o.Name), bytes.NewReader(b), store.PutOptions{ContentType: "application/json"})
}

// Delete removes order name; store.ErrNotFound when there is none.
func Delete(ctx context.Context, st store.Store, name string) error {
	if _, err := Get(ctx, st, name); err != nil {
		return err
	}
	return st.Delete(ctx, Blob(name))
}

// List reads every order, by name.
func List(ctx context.Context, st store.Store) ([]Order, error) {
	out := []Order{}
	err := store.Walk(ctx, st, Prefix, func(info store.Info) error {
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, Prefix), ".json")
		if !ok || !ValidName(name) {
			return nil
		}
		o, err := Get(ctx, st, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil // removed since the listing
		}
		if err != nil {
			return err
		}
		out = append(out, *o)
		return nil
	})
	return out, err
}
