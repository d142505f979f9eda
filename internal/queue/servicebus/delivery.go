package servicebus

import (
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
)

// Application properties Service Bus sets on dead-lettered messages; they
// surface as Delivery.DeadLetterReason and DeadLetterDescription instead of
// in Properties.
const (
	propDeadLetterReason      = "DeadLetterReason"
	propDeadLetterDescription = "DeadLetterErrorDescription"
)

func toDeliveries(msgs []*azservicebus.ReceivedMessage) []*queue.Delivery {
	out := make([]*queue.Delivery, len(msgs))
	for i, m := range msgs {
		out[i] = toDelivery(m)
	}
	return out
}

// toDelivery converts a received message; the delivery keeps it as Handle.
func toDelivery(m *azservicebus.ReceivedMessage) *queue.Delivery {
	return &queue.Delivery{
		Message: queue.Message{
			ID:          m.MessageID,
			Body:        m.Body,
			ContentType: val(m.ContentType),
			Properties:  stringProps(m.ApplicationProperties),
			ScheduledAt: val(m.ScheduledEnqueueTime),
		},
		DeliveryCount:         int(m.DeliveryCount),
		EnqueuedAt:            val(m.EnqueuedTime),
		LockedUntil:           val(m.LockedUntil),
		DeadLetterReason:      val(m.DeadLetterReason),
		DeadLetterDescription: val(m.DeadLetterErrorDescription),
		Handle:                m,
	}
}

// stringProps converts application properties to strings (times as
// RFC 3339), leaving out the dead-letter ones.
func stringProps(props map[string]any) map[string]string {
	var out map[string]string
	for k, v := range props {
		if k == propDeadLetterReason || k == propDeadLetterDescription {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(props))
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case time.Time:
			out[k] = v.Format(time.RFC3339Nano)
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
