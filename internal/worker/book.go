package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"amldsr/internal/azureapi"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/store"
)

// Book is the one owner of the rules that keep work from being lost.
// Submit, the worker and the sweep start, continue and finish operations
// only through it:
//
//   - an operation exists while it has a pending marker, the durable copy
//     of its current queue message; the marker is written before the
//     message is sent, and only the message the marker holds may run;
//   - a step that starts other operations writes their markers before its
//     own record, and removes its own marker last;
//   - a record is written once (create-only), under the op key and with
//     the operation that the step derives (Step.Key, Step.Operation).
type Book struct {
	Ledger *ledger.Ledger
	Queue  queue.Sender
}

// Start begins new operations: their markers, then their messages; at is
// when they are due (zero: now). An operation that is already under way
// with another message (a later phase of a delete, a reschedule) is left
// alone; one whose marker holds this very message (a retry of the step
// that started it) gets it again, which is harmless.
func (b Book) Start(ctx context.Context, at time.Time, steps ...Step) error {
	if len(steps) == 0 {
		return nil
	}
	var msgs []queue.Message
	for _, s := range steps {
		msg, m := envelope(s, at)
		cur, err := b.Ledger.PendNew(ctx, s.RequestID, m)
		if err != nil {
			return err
		}
		if cur == nil || cur.MessageID == msg.ID {
			msgs = append(msgs, msg)
		}
	}
	return b.Queue.Send(ctx, msgs...)
}

// Continue replaces an operation's current message with next (a later
// phase, a wait, a reschedule): the marker is rewritten first, so the
// message being handled becomes stale and can no longer run.
func (b Book) Continue(ctx context.Context, at time.Time, next Step) error {
	msg, m := envelope(next, at)
	if err := b.Ledger.Pend(ctx, next.RequestID, m); err != nil {
		return err
	}
	return b.Queue.Send(ctx, msg)
}

// Resend sends an operation's current message again, as its marker holds
// it (the sweep's re-drives of a lost or dead-lettered message, the
// worker's outage re-drive). The body is the marker's, so the step stays
// its operation's current message (Current compares the step, not the
// transport's id); the AMQP message id is new (RedriveID), so that a queue
// with duplicate detection on does not drop the re-drive as a copy of the
// first send.
func (b Book) Resend(ctx context.Context, requestID string, m ledger.Marker) error {
	if err := b.Ledger.Pend(ctx, requestID, m); err != nil {
		return err
	}
	return b.Queue.Send(ctx, queue.Message{ID: RedriveID(m.MessageID, time.Now()), Body: m.Body, ContentType: "application/json",
		Properties: m.Properties, ScheduledAt: m.NotBefore})
}

// RedriveID is the message id of a re-drive of the message id at time
// at: "<id>.r<UTC time to the nanosecond>", distinct for every re-drive and
// well under Service Bus's 128 characters.
func RedriveID(id string, at time.Time) string {
	return id + ".r" + at.UTC().Format("20060102T150405.000000000Z")
}

// Finish ends the operation of s: the operations it starts (children),
// then its record, then its marker. A record that exists already stands.
func (b Book) Finish(ctx context.Context, s Step, rec dsr.Record, children ...Step) error {
	if err := b.Start(ctx, time.Time{}, children...); err != nil {
		return err
	}
	if err := b.Note(ctx, s, rec); err != nil {
		return err
	}
	return b.Ledger.Done(ctx, s.RequestID, s.Op)
}

// Note writes the record of an operation that has no step of its own
// (an item recorded while its list is read, a barrier's round): s is the
// step the operation would have had, and gives its key and operation.
// Every record goes through Note, which strips SAS signatures from its
// error text.
func (b Book) Note(ctx context.Context, s Step, rec dsr.Record) error {
	rec.RequestID = s.RequestID
	rec.Operation = s.Operation()
	if rec.Error != nil { // every record's text, whoever wrote it
		e := *rec.Error
		e.Message = azureapi.StripSAS(e.Message)
		rec.Error = &e
	}
	if rec.Kind == "" || rec.Resource == "" {
		rec.Kind, rec.Resource = s.Resource()
	}
	op := s.Op
	if op == "" {
		op = s.Key()
	}
	_, err := b.Ledger.Record(ctx, op, rec)
	return err
}

// Reject records a message that must never run (poison: it does not fit
// its request, or cannot be read) under a key of its own, so that it can
// never take the place of the record of the operation it names.
func (b Book) Reject(ctx context.Context, s Step, body []byte, rec dsr.Record) error {
	h := sha256.Sum256(body)
	s.Op = "rejected." + hex.EncodeToString(h[:12])
	return b.Note(ctx, s, rec)
}

// Current reports whether s is the current message of its operation, the
// one its marker holds (ids compare the decoded step, so a marker's
// re-indented copy of a body is the same message). The marker is returned
// when there is one.
func (b Book) Current(ctx context.Context, s Step) (bool, *ledger.Marker, error) {
	m, err := b.Ledger.Marker(ctx, s.RequestID, s.Op)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	return m.MessageID == s.MessageID(), m, nil
}

// envelope is the queue message of s and the marker that holds it.
func envelope(s Step, at time.Time) (queue.Message, ledger.Marker) {
	s.V = Version
	msg := s.Message()
	msg.ScheduledAt = at
	return msg, ledger.Marker{OpKey: s.Op, MessageID: msg.ID, Body: msg.Body, Properties: msg.Properties, NotBefore: at}
}
