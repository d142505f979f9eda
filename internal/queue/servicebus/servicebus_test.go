package servicebus_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
	"amldsr/internal/queue/queuetest"
	"amldsr/internal/queue/servicebus"
	"amldsr/test/procs"
)

// start runs a stand-in for this test and returns a client of it.
func start(t *testing.T, opts procs.ServiceBusOptions) *azservicebus.Client {
	t.Helper()
	sb := procs.StartServiceBus(t, opts)
	c, err := servicebus.NewClientFromConnectionString(sb.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

var queues atomic.Int64

// queueName is unique in the test binary: the stand-in keeps its queues.
func queueName(t *testing.T) string {
	clean := regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-")
	return fmt.Sprintf("q%d-%s", queues.Add(1), strings.ToLower(clean))
}

// open binds a sender, a receiver and a dead-letter receiver to a new queue.
func open(t *testing.T, c *azservicebus.Client) (*servicebus.Sender, *servicebus.Receiver, *servicebus.Receiver) {
	t.Helper()
	s, r, dlq, _ := openNamed(t, c)
	return s, r, dlq
}

// openNamed is open that also returns the queue's name.
func openNamed(t *testing.T, c *azservicebus.Client) (s *servicebus.Sender, r, dlq *servicebus.Receiver, name string) {
	t.Helper()
	name = queueName(t)
	s, err := servicebus.NewSender(c, name)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = servicebus.NewReceiver(c, name); err != nil {
		t.Fatal(err)
	}
	if dlq, err = servicebus.NewDeadLetterReceiver(c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Close(ctx)
		r.Close(ctx)
		dlq.Close(ctx)
	})
	return s, r, dlq, name
}

func TestConformance(t *testing.T) {
	const lock = 2 * time.Second
	c := start(t, procs.ServiceBusOptions{LockDuration: lock, MaxDeliveryCount: 10})
	queuetest.Run(t, queuetest.Harness{
		Open: func(t *testing.T) (queue.Sender, queue.Receiver, queue.Receiver) {
			return open(t, c)
		},
		LockDuration:     lock,
		MaxDeliveryCount: 10,
	})
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func msg(id string) queue.Message {
	return queue.Message{ID: id, Body: []byte(`{"id":"` + id + `"}`), ContentType: "application/json",
		Properties: map[string]string{"requestId": "r-" + id}}
}
