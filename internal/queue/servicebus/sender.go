package servicebus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
)

// sdkSender is the part of *azservicebus.Sender the adapter uses.
type sdkSender interface {
	NewMessageBatch(ctx context.Context, o *azservicebus.MessageBatchOptions) (*azservicebus.MessageBatch, error)
	SendMessageBatch(ctx context.Context, b *azservicebus.MessageBatch, o *azservicebus.SendMessageBatchOptions) error
	Close(ctx context.Context) error
}

// batch is the part of *azservicebus.MessageBatch the adapter uses.
type batch interface {
	AddMessage(m *azservicebus.Message, o *azservicebus.AddMessageOptions) error
	NumMessages() int32
}

// batcher makes and sends batches: the SDK's, or a fake in unit tests.
type batcher interface {
	newBatch(ctx context.Context) (batch, error)
	send(ctx context.Context, b batch) error
}

var (
	_ sdkSender = (*azservicebus.Sender)(nil)
	_ batch     = (*azservicebus.MessageBatch)(nil)
)

type sdkBatcher struct{ s sdkSender }

func (b sdkBatcher) newBatch(ctx context.Context) (batch, error) {
	mb, err := b.s.NewMessageBatch(ctx, nil)
	if err != nil {
		return nil, err
	}
	return mb, nil
}

func (b sdkBatcher) send(ctx context.Context, bt batch) error {
	mb, ok := bt.(*azservicebus.MessageBatch)
	if !ok {
		return fmt.Errorf("servicebus: batch of type %T", bt)
	}
	return b.s.SendMessageBatch(ctx, mb, nil)
}

// MessageTooLargeError is returned by Send when one message alone does not
// fit the queue's maximum message size; nothing of that Send was sent.
// errors.Is(err, azservicebus.ErrMessageTooLarge) holds for it.
type MessageTooLargeError struct {
	ID        string
	BodyBytes int
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("servicebus: message %q (%d-byte body) is larger than the queue's maximum message size; nothing was sent",
		e.ID, e.BodyBytes)
}

func (e *MessageTooLargeError) Unwrap() error { return azservicebus.ErrMessageTooLarge }

// Sender is the queue.Sender of one Service Bus queue.
type Sender struct {
	b     batcher
	close func(context.Context) error
}

var _ queue.Sender = (*Sender)(nil)

// NewSender returns a sender to the queue queueName of client.
func NewSender(client *azservicebus.Client, queueName string) (*Sender, error) {
	s, err := client.NewSender(queueName, nil)
	if err != nil {
		return nil, fmt.Errorf("servicebus: sender for %s: %w", queueName, err)
	}
	return &Sender{b: sdkBatcher{s: s}, close: s.Close}, nil
}

// Close closes the SDK sender; the client stays open.
func (s *Sender) Close(ctx context.Context) error {
	if s.close == nil {
		return nil
	}
	return s.close(ctx)
}

// Send sends msgs in as few batches as the queue's maximum message size
// allows, in order: any number of messages is fine. Messages whose
// ScheduledAt is in the future carry it as ScheduledEnqueueTime, so Service
// Bus holds them until then; they travel in batches of their own, one per
// distinct time, so that no message's schedule applies to another. All
// batches are built before the first is sent: a message too large on its
// own fails the call with *MessageTooLargeError and nothing is sent. A
// failure while sending leaves the earlier batches sent; resending is safe
// because message ids are deterministic and consumers idempotent.
func (s *Sender) Send(ctx context.Context, msgs ...queue.Message) error {
	batches, err := s.build(ctx, msgs)
	if err != nil {
		return err
	}
	for i, b := range batches {
		if err := s.b.send(ctx, b); err != nil {
			return fmt.Errorf("servicebus: send batch %d of %d (%d messages): %w", i+1, len(batches), b.NumMessages(), err)
		}
	}
	return nil
}

// build fills batches with msgs, starting a new one whenever the current
// one is full.
func (s *Sender) build(ctx context.Context, msgs []queue.Message) ([]batch, error) {
	var out []batch
	now := time.Now()
	for _, group := range groupBySchedule(msgs, now) {
		var cur batch
		for _, m := range group {
			sm := toSDK(m, now)
			err := azservicebus.ErrMessageTooLarge
			if cur != nil {
				err = cur.AddMessage(sm, nil)
			}
			if errors.Is(err, azservicebus.ErrMessageTooLarge) {
				if cur, err = s.b.newBatch(ctx); err != nil {
					return nil, fmt.Errorf("servicebus: new batch: %w", err)
				}
				out = append(out, cur)
				err = cur.AddMessage(sm, nil)
			}
			if errors.Is(err, azservicebus.ErrMessageTooLarge) {
				return nil, &MessageTooLargeError{ID: m.ID, BodyBytes: len(m.Body)}
			}
			if err != nil {
				return nil, fmt.Errorf("servicebus: add message %q to a batch: %w", m.ID, err)
			}
		}
	}
	return out, nil
}

// groupBySchedule splits msgs by ScheduledAt, keeping their order; times
// not after now count as "now".
func groupBySchedule(msgs []queue.Message, now time.Time) [][]queue.Message {
	var groups [][]queue.Message
	index := map[int64]int{}
	for _, m := range msgs {
		var key int64 // 0: now
		if m.ScheduledAt.After(now) {
			key = m.ScheduledAt.UnixNano()
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	return groups
}

// toSDK converts m; a ScheduledAt after now becomes ScheduledEnqueueTime.
func toSDK(m queue.Message, now time.Time) *azservicebus.Message {
	sm := &azservicebus.Message{MessageID: &m.ID, Body: m.Body}
	if m.ContentType != "" {
		sm.ContentType = &m.ContentType
	}
	if len(m.Properties) > 0 {
		sm.ApplicationProperties = make(map[string]any, len(m.Properties))
		for k, v := range m.Properties {
			sm.ApplicationProperties[k] = v
		}
	}
	if m.ScheduledAt.After(now) {
		at := m.ScheduledAt
		sm.ScheduledEnqueueTime = &at
	}
	return sm
}
