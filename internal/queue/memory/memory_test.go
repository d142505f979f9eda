package memory_test

import (
	"testing"
	"time"

	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/queue/queuetest"
)

func TestConformance(t *testing.T) {
	const lock = 400 * time.Millisecond
	queuetest.Run(t, queuetest.Harness{
		Open: func(t *testing.T) (queue.Sender, queue.Receiver, queue.Receiver) {
			q := memory.New(memory.Options{LockDuration: lock, MaxDeliveryCount: 10})
			return q, q.Receiver(), q.DeadLetterReceiver()
		},
		LockDuration:     lock,
		MaxDeliveryCount: 10,
	})
}
