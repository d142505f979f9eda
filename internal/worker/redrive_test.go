package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/servicebus"
	"amldsr/internal/store/dir"
	"amldsr/test/procs"
)

// A re-drive must reach a queue even when the queue has duplicate
// detection on: the step's first message is dead-lettered, the sweep
// re-drives it (Book.Resend) inside the detection window, and the re-driven
// message arrives, under a new AMQP message id, and is still the step's
// current message (Book.Current).
func TestRedriveSurvivesDuplicateDetection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Service Bus stand-in")
	}
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{DuplicateDetection: 10 * time.Minute})
	client, err := servicebus.NewClientFromConnectionString(bus.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	sender, err := servicebus.NewSender(client, "redrive")
	if err != nil {
		t.Fatal(err)
	}
	receiver, err := servicebus.NewReceiver(client, "redrive")
	if err != nil {
		t.Fatal(err)
	}
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	book := Book{Ledger: l, Queue: sender}
	step := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Op: "export.ws",
		Path: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w", Loc: "eastus"}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := book.Start(ctx, time.Time{}, step); err != nil {
		t.Fatal(err)
	}
	first := receiveOne(t, ctx, receiver)
	if err := receiver.DeadLetter(ctx, first, "MaxDeliveryCountExceeded", "test"); err != nil {
		t.Fatal(err)
	}
	m, err := l.Marker(ctx, "r1", "export.ws")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // two re-drives: each must arrive
		if err := book.Resend(ctx, "r1", *m); err != nil {
			t.Fatal(err)
		}
		again := receiveOne(t, ctx, receiver)
		if again.ID == first.ID || !strings.HasPrefix(again.ID, first.ID+".r") {
			t.Errorf("re-drive %d has message id %q; want a new one after %q", i+1, again.ID, first.ID)
		}
		s, err := Decode(again.Body)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := book.Current(ctx, *s); !ok || err != nil {
			t.Errorf("re-drive %d is not the step's current message: %v %v", i+1, ok, err)
		}
		receiver.Complete(ctx, again)
	}
}

func receiveOne(t *testing.T, ctx context.Context, r *servicebus.Receiver) *queue.Delivery {
	t.Helper()
	ds, err := r.Receive(ctx, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("receive: %d messages, %v (a re-drive dropped by duplicate detection never arrives)", len(ds), err)
	}
	return ds[0]
}
