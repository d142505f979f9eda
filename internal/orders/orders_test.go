package orders_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/orders"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store/dir"
	"amldsr/internal/worker"
)

const target = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-dsr"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSlot(t *testing.T) {
	start := at("2026-11-30T02:00:30Z")
	for _, c := range []struct {
		every, now string
		want       string // empty: none
	}{
		{"24h", "2026-11-30T02:00:29Z", ""},
		{"24h", "2026-11-30T02:00:30Z", "2026-11-30T02:00:30Z"},
		{"24h", "2026-12-01T02:00:29Z", "2026-11-30T02:00:30Z"},
		{"24h", "2026-12-01T02:00:30Z", "2026-12-01T02:00:30Z"},
		{"24h", "2027-01-15T23:59:00Z", "2027-01-15T02:00:30Z"},
		{"1m", "2026-11-30T02:03:00Z", "2026-11-30T02:02:30Z"},
		{"90m", "2026-11-30T05:00:31Z", "2026-11-30T05:00:30Z"},
		{"59s", "2026-11-30T03:00:00Z", ""}, // below the minimum
		{"bogus", "2026-11-30T03:00:00Z", ""},
	} {
		got, ok := orders.Slot(orders.Schedule{Every: c.every, Start: start}, at(c.now))
		if c.want == "" {
			if ok {
				t.Errorf("every %s at %s: slot %v, want none", c.every, c.now, got)
			}
			continue
		}
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("every %s at %s: slot %v (%v), want %s", c.every, c.now, got, ok, c.want)
		}
	}
}

func TestRunID(t *testing.T) {
	if got := orders.RunID("alice-erasure", at("2026-11-30T02:00:30Z")); got != "order-alice-erasure-20261130T0200Z" || !dsr.ValidRequestID(got) {
		t.Fatal(got)
	}
	long := strings.Repeat("a", 32)
	if !dsr.ValidRequestID(orders.RunID(long, time.Now())) {
		t.Fatal("the longest name makes an invalid request id")
	}
}

func TestDue(t *testing.T) {
	o := orders.Order{Schedule: orders.Schedule{Every: "1h", Start: at("2026-11-30T00:00:00Z")}}
	if slot, ok := o.Due(at("2026-11-30T01:30:00Z")); !ok || !slot.Equal(at("2026-11-30T01:00:00Z")) {
		t.Fatalf("due %v %v", slot, ok)
	}
	o.LastRun = &orders.Run{At: at("2026-11-30T01:00:00Z")}
	if _, ok := o.Due(at("2026-11-30T01:59:59Z")); ok {
		t.Fatal("due again within the slot that ran")
	}
	if slot, ok := o.Due(at("2026-11-30T02:00:00Z")); !ok || !slot.Equal(at("2026-11-30T02:00:00Z")) {
		t.Fatalf("next slot: %v %v", slot, ok)
	}
}

func TestDecode(t *testing.T) {
	now := at("2026-11-30T10:00:00Z")
	req := `{"operation":"delete","targets":["` + target + `"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},"match":"subject"}`
	on := dsr.CallbackPolicy{Hosts: []string{"hooks.example.com"}, HasSecret: true}
	for _, c := range []struct {
		name, body string
		field      string // empty: valid
	}{
		{"valid", `{"request":` + req + `,"schedule":{"every":"24h"}}`, ""},
		{"valid with start", `{"request":` + req + `,"schedule":{"every":"1m","start":"2026-12-01T02:00:00Z"}}`, ""},
		{"unknown field", `{"request":` + req + `,"schedule":{"every":"24h"},"x":1}`, ""},
		{"unknown schedule field", `{"request":` + req + `,"schedule":{"every":"24h","cron":"x"}}`, ""},
		{"no request", `{"schedule":{"every":"24h"}}`, "request"},
		{"request id", `{"request":{"requestId":"r1","operation":"export","targets":["` + target + `"]},"schedule":{"every":"24h"}}`, "request.requestId"},
		{"invalid request", `{"request":{"operation":"purge","targets":["` + target + `"]},"schedule":{"every":"24h"}}`, "request.operation"},
		{"unknown request field", `{"request":{"operation":"export","targets":["` + target + `"],"force":true},"schedule":{"every":"24h"}}`, "request.force"},
		{"callback host", `{"request":{"operation":"export","targets":["` + target + `"],"callback":"https://evil.net/h"},"schedule":{"every":"24h"}}`, "request.callback"},
		{"no schedule", `{"request":` + req + `}`, "schedule"},
		{"no every", `{"request":` + req + `,"schedule":{}}`, "schedule.every"},
		{"bad every", `{"request":` + req + `,"schedule":{"every":"daily"}}`, "schedule.every"},
		{"short every", `{"request":` + req + `,"schedule":{"every":"30s"}}`, "schedule.every"},
		{"bad start", `{"request":` + req + `,"schedule":{"every":"1h","start":"tomorrow"}}`, "schedule.start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := orders.Decode(strings.NewReader(c.body), "n1", on, now)
			var verr dsr.ValidationError
			switch {
			case c.name == "valid" || c.name == "valid with start":
				if err != nil {
					t.Fatal(err)
				}
				if o.Name != "n1" || o.Request.Operation != dsr.Delete || o.Request.Match != dsr.MatchSubject {
					t.Fatalf("order %+v", o)
				}
				if c.name == "valid" && !o.Schedule.Start.Equal(now) {
					t.Errorf("start %v, want now", o.Schedule.Start)
				}
			case err == nil:
				t.Fatal("accepted")
			case c.field != "":
				if !asValidation(err, &verr) || verr[0].Field != c.field {
					t.Fatalf("got %v, want an error on %s", err, c.field)
				}
			}
		})
	}
}

func asValidation(err error, v *dsr.ValidationError) bool {
	ve, ok := err.(dsr.ValidationError)
	*v = ve
	return ok && len(ve) > 0
}

func TestBodyLeavesRequestIDOut(t *testing.T) {
	b, _ := json.Marshal(orders.Body(dsr.Request{Operation: dsr.Export, Targets: []string{target}, Match: dsr.MatchAll}))
	if strings.Contains(string(b), "requestId") {
		t.Fatal(string(b))
	}
}

func TestRunDueSubmitsEachSlotOnce(t *testing.T) {
	ctx := context.Background()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	q := memory.New(memory.Options{})
	l := ledger.New(st, "dsr")
	now := at("2026-11-30T10:00:00Z")
	r := &orders.Runner{Store: st, Book: worker.Book{Ledger: l, Queue: q}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now }}
	o := orders.Order{Name: "nightly", Request: orders.Body{Operation: dsr.Export, Targets: []string{target}, Match: dsr.MatchAll},
		Schedule: orders.Schedule{Every: "24h", Start: at("2026-11-29T02:00:00Z")}, CreatedAt: now, UpdatedAt: now}
	if err := orders.Put(ctx, st, o); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		now  string
		runs int
		id   string
	}{
		{"2026-11-30T10:00:00Z", 1, "order-nightly-20261130T0200Z"},
		{"2026-11-30T10:05:00Z", 0, "order-nightly-20261130T0200Z"},
		{"2026-12-01T02:00:00Z", 1, "order-nightly-20261201T0200Z"},
	} {
		now = at(c.now)
		n, err := r.RunDue(ctx)
		if err != nil || n != c.runs {
			t.Fatalf("sweep %d: %d runs, %v; want %d", i, n, err, c.runs)
		}
		got, err := orders.Get(ctx, st, "nightly")
		if err != nil || got.LastRun == nil || got.LastRun.RequestID != c.id {
			t.Fatalf("sweep %d: lastRun %+v %v, want %s", i, got.LastRun, err, c.id)
		}
		ar, err := l.Request(ctx, c.id)
		if err != nil || ar.Operation != dsr.Export || ar.By != "order:nightly" {
			t.Fatalf("sweep %d: request %s: %+v %v", i, c.id, ar, err)
		}
	}
	if active, dead := q.Len(); active != 2 || dead != 0 {
		t.Errorf("queue holds %d messages (%d dead), want one root step per run", active, dead)
	}
	// A sweep that died before writing lastRun runs the slot again: a replay, no second fan-out.
	o2, _ := orders.Get(ctx, st, "nightly")
	o2.LastRun = nil
	orders.Put(ctx, st, *o2)
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if active, _ := q.Len(); active != 2 {
		t.Errorf("a replayed run fanned out again: %d messages", active)
	}
}
