package gifts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// The defaults of Options.
const (
	DefaultName          = "gifts"
	DefaultInterval      = 10 * time.Second
	DefaultGiftName      = "Gift for {username}"
	DefaultLeaseDuration = 5 * time.Second
)

// DefaultCatchUp is the cap a host usually wants when it turns catch-up on
// (Options.CatchUp): after a long outage players get at most this many
// missed gifts, not one per tick of the outage.
const DefaultCatchUp = 6

// Options configure a Scheduler. The zero value, or nil, gives every player
// "Gift for {username}" (weight 0) every 10 seconds.
type Options struct {
	// Name identifies the schedule: it is part of every grant key and
	// names the schedule's lease row, so schedulers with one Name on one
	// database share its ticks, and schedules with different names are
	// independent. At most 100 bytes. Defaults to DefaultName ("gifts").
	Name string

	// Interval is the time between ticks: tick n fires at n*Interval of
	// Unix time and covers [n*Interval, (n+1)*Interval), so every process
	// numbers ticks alike. A whole number of milliseconds. Defaults to
	// DefaultInterval (10s) unless Schedule is set.
	Interval time.Duration
	// Schedule, instead of Interval, says when ticks fire; its ticks are
	// numbered by the Unix second they fire in. Defaults to nil.
	Schedule Schedule

	// GiftName is the name of each gift; "{username}" stands for its
	// recipient's username. Defaults to DefaultGiftName
	// ("Gift for {username}").
	GiftName string
	// GiftWeight is the weight of each gift. Defaults to 0.
	GiftWeight float64

	// CatchUp is how many ticks missed while no scheduler ran (an outage)
	// are granted late when one runs again, oldest first, the latest ones
	// when more were missed; the current tick, whose interval has begun,
	// is granted in any case, and so is every tick that fell while some
	// scheduler ran, however late. Defaults to 0: ticks of an outage are
	// skipped. DefaultCatchUp (6) is the usual cap when catching up.
	CatchUp int

	// LeaseDuration is how long a scheduler holds the schedule's lease
	// without renewing it, by the database's clock; the holder renews it
	// at every tick and every third of it, and every scheduler sends a
	// heartbeat as often. After a crash, another scheduler takes over
	// within LeaseDuration of the holder's last renewal and grants, late,
	// the ticks that fell meanwhile: it bounds how late. A scheduler that
	// sent no heartbeat for longer counts as gone. Shorter means faster
	// failover and more small writes (each scheduler writes two rows
	// every third of it). At least 3ms. Defaults to DefaultLeaseDuration
	// (5s).
	LeaseDuration time.Duration

	// Holder names this scheduler in the lease row, for people reading it;
	// it must differ between the schedulers sharing a database. A process
	// restarted with its old Holder takes its unexpired lease back at once.
	// At most 255 bytes. Defaults to the host name, the process id and a
	// random suffix.
	Holder string

	// Now tells the time: ticks are numbered by it, and waits measured.
	// Leases are dated by the database's clock, never by Now. Defaults
	// to time.Now. (Tests may instead run the scheduler in a
	// testing/synctest bubble, where time.Now is fake.)
	Now func() time.Time

	// Logger receives a line per tick (its number, users served,
	// duration) and every error. Defaults to slog.Default().
	Logger *slog.Logger

	// Publisher tells each player of their gift: an EventGift event on
	// their private channel, after the batch that gave it committed.
	// Defaults to gamekit.Discard.
	Publisher gamekit.Publisher

	// OnTick, if set, is called with the scheduler's Stats after every
	// tick it completes, on the scheduler's goroutine, so that a host can
	// keep a histogram of tick durations (package metrics does): Stats
	// alone shows only the last tick. It must return quickly. Defaults to
	// nil.
	OnTick func(Stats)
}

// Scheduler gives every player a gift every tick, exactly once per tick
// across crashes, restarts and processes sharing the database; see the
// package documentation. Start it once the host is ready; Stop it on
// shutdown.
type Scheduler struct {
	granter    Granter
	opts       Options
	clock      clock
	log        *slog.Logger
	publishing bool

	mu      sync.Mutex
	started bool
	stopped bool
	stop    chan struct{}      // closed by Stop: finish the tick in progress and exit
	cancel  context.CancelFunc // cancels the loop's context: a Stop whose ctx ended
	done    chan struct{}      // closed when the loop has exited

	statsMu sync.Mutex
	stats   Stats

	// Owned by the loop goroutine.
	lease     lease
	leader    bool
	startAt   time.Time // when Start was called: alive from then on, however long its statements waited
	renewedAt time.Time // when this scheduler asked for its last renewal of the lease
	beatAt    time.Time // when it sent its last heartbeat; zero before the first
	activeAt  time.Time // when its last step ended, before it slept
	awayFrom  time.Time // activeAt before a sleep far too long, until heartbeat looked into it
	sweptAt   time.Time // when it last deleted the heartbeats of schedulers gone
	behind    bool      // the clock is behind the last tick, and that was logged
}

// Stats are a scheduler's figures, for metrics and health checks.
type Stats struct {
	// Schedule is the scheduler's Options.Name.
	Schedule string
	// Tick is the number of the last tick this scheduler completed, 0
	// before the first; Key its grant key. Fired is when the tick fired,
	// Finished when it was complete.
	Tick            int64
	Key             string
	Fired, Finished time.Time
	// Users is how many users that tick served in this scheduler (not
	// those a previous run of the tick served), and Duration how long it
	// took, lease bookkeeping and events included.
	Users    int
	Duration time.Duration
	// Ticks is how many ticks this scheduler completed since Start, and
	// UsersServed how many users they served in all.
	Ticks       int64
	UsersServed int64
	// Leader is whether the scheduler held the lease when it last looked.
	Leader bool
	// LeaseTaken counts the times this scheduler took the lease (became
	// the one that grants), LeaseLost the times it stopped holding it:
	// it expired or another took it, or Stop released it. Both rising
	// often on every process means leadership flaps: a lease too short
	// for the database's latency, or a process stalling.
	LeaseTaken, LeaseLost int64
}

// New returns a scheduler that grants through granter, keeping its lease
// and progress in db (migrated with Migrations). opts may be nil. It checks
// the options; Start runs it.
func New(db *bun.DB, granter Granter, opts *Options) (*Scheduler, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	bad := func(option string, value any, want string) (*Scheduler, error) {
		return nil, &gamekit.OptionError{Option: "gifts: " + option, Value: value, Want: want}
	}
	if db == nil {
		return bad("New's db", "nil", "a database")
	}
	if granter == nil {
		return bad("New's granter", "nil", "a Granter, such as an inventory.SQLStore")
	}
	if o.Name == "" {
		o.Name = DefaultName
	} else if len(o.Name) > 100 {
		return bad("Options.Name", fmt.Sprintf("%.20q...", o.Name), "at most 100 bytes")
	}
	switch {
	case o.Schedule != nil && o.Interval != 0:
		return bad("Options.Interval", o.Interval, "0 when Options.Schedule is set: one or the other")
	case o.Schedule != nil:
	case o.Interval == 0:
		o.Interval = DefaultInterval
	case o.Interval < time.Millisecond || o.Interval%time.Millisecond != 0:
		return bad("Options.Interval", o.Interval, "a whole number of milliseconds, at least 1ms")
	}
	if o.GiftName == "" {
		o.GiftName = DefaultGiftName
	}
	if math.IsNaN(o.GiftWeight) || math.IsInf(o.GiftWeight, 0) || o.GiftWeight < 0 {
		return bad("Options.GiftWeight", o.GiftWeight, "a finite number, at least 0")
	}
	if o.CatchUp < 0 {
		return bad("Options.CatchUp", o.CatchUp, "0 or more ticks")
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = DefaultLeaseDuration
	} else if o.LeaseDuration < 3*time.Millisecond {
		return bad("Options.LeaseDuration", o.LeaseDuration, "at least 3ms")
	}
	if o.Holder == "" {
		o.Holder = defaultHolder()
	} else if len(o.Holder) > 255 {
		return bad("Options.Holder", fmt.Sprintf("%.20q...", o.Holder), "at most 255 bytes")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	publishing := o.Publisher != nil
	if !publishing {
		o.Publisher = gamekit.Discard
	}
	return &Scheduler{
		granter:    granter,
		opts:       o,
		clock:      clock{interval: o.Interval, schedule: o.Schedule},
		log:        o.Logger,
		publishing: publishing,
		stats:      Stats{Schedule: o.Name},
		lease:      newLease(db, o.Name, o.Holder, o.LeaseDuration),
	}, nil
}

// defaultHolder names this process: host, pid, and a random suffix that
// keeps two schedulers in one process apart.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "gamekit"
	}
	if len(host) > 200 {
		host = host[:200]
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
}

// Start makes sure the schedule's row exists (so a database without the
// package's migrations fails here, not in the log), then runs the scheduler
// in a goroutine of its own until Stop, and returns. ctx bounds Start
// alone; its values, not its cancellation, carry over to the scheduler's
// queries and logs.
//
// Once running, the scheduler takes the lease if it is free and grants
// what is due (a tick a crashed scheduler left half done, then the current
// tick if no one gave it), then waits for the next tick.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	if s.started {
		return ErrStarted
	}
	s.startAt = s.opts.Now()
	if err := s.lease.create(ctx, s.startAt); err != nil {
		return fmt.Errorf("gifts: start %s: %w", s.opts.Name, err)
	}
	if _, err := s.lease.read(ctx); err != nil {
		return fmt.Errorf("gifts: start %s: %w", s.opts.Name, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.started, s.cancel = true, cancel
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.run(runCtx)
	return nil
}

// Stop stops the scheduler: it lets the tick in progress finish and
// commit, gives the lease up so another scheduler takes the next tick at
// once, and returns once the scheduler's goroutine has exited. If ctx ends
// first, the tick in progress is cancelled between two statements (what
// committed stays, and whoever holds the lease next completes the tick),
// the lease is left to expire, and Stop returns ctx's error once the
// goroutine has exited. Stop may be called more than once, and before
// Start; a stopped scheduler does not start again.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		if s.started {
			close(s.stop)
		}
	}
	done, cancel := s.done, s.cancel
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		cancel()
		<-done
		return ctx.Err()
	}
}

// Stats returns the scheduler's figures. It is safe to call at any time,
// from any goroutine.
func (s *Scheduler) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// stopping reports whether Stop was called.
func (s *Scheduler) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// run is the scheduler's goroutine: a step, then a wait until the next
// tick or lease renewal (or Stop), over and over; then the lease goes.
func (s *Scheduler) run(ctx context.Context) {
	defer close(s.done)
	defer s.cancel()
	for !s.stopping() && ctx.Err() == nil {
		wake := s.step(ctx)
		if s.stopping() || ctx.Err() != nil {
			break
		}
		timer := time.NewTimer(max(wake.Sub(s.opts.Now()), 0))
		select {
		case <-s.stop:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
	}
	if s.leader {
		err := ctx.Err()
		if err == nil {
			err = s.lease.release(ctx, s.opts.Now())
		}
		switch {
		case err == nil:
			s.log.Info("gift lease released", "schedule", s.opts.Name, "holder", s.opts.Holder)
		case !errors.Is(err, errLeaseLost):
			s.log.Warn("gift lease not released; it expires by itself", "schedule", s.opts.Name, "error", err)
		}
	}
	if ctx.Err() == nil && !s.beatAt.IsZero() {
		// Gone now, not when the heartbeat would expire: if no other
		// scheduler runs, an outage begins.
		if err := s.lease.leave(ctx, s.opts.Now()); err != nil {
			s.log.Warn("gift heartbeat not withdrawn; it expires by itself", "schedule", s.opts.Name, "error", err)
		}
	}
	released := s.leader
	s.leader = false
	s.statsMu.Lock()
	s.stats.Leader = false
	if released {
		s.stats.LeaseLost++
	}
	s.statsMu.Unlock()
}

// retryAfter is how long the scheduler waits after an error before it
// tries again: soon enough that it renews its lease in time.
func (s *Scheduler) retryAfter() time.Duration { return s.opts.LeaseDuration / 3 }

// step takes or renews the lease and, holding it, grants every tick due;
// it returns when the scheduler should look again: at the next tick, or
// sooner to renew the lease, send a heartbeat, or take the lease when it
// expires.
func (s *Scheduler) step(ctx context.Context) time.Time {
	wake := s.stepOnce(ctx)
	s.activeAt = s.opts.Now()
	return wake
}

func (s *Scheduler) stepOnce(ctx context.Context) time.Time {
	now := s.opts.Now()
	if err := s.heartbeat(ctx, now, true); err != nil {
		s.fail(ctx, "gift heartbeat", err)
		return now.Add(s.retryAfter())
	}
	row, held, err := s.lease.acquire(ctx, now)
	if err != nil {
		s.fail(ctx, "gift lease", err)
		return now.Add(s.retryAfter())
	}
	if !held {
		s.setLeader(false)
		next, err := s.clock.after(now)
		if err != nil {
			s.fail(ctx, "gift schedule", err)
			return now.Add(s.retryAfter())
		}
		// Look again at the next tick (the holder may have given the lease
		// up by then), when the lease expires by the database's clock
		// (waited for by this one's), or to send the next heartbeat,
		// whichever comes first.
		return minTime(next.fire, now.Add(min(row.leaseLeft()+time.Millisecond, s.retryAfter())))
	}
	if !s.leader || now.Sub(s.sweptAt) > time.Minute {
		if err := s.lease.sweep(ctx); err != nil {
			s.fail(ctx, "gift heartbeat sweep", err)
		}
		s.sweptAt = now
	}
	s.setLeader(true)
	s.renewedAt = now

	// Every tick after the last one done is due, late or not, but for
	// those that fell during an outage, when no scheduler ran: those
	// follow the catch-up policy. So taking over from a scheduler that
	// crashed, or completing what another left, gives every tick that fell
	// while servers ran.
	last := row.LastAt
	if row.RunningTick != nil && row.RunningAt != nil {
		tk := tick{n: *row.RunningTick, at: row.RunningAt.UTC(), fire: row.RunningAt.UTC()}
		s.log.Info("gift tick resumed", "schedule", s.opts.Name, "tick", tk.n)
		if err := s.tick(ctx, tk); err != nil {
			return s.tickFailed(ctx, tk, err)
		}
		last = tk.at
	}

	now = s.opts.Now()
	ticks, missed, err := s.clock.due(last, now, row.outage(), s.opts.CatchUp)
	if err != nil {
		s.fail(ctx, "gift schedule", err)
		return now.Add(s.retryAfter())
	}
	s.noteClock(ctx, last, now)
	if missed > 0 {
		late := min(missed, int64(s.opts.CatchUp))
		s.log.Warn("gift ticks missed while no scheduler ran", "schedule", s.opts.Name, "missed", missed,
			"granted_late", late, "skipped", missed-late)
	}
	for _, tk := range ticks {
		if s.stopping() {
			return now
		}
		if err := s.tick(ctx, tk); err != nil {
			return s.tickFailed(ctx, tk, err)
		}
	}

	now = s.opts.Now()
	next, err := s.clock.after(now)
	if err != nil {
		s.fail(ctx, "gift schedule", err)
		return now.Add(s.retryAfter())
	}
	// Ticks that fired while these were granted are due now: look again
	// at once. Otherwise at the next tick, or to renew the lease every
	// third of it.
	return minTime(next.fire, s.renewedAt.Add(s.retryAfter()))
}

// heartbeat tells the other schedulers that this one is alive: at every
// step, and during a tick every third of the lease. Before its first, and
// after a sleep longer than the lease although it asks for at most a
// third (its clock jumped ahead, or the process was frozen), it looks
// whether any other scheduler was alive meanwhile; if none was, it
// records an outage from the last sign of life to when this one was
// last alive: the end of that sleep, or, before its first heartbeat, the
// call to Start. Time spent waiting for its own statements — behind other
// writers, for a lock — is never an absence: the scheduler was running,
// so the ticks that fell meanwhile are granted late, not skipped, even
// though its heartbeat may have lapsed by the database's clock.
func (s *Scheduler) heartbeat(ctx context.Context, now time.Time, step bool) error {
	first := s.beatAt.IsZero()
	if step && !first && s.awayFrom.IsZero() && now.Sub(s.activeAt) > s.opts.LeaseDuration {
		s.awayFrom = s.activeAt
	}
	s.activeAt = now
	if first || !s.awayFrom.IsZero() {
		// A former run of this scheduler (the same Holder) that crashed
		// less than a lease ago counts as alive, as it was.
		alive, seen, err := s.lease.lastSeen(ctx, first)
		if err != nil {
			return err
		}
		if !alive {
			if away := s.awayFrom; !away.IsZero() && (seen == nil || away.After(*seen)) {
				seen = &away
			}
			until := now
			if first {
				until = s.startAt
			}
			if seen != nil && seen.After(until) {
				seen = &until
			}
			if err := s.lease.outage(ctx, seen, until); err != nil {
				return err
			}
			// A schedule that never ran before (a new database) had no
			// outage worth a warning: nothing was due.
			if seen != nil {
				s.log.Warn("no gift scheduler ran; ticks of the outage follow the catch-up policy",
					"schedule", s.opts.Name, "since", *seen, "until", until)
			}
		}
		s.awayFrom = time.Time{}
	} else if !step && now.Sub(s.beatAt) < s.retryAfter() {
		return nil
	}
	if err := s.lease.beat(ctx, now); err != nil {
		return err
	}
	s.beatAt = now
	return nil
}

// tick grants one tick: it records the tick as started, grants it (telling
// each user after each batch, and renewing the lease when a third of it
// has passed), and records it as done.
func (s *Scheduler) tick(ctx context.Context, tk tick) error {
	start := s.opts.Now()
	if err := s.lease.begin(ctx, start, tk); err != nil {
		return err
	}
	s.renewedAt = start
	if err := s.heartbeat(ctx, start, false); err != nil {
		return err
	}
	key := Key(s.opts.Name, tk.n)
	gift := Gift{Schedule: s.opts.Name, Tick: tk.n, At: tk.at}
	users, err := s.granter.Grant(ctx, key, s.opts.GiftName, s.opts.GiftWeight,
		func(ctx context.Context, userIDs []int64) error {
			s.publish(ctx, gift, userIDs)
			// A holder trusts its term for a lease from when it last
			// asked, by its own clock; it renews after a third of it, so
			// no batch starts on a term it may have lost.
			now := s.opts.Now()
			if now.Sub(s.renewedAt) >= s.retryAfter() {
				if err := s.lease.renew(ctx, now); err != nil {
					return err
				}
				s.renewedAt = now
			}
			return s.heartbeat(ctx, now, false)
		})
	if err != nil {
		return err
	}
	end := s.opts.Now()
	if err := s.lease.complete(ctx, end, tk); err != nil {
		return err
	}
	s.renewedAt = end
	d := max(end.Sub(start), 0)
	s.statsMu.Lock()
	s.stats.Tick, s.stats.Key, s.stats.Fired, s.stats.Finished = tk.n, key, tk.at, end.UTC()
	s.stats.Users, s.stats.Duration = users, d
	s.stats.Ticks++
	s.stats.UsersServed += int64(users)
	stats := s.stats
	s.statsMu.Unlock()
	if s.opts.OnTick != nil {
		s.opts.OnTick(stats)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "gift tick", slog.String("schedule", s.opts.Name),
		slog.Int64("tick", tk.n), slog.Int("users", users), slog.Duration("duration", d),
		slog.Duration("late", max(start.Sub(tk.fire), 0)))
	return nil
}

// tickFailed logs why tk stopped and says when to look again: at once if
// another scheduler took the lease (to learn when it expires), later
// otherwise. The tick stays recorded as started, so whoever runs next
// completes it.
func (s *Scheduler) tickFailed(ctx context.Context, tk tick, err error) time.Time {
	now := s.opts.Now()
	if errors.Is(err, errLeaseLost) {
		s.log.Warn("gift lease lost during a tick; its new holder completes it", "schedule", s.opts.Name, "tick", tk.n)
		s.setLeader(false)
		return now
	}
	if ctx.Err() != nil {
		s.log.Warn("gift tick interrupted by Stop; the next lease holder grants it", "schedule", s.opts.Name, "tick", tk.n)
		return now
	}
	s.log.Error("gift tick failed; retrying", "schedule", s.opts.Name, "tick", tk.n, "error", err)
	return now.Add(s.retryAfter())
}

// fail logs an error of the loop, unless Stop cancelled it.
func (s *Scheduler) fail(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		s.log.Error(what+" failed; retrying", "schedule", s.opts.Name, "error", err)
	}
}

// noteClock warns once when the clock goes behind the last tick granted:
// nothing is granted until it catches up, so nobody gets a tick twice.
func (s *Scheduler) noteClock(ctx context.Context, last, now time.Time) {
	switch {
	case now.Before(last) && !s.behind:
		s.behind = true
		s.log.LogAttrs(ctx, slog.LevelWarn, "clock is behind the last gift tick; no gifts until it catches up",
			slog.String("schedule", s.opts.Name), slog.Time("last_tick_at", last), slog.Time("now", now))
	case !now.Before(last):
		s.behind = false
	}
}

// setLeader records whether the scheduler holds the lease, and logs a
// change.
func (s *Scheduler) setLeader(leader bool) {
	changed := leader != s.leader
	if changed {
		s.leader = leader
		if leader {
			s.log.Info("gift lease taken", "schedule", s.opts.Name, "holder", s.opts.Holder, "term", s.lease.term)
		} else {
			s.log.Info("gift lease not held", "schedule", s.opts.Name, "holder", s.opts.Holder)
		}
	}
	s.statsMu.Lock()
	s.stats.Leader = leader
	switch {
	case changed && leader:
		s.stats.LeaseTaken++
	case changed:
		s.stats.LeaseLost++
	}
	s.statsMu.Unlock()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
