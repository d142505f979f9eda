package sweep

import (
	"context"
	"errors"
	"time"
)

// Orders submits the due runs of standing orders (orders.Runner).
type Orders interface {
	RunDue(ctx context.Context) (int, error)
}

// Callbacks re-drives callbacks whose messages were lost
// (callback.Deliverer).
type Callbacks interface {
	Redrive(ctx context.Context, after time.Duration) (int, error)
}

// standing runs the due standing orders and re-drives lost callback
// messages (all of them when redriveAll: the embedded queue is empty).
func (s *Sweeper) standing(ctx context.Context, redriveAll bool) error {
	var errs []error
	if s.Orders != nil {
		n, err := s.Orders.RunDue(ctx)
		if n > 0 {
			s.Log.Info("standing orders run", "runs", n)
		}
		errs = append(errs, err)
	}
	if s.Callbacks != nil {
		after := s.RedriveAfter
		if redriveAll {
			after = -1
		}
		_, err := s.Callbacks.Redrive(ctx, after)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
