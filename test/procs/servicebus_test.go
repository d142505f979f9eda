package procs_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/worker"
	"amldsr/test/procs"
)

// TestServiceBusCountsSends sends through the real SDK: a step sent once,
// a step sent twice, a step sent and then re-driven (worker.RedriveID),
// another request's step twice, and a batch; the stand-in's counts name
// exactly the steps sent more than once, per request.
func TestServiceBusCountsSends(t *testing.T) {
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{Admin: true})
	client, err := azservicebus.NewClientFromConnectionString(bus.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer client.Close(ctx)
	sender, err := client.NewSender("sends", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close(ctx)
	send := func(req, id string) {
		t.Helper()
		m := &azservicebus.Message{MessageID: &id, Body: []byte("{}"), ApplicationProperties: map[string]any{"requestId": req}}
		if err := sender.SendMessage(ctx, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	send("a", "once")
	send("a", "twice")
	send("a", "twice")
	send("a", "redriven")
	send("a", worker.RedriveID("redriven", time.Now()))
	send("b", "other")
	send("b", "other")
	batch, err := sender.NewMessageBatch(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"batched", "batched"} {
		if err := batch.AddMessage(&azservicebus.Message{MessageID: &id, Body: []byte("{}"), ApplicationProperties: map[string]any{"requestId": "c"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := sender.SendMessageBatch(ctx, batch, nil); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		requests                  []string
		ids, sends, twice, redriv int
	}{
		{[]string{"a"}, 3, 5, 2, 1},
		{[]string{"b"}, 1, 2, 1, 0},
		{[]string{"a", "b"}, 4, 7, 3, 1},
		{[]string{"c"}, 1, 2, 1, 0},
		{nil, 5, 9, 4, 1},
		{[]string{"none"}, 0, 0, 0, 0},
	} {
		got := bus.Sends(t, c.requests...)
		if got.IDs != c.ids || got.Sends != c.sends || got.SentTwice != c.twice || got.SentTwiceRedriven != c.redriv {
			t.Errorf("requests %v: ids %d, sends %d, sent twice %d (re-driven %d); want %d, %d, %d (%d)", c.requests,
				got.IDs, got.Sends, got.SentTwice, got.SentTwiceRedriven, c.ids, c.sends, c.twice, c.redriv)
		}
	}
}
