package gifts

import (
	"context"
	"time"
)

// Prepare creates the schedule's row, as Start does, without starting.
func (s *Scheduler) Prepare(ctx context.Context) error {
	s.startAt = s.opts.Now()
	return s.lease.create(ctx, s.startAt)
}

// Step does once, in the caller's goroutine, what the scheduler does each
// time it wakes: take or renew the lease and grant every tick due. It
// returns when the scheduler would wake next. Benchmarks drive ticks with
// it on a clock of their own (Options.Now).
func (s *Scheduler) Step(ctx context.Context) time.Time { return s.step(ctx) }

// Kill stops the scheduler as kill -9 stops its process: its goroutine
// ends at the next statement, which fails, and neither the lease nor its
// heartbeat is given up, so both expire by the database's clock.
func (s *Scheduler) Kill() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.Stop(context.Background())
}
