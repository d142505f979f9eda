package servicebus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/internal/queue"
)

// fakeBatch is full when its messages' ids and bodies (plus 16 bytes
// each) exceed max bytes, like the SDK's batch with its byte budget.
type fakeBatch struct {
	max, size int
	msgs      []*azservicebus.Message
}

func (b *fakeBatch) AddMessage(m *azservicebus.Message, _ *azservicebus.AddMessageOptions) error {
	n := len(*m.MessageID) + len(m.Body) + 16
	if b.size+n > b.max {
		return azservicebus.ErrMessageTooLarge
	}
	b.size += n
	b.msgs = append(b.msgs, m)
	return nil
}

func (b *fakeBatch) NumMessages() int32 { return int32(len(b.msgs)) }

type fakeBatcher struct {
	max     int
	sent    []*fakeBatch
	sendErr error
}

func (f *fakeBatcher) newBatch(context.Context) (batch, error) { return &fakeBatch{max: f.max}, nil }

func (f *fakeBatcher) send(_ context.Context, b batch) error {
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, b.(*fakeBatch))
	return nil
}

func (f *fakeBatcher) ids() []string {
	var ids []string
	for _, b := range f.sent {
		for _, m := range b.msgs {
			ids = append(ids, *m.MessageID)
		}
	}
	return ids
}

func many(n int) []queue.Message {
	msgs := make([]queue.Message, n)
	for i := range msgs {
		msgs[i] = queue.Message{ID: fmt.Sprintf("m%06d", i), Body: []byte(`{"step":1}`)}
	}
	return msgs
}

func TestSendSplitsIntoBatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		max   int
		fewer int // at most this many batches
	}{
		{"one", 1, 1024, 1},
		{"exactly one batch", 30, 30 * 33, 1},
		{"one more than a batch", 31, 30 * 33, 2},
		{"hundred thousand", 100_000, 256 * 1024, 100_000*33/(256*1024) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeBatcher{max: tc.max}
			msgs := many(tc.n)
			if err := (&Sender{b: f}).Send(context.Background(), msgs...); err != nil {
				t.Fatal(err)
			}
			ids := f.ids()
			if len(ids) != tc.n || len(f.sent) > tc.fewer {
				t.Fatalf("%d messages in %d batches, want %d in at most %d", len(ids), len(f.sent), tc.n, tc.fewer)
			}
			for i, id := range ids {
				if id != msgs[i].ID {
					t.Fatalf("message %d is %s, want %s (order)", i, id, msgs[i].ID)
				}
			}
		})
	}
}

func TestSendTooLargeSendsNothing(t *testing.T) {
	f := &fakeBatcher{max: 1000}
	msgs := append(many(100), queue.Message{ID: "huge", Body: make([]byte, 1000)})
	err := (&Sender{b: f}).Send(context.Background(), append(msgs, many(3)...)...)
	var tooLarge *MessageTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.ID != "huge" || tooLarge.BodyBytes != 1000 ||
		!errors.Is(err, azservicebus.ErrMessageTooLarge) || !strings.Contains(err.Error(), `"huge"`) {
		t.Fatalf("err %v, want a MessageTooLargeError naming huge", err)
	}
	if len(f.sent) != 0 {
		t.Fatalf("%d batches sent", len(f.sent))
	}
}

func TestSendErrorNamesTheBatch(t *testing.T) {
	boom := errors.New("link detached")
	f := &fakeBatcher{max: 1 << 20, sendErr: boom}
	err := (&Sender{b: f}).Send(context.Background(), many(2)...)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "batch 1 of 1") {
		t.Fatalf("err %v", err)
	}
}

func TestSendSchedules(t *testing.T) {
	now := time.Now()
	at1, at2 := now.Add(time.Minute), now.Add(2*time.Minute)
	msgs := []queue.Message{
		{ID: "a", ScheduledAt: at1}, {ID: "b"}, {ID: "c", ScheduledAt: at2},
		{ID: "d", ScheduledAt: at1}, {ID: "past", ScheduledAt: now.Add(-time.Minute)},
	}
	f := &fakeBatcher{max: 1 << 20}
	if err := (&Sender{b: f}).Send(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ids string
		at  time.Time
	}{{"a d", at1}, {"b past", time.Time{}}, {"c", at2}}
	if len(f.sent) != len(want) {
		t.Fatalf("%d batches, want %d", len(f.sent), len(want))
	}
	for i, w := range want {
		var ids []string
		for _, m := range f.sent[i].msgs {
			ids = append(ids, *m.MessageID)
			if got := val(m.ScheduledEnqueueTime); !got.Equal(w.at) {
				t.Errorf("%s scheduled %v, want %v", *m.MessageID, got, w.at)
			}
		}
		if strings.Join(ids, " ") != w.ids {
			t.Errorf("batch %d holds %v, want %s", i, ids, w.ids)
		}
	}
}

func TestToSDK(t *testing.T) {
	m := toSDK(queue.Message{ID: "x", Body: []byte("b"), ContentType: "application/json",
		Properties: map[string]string{"requestId": "r1", "kind": "export"}}, time.Now())
	if *m.MessageID != "x" || string(m.Body) != "b" || *m.ContentType != "application/json" ||
		m.ApplicationProperties["requestId"] != "r1" || m.ApplicationProperties["kind"] != "export" || m.ScheduledEnqueueTime != nil {
		t.Fatalf("%+v", m)
	}
	if m := toSDK(queue.Message{ID: "y"}, time.Now()); m.ContentType != nil || m.ApplicationProperties != nil {
		t.Fatalf("empty fields set: %+v", m)
	}
}
