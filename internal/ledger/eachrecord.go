package ledger

import (
	"context"
	"fmt"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
)

// A report reads every record of its request: recordReaders at a time,
// since on Blob Storage each read is a round trip (100,000 of them one
// after another take half an hour), and recordBatch keys listed ahead, so
// memory stays bounded whatever the request's size.
const (
	recordReaders = 8
	recordBatch   = 256
)

// eachRecord gives fn every record of id, in the order of their keys,
// except those that listed takes from their listing: it is called first
// with each listed record's blob, and a record it returns true for is not
// read. listed may be nil.
func (l *Ledger) eachRecord(ctx context.Context, id string, listed func(store.Info) bool, fn func(*dsr.Record)) error {
	keys := make([]string, 0, recordBatch)
	flush := func() error {
		recs, err := l.readRecords(ctx, id, keys)
		if err != nil {
			return err
		}
		for _, r := range recs {
			fn(r)
		}
		keys = keys[:0]
		return nil
	}
	err := store.Walk(ctx, l.store, dsr.ResultsPrefix(id), func(info store.Info) error {
		if listed != nil && listed(info) {
			return nil
		}
		if keys = append(keys, opKeyOf(info.Key)); len(keys) == recordBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// readRecords reads the records of opKeys, recordReaders at a time; the
// first error stops it.
func (l *Ledger) readRecords(ctx context.Context, id string, opKeys []string) ([]*dsr.Record, error) {
	recs := make([]*dsr.Record, len(opKeys))
	err := store.Each(ctx, len(opKeys), recordReaders, func(ctx context.Context, i int) error {
		rec, err := l.ReadRecord(ctx, id, opKeys[i])
		if err != nil {
			return fmt.Errorf("record %s of %s: %w", opKeys[i], id, err)
		}
		recs[i] = rec
		return nil
	})
	return recs, err
}
