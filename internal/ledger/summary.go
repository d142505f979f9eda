package ledger

import (
	"context"

	"amldsr/internal/dsr"
)

// Summary reads a terminal request's summary.json; store.ErrNotFound
// when there is none (the request runs, or its summary was withdrawn).
func (l *Ledger) Summary(ctx context.Context, id string) (*dsr.Status, error) {
	var st dsr.Status
	if err := getJSON(ctx, l.store, dsr.SummaryBlob(id), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// terminal calls OnTerminal for a request that has a callback.
func (l *Ledger) terminal(ctx context.Context, id string) error {
	if l.OnTerminal == nil {
		return nil
	}
	ar, err := l.Request(ctx, id)
	if err != nil || ar.Callback == "" {
		return err
	}
	return l.OnTerminal(ctx, id)
}
