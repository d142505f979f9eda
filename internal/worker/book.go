package worker

import (
	"context"
	"time"

	"amldsr/internal/ledger"
	"amldsr/internal/queue"
)

// Book is the one owner of the rules that keep work from being lost.
// Submit, the worker and the sweep start, continue and finish operations
// only through it:
//
//   - an operation exists while it has a pending marker, a durable copy
//     of its current queue message; the marker is written before the
//     message is sent;
//   - a step that starts other operations writes their markers before its
//     own record, and removes its own marker last;
//   - an operation's record is written once (create-only), and its
//     operation is derived from the step (Step.Operation), never by hand.
type Book struct {
	Ledger *ledger.Ledger
	Queue  queue.Sender
}

// Start begins new operations: their markers, then their messages; at is
// when they are due (zero: now).
func (b Book) Start(ctx context.Context, at time.Time, steps ...Step) error {
	return Spawn(ctx, b.Ledger, b.Queue, at, steps...)
}
