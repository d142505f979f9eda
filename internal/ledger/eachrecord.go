package ledger

import (
	"context"
	"fmt"
	"sync"

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
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(recordReaders, len(opKeys)) {
		wg.Go(func() {
			for i := range next {
				rec, err := l.ReadRecord(ctx, id, opKeys[i])
				if err != nil {
					cancel(fmt.Errorf("record %s of %s: %w", opKeys[i], id, err))
					continue
				}
				recs[i] = rec
			}
		})
	}
feed:
	for i := range opKeys {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return recs, context.Cause(ctx)
}
