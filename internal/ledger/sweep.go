package ledger

import (
	"context"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// PendingList lists the marker blobs of requestID: names, sizes and the
// store's modification times, without reading them (the sweep reads only
// the markers old enough to matter; see ReadMarker).
func (l *Ledger) PendingList(ctx context.Context, requestID string) ([]store.Info, error) {
	var out []store.Info
	err := store.Walk(ctx, l.store, dsr.PendingPrefix(requestID), func(info store.Info) error {
		out = append(out, info)
		return nil
	})
	return out, err
}

// ReadMarker reads the marker a PendingList item names; store.ErrNotFound
// when its operation finished since the listing.
func (l *Ledger) ReadMarker(ctx context.Context, info store.Info) (*Marker, error) {
	var m Marker
	if err := getJSON(ctx, l.store, info.Key, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
