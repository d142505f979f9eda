package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeased is returned by Lease when another holder has the lease.
var ErrLeased = errors.New("store: lease held by another holder")

// Leaser is the optional lease side of the port: one holder at a time,
// across processes and instances, for work that must not run twice at
// once (the sweep). Both adapters implement it; fakes need not.
//
// Lease takes the exclusive lease on key (the blob is created empty when
// absent, and is used for nothing else) or returns ErrLeased at once when
// another holder has it. The lease lasts until release is called or ctx
// ends; d bounds how long it outlives a holder that died without
// releasing (the blob adapter clamps it to the service's 15 to 60 seconds
// and renews it while held; the dir adapter's lock dies with its process).
// release is idempotent.
type Leaser interface {
	Lease(ctx context.Context, key string, d time.Duration) (release func(), err error)
}
