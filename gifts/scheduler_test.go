package gifts_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// Ten ticks give every player ten gifts, named for them and weighing what
// the schedule says, and tell each of them ten times; a second schedule
// on the same database runs its own ticks beside it.
func TestTenTicks(t *testing.T) {
	inBubble(t, both, func(t *testing.T, db *bun.DB) {
		const users = 7
		seed(t, db, 1, users)
		ev := &apitest.Events{}
		var told []gifts.Stats // by OnTick, on the scheduler's goroutine; read after Stop
		s := start(t, db, newGranter(db, 3), gifts.Options{Publisher: ev, OnTick: func(st gifts.Stats) { told = append(told, st) }})
		bonus := start(t, db, newGranter(db, 3), gifts.Options{Name: "bonus", Interval: 20 * time.Second,
			GiftName: "Bonus for {username}!", GiftWeight: 0.5})
		time.Sleep(100*time.Second + time.Millisecond)
		stop(t, s)
		stop(t, bonus)

		first := tickAt(10 * time.Second)
		ticks := span(first, first+9)
		checkTicks(t, db, "gifts", users, ticks)
		checkTold(t, ev, users, ticks)
		firstBonus := epoch.Add(20*time.Second).Unix() / 20
		checkTicks(t, db, "bonus", users, span(firstBonus, firstBonus+4))
		for user, list := range owned(t, db) {
			for _, g := range list {
				name, weight := fmt.Sprintf("Gift for user%d", user), 0.0
				if g.Key[:11] == "gifts:bonus" {
					name, weight = fmt.Sprintf("Bonus for user%d!", user), 0.5
				}
				if g.Name != name || g.Weight != weight {
					t.Errorf("user %d: got %q weighing %v, want %q weighing %v", user, g.Name, g.Weight, name, weight)
				}
			}
		}
		st := s.Stats()
		if st.Schedule != "gifts" || st.Tick != first+9 || st.Key != gifts.Key("gifts", first+9) || st.Users != users || st.Ticks != 10 ||
			st.UsersServed != 10*users || !st.Fired.Equal(epoch.Add(100*time.Second)) || st.Leader || st.LeaseTaken != 1 || st.LeaseLost != 1 {
			t.Errorf("stats: got %+v", st)
		}
		if len(told) != 10 || told[0].Tick != first || told[0].Ticks != 1 || told[0].Users != users || !told[0].Leader || told[9].Tick != first+9 {
			t.Errorf("OnTick: got %+v, want the stats after each of the 10 ticks", told)
		}
	})
}

// Every event names the tick and goes to the recipient's private channel.
func TestEvent(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		seed(t, db, 41, 42)
		ev := &apitest.Events{}
		s := start(t, db, storagetest.Must(inventory.NewSQLStore(db, nil)), gifts.Options{Name: "daily", Publisher: ev})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stop(t, s)
		tick := tickAt(10 * time.Second)
		want := fmt.Sprint([]gamekit.Event{
			{Channel: "user.41", Name: "gift", Data: gifts.Gift{Schedule: "daily", Tick: tick, At: epoch.Add(10 * time.Second)}},
			{Channel: "user.42", Name: "gift", Data: gifts.Gift{Schedule: "daily", Tick: tick, At: epoch.Add(10 * time.Second)}},
		})
		if got := fmt.Sprint(ev.All()); got != want {
			t.Errorf("events: got %s, want %s", got, want)
		}
	})
}

// A tick stopped half way, by a failure after some batches or by a Stop
// whose context ran out, is completed by the next scheduler: everyone has
// exactly one gift of it, and hears of it once.
func TestCrash(t *testing.T) {
	crash := errors.New("power cut")
	for _, how := range []string{"failure", "cancelled"} {
		t.Run(how, func(t *testing.T) {
			inBubble(t, both, func(t *testing.T, db *bun.DB) {
				const users = 10
				seed(t, db, 1, users)
				ev := &apitest.Events{}
				g := newGranter(db, 3)
				batches := 0
				g.after = func(ctx context.Context, _ string, _ []int64) error {
					if batches++; batches < 2 {
						return nil
					}
					if how == "failure" {
						return crash
					}
					<-ctx.Done() // the tick hangs until Stop gives up on it
					return ctx.Err()
				}
				opts := gifts.Options{Publisher: ev, LeaseDuration: testLease}
				first := start(t, db, g, opts)
				time.Sleep(10 * time.Second)
				synctest.Wait() // the tick has stopped after two batches, or hangs
				stopCtx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				err := first.Stop(stopCtx)
				if how == "cancelled" && !errors.Is(err, context.DeadlineExceeded) || how == "failure" && err != nil {
					t.Fatalf("stop: got %v", err)
				}
				tick := tickAt(10 * time.Second)
				if got := ticksOf(t, db, "gifts"); len(got) != 6 {
					t.Fatalf("after the crash: %d users have the gift, want the 6 of the first two batches: %v", len(got), got)
				}

				g.after = nil
				second := start(t, db, g, opts)
				synctest.Wait()
				want := gifts.Stats{Schedule: "gifts", Tick: tick, Key: gifts.Key("gifts", tick), Fired: epoch.Add(10 * time.Second),
					Finished: epoch.Add(10 * time.Second), Users: users - 6, Ticks: 1, UsersServed: users - 6, Leader: true, LeaseTaken: 1}
				ticks := []int64{tick}
				if how == "cancelled" {
					// A Stop that gave up left the lease to expire, as a
					// crash does: the next scheduler completes the tick
					// when it expires by the database's clock, at its
					// first look after that (a third of the lease later
					// at most).
					if st := second.Stats(); st.Ticks != 0 || st.Leader {
						t.Errorf("second scheduler before the lease expired: got %+v", st)
					}
					expire()
					time.Sleep(testLease / 3)
					synctest.Wait()
					st := second.Stats()
					if d := st.Finished.Sub(epoch.Add(11 * time.Second)); d <= 0 || d > testLease/3 {
						t.Errorf("second scheduler finished the tick %v after Stop gave up, want within %v", d, testLease/3)
					}
					want.Finished = st.Finished
				}
				if st := second.Stats(); st != want {
					t.Errorf("second scheduler: got %+v, want %+v", st, want)
				}
				stop(t, second)
				checkTicks(t, db, "gifts", users, ticks)
				checkTold(t, ev, users, ticks)
			})
		})
	}
}

// Three schedulers, each with a connection pool of its own as three
// processes would have, run one schedule for many ticks while they are
// stopped, crash and come back: every tick is given to every user exactly
// once, none is missing, and exactly one scheduler completes each tick.
func TestThreeSchedulers(t *testing.T) {
	inBubble(t, shared, func(t *testing.T, db *bun.DB) {
		const users, ticks = 23, 30
		seed(t, db, 1, users)
		kind := storagetest.File
		if db.Dialect().Name().String() == "pg" {
			kind = storagetest.Postgres
		}
		dbs := handles(t, db, kind, 3)
		ev := &apitest.Events{}
		var all []*gifts.Scheduler
		run := func(i int) *gifts.Scheduler {
			s := start(t, dbs[i], newGranter(dbs[i], 5), gifts.Options{Publisher: ev, LeaseDuration: testLease,
				Holder: fmt.Sprintf("process-%d-%d", i, len(all))})
			all = append(all, s)
			return s
		}
		current := []*gifts.Scheduler{run(0), run(1), run(2)}
		// done waits until the tick firing at d is complete. SQLite's busy
		// handler sleeps, and in the bubble a sleeping goroutine counts as
		// idle, so synctest.Wait alone may return while a scheduler waits
		// for another's write lock: time must move on a little.
		done := func(d time.Duration) {
			for range 20_000 {
				synctest.Wait()
				for _, s := range all {
					if s.Stats().Tick >= tickAt(d) {
						return
					}
				}
				time.Sleep(time.Millisecond)
			}
			t.Fatalf("the tick of %v is not done", d)
		}
		leader := func() int {
			for i, s := range current {
				if s.Stats().Leader {
					return i
				}
			}
			t.Fatal("no scheduler holds the lease")
			return -1
		}
		for step := 1; step <= ticks; step++ {
			time.Sleep(10 * time.Second)
			done(time.Duration(step) * 10 * time.Second)
			switch step {
			case 8, 20: // the leader stops, and comes back
				i := leader()
				stop(t, current[i])
				current[i] = run(i)
			case 14, 25: // the leader crashes, leaving the lease to expire, and comes back
				i := leader()
				current[i].Kill()
				expire()
				current[i] = run(i)
			}
		}
		for _, s := range current {
			stop(t, s)
		}

		want := span(tickAt(10*time.Second), tickAt(ticks*10*time.Second))
		checkTicks(t, db, "gifts", users, want)
		checkTold(t, ev, users, want)
		completed := int64(0)
		for _, s := range all {
			completed += s.Stats().Ticks
		}
		if completed != ticks {
			t.Errorf("the schedulers completed %d ticks between them, want %d: each exactly once", completed, ticks)
		}
	})
}

// A process restarted with its old Holder before its lease expired takes
// the lease back at once, and grants the ticks that fell while it was down.
func TestRestartSameHolder(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		const users = 3
		seed(t, db, 1, users)
		opts := gifts.Options{Interval: 5 * time.Second, Holder: "server-1"}
		s := start(t, db, newGranter(db, 2), opts)
		time.Sleep(10*time.Second + time.Second)
		synctest.Wait()
		s.Kill() // a crash at 11s: its lease has not expired by the database's clock
		time.Sleep(11 * time.Second)
		s = start(t, db, newGranter(db, 2), opts)
		synctest.Wait()
		n := func(d time.Duration) int64 { return epoch.Add(d).Unix() / 5 }
		checkTicks(t, db, "gifts", users, span(n(5*time.Second), n(20*time.Second)))
		if st := s.Stats(); st.Ticks != 2 || !st.Finished.Equal(epoch.Add(22*time.Second)) {
			t.Errorf("restarted: got %+v, want the ticks of 15s and 20s at once, at 22s", st)
		}
	})
}

// After an outage of N ticks, a scheduler that skips grants none of them,
// one that catches up grants min(N, cap); both grant the current tick at
// once and go on from there.
func TestCatchUp(t *testing.T) {
	for _, tt := range []struct {
		catchUp, down int
	}{{0, 3}, {0, 10}, {2, 3}, {6, 3}, {6, 10}} {
		t.Run(fmt.Sprintf("catchup=%d/down=%d", tt.catchUp, tt.down), func(t *testing.T) {
			inBubble(t, memory, func(t *testing.T, db *bun.DB) {
				const users = 4
				seed(t, db, 1, users)
				opts := gifts.Options{CatchUp: tt.catchUp}
				s := start(t, db, newGranter(db, 3), opts)
				time.Sleep(20*time.Second + time.Second)
				stop(t, s)
				last := tickAt(20 * time.Second)
				// Ticks last+1 .. last+down fire while nothing runs; last+down+1
				// has fired a second before the scheduler comes back.
				time.Sleep(time.Duration(tt.down+1) * 10 * time.Second)
				current := last + int64(tt.down) + 1
				s = start(t, db, newGranter(db, 3), opts)
				synctest.Wait()
				late := int64(min(tt.down, tt.catchUp))
				want := append(span(last-1, last), span(current-late, current)...)
				checkTicks(t, db, "gifts", users, want)
				if st := s.Stats(); st.Ticks != late+1 {
					t.Errorf("ticks granted on return: got %d, want %d", st.Ticks, late+1)
				}
				time.Sleep(10 * time.Second)
				stop(t, s)
				checkTicks(t, db, "gifts", users, append(want, current+1))
			})
		})
	}
}

// A clock that jumps back grants nothing until it is past the last tick
// again; one that jumps forward skips to its present, and nothing is ever
// granted twice or out of order.
func TestClockJumps(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		const users = 3
		seed(t, db, 1, users)
		var offset atomic.Int64 // how far the clock is off
		ev := &apitest.Events{}
		s := start(t, db, newGranter(db, 2), gifts.Options{Publisher: ev,
			Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
		time.Sleep(30*time.Second + time.Second)
		synctest.Wait()
		want := span(tickAt(10*time.Second), tickAt(30*time.Second))
		checkTicks(t, db, "gifts", users, want)

		offset.Store(int64(-time.Hour)) // back an hour: the ticks of that hour are not given again
		time.Sleep(time.Hour - 10*time.Second)
		synctest.Wait()
		checkTicks(t, db, "gifts", users, want)
		// Real time 1h30s: the clock says 30s, the last tick; the next is new.
		time.Sleep(20 * time.Second)
		synctest.Wait()
		want = append(want, tickAt(40*time.Second))
		checkTicks(t, db, "gifts", users, want)

		offset.Store(0) // forward again by an hour: skipped, as after an outage
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// The scheduler noticed the jump when it next woke, a third of its
		// lease after 41s by the old clock, 1h41.7s by the new one: it
		// granted the current tick, of 1h40s, and then the tick of 1h50s.
		want = append(want, tickAt(time.Hour+40*time.Second), tickAt(time.Hour+50*time.Second))
		checkTicks(t, db, "gifts", users, want)
		stop(t, s)
		checkTold(t, ev, users, want)
	})
}

// Stop during a tick returns once the tick committed, gives the lease up
// so a new scheduler takes the next tick on time, and leaves no goroutine
// behind (the bubble and TestMain check that).
func TestStopDuringTick(t *testing.T) {
	inBubble(t, both, func(t *testing.T, db *bun.DB) {
		const users = 8
		seed(t, db, 1, users)
		g := newGranter(db, 3)
		resume := make(chan struct{})
		g.after = func(context.Context, string, []int64) error {
			<-resume
			return nil
		}
		s := start(t, db, g, gifts.Options{})
		time.Sleep(10 * time.Second)
		synctest.Wait() // the tick is in progress, after its first batch
		stopped := make(chan error)
		go func() { stopped <- s.Stop(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned during the tick: %v", err)
		default:
		}
		close(resume)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		tick := tickAt(10 * time.Second)
		checkTicks(t, db, "gifts", users, []int64{tick})
		if st := s.Stats(); st.Tick != tick || st.Users != users || st.Leader {
			t.Errorf("stopped scheduler: got %+v", st)
		}

		next := start(t, db, newGranter(db, 3), gifts.Options{})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if st := next.Stats(); st.Tick != tick+1 || !st.Finished.Equal(epoch.Add(20*time.Second)) {
			t.Errorf("new scheduler: got %+v, want tick %d at once when it fired", st, tick+1)
		}
	})
}

// A scheduler stalled in a tick past its lease loses the lease to another,
// which completes the tick; the stalled one stops at its next batch, and
// nobody gets the tick twice or hears of it twice.
func TestLeaseLostDuringTick(t *testing.T) {
	inBubble(t, both, func(t *testing.T, db *bun.DB) {
		const users = 9
		seed(t, db, 1, users)
		ev := &apitest.Events{}
		g := newGranter(db, 3)
		stall := make(chan struct{})
		g.after = func(_ context.Context, _ string, users []int64) error {
			if users[0] == 1 {
				<-stall
			}
			return nil
		}
		stalled := start(t, db, g, gifts.Options{Publisher: ev, Holder: "stalled", LeaseDuration: testLease})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		other := start(t, db, newGranter(db, 3), gifts.Options{Publisher: ev, Holder: "other", LeaseDuration: testLease})
		time.Sleep(20 * time.Second)
		expire() // the stalled scheduler's lease, renewed when the tick of 10s began
		time.Sleep(time.Second)
		synctest.Wait()
		close(stall)
		synctest.Wait()
		stop(t, stalled)
		stop(t, other)

		ticks := span(tickAt(10*time.Second), tickAt(30*time.Second))
		checkTicks(t, db, "gifts", users, ticks)
		checkTold(t, ev, users, ticks)
		if a, b := stalled.Stats(), other.Stats(); a.Ticks != 0 || b.Ticks != 3 {
			t.Errorf("completed ticks: stalled %d, other %d; want 0 and 3", a.Ticks, b.Ticks)
		}
	})
}

// A user who registers while a tick is being granted gets the next one.
func TestRegisterDuringTick(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		seed(t, db, 1, 4)
		g := newGranter(db, 2)
		g.after = func(ctx context.Context, key string, _ []int64) error {
			if key == gifts.Key("gifts", tickAt(10*time.Second)) {
				g.after = nil
				seed(t, db, 5, 5)
			}
			return nil
		}
		s := start(t, db, g, gifts.Options{})
		time.Sleep(20 * time.Second)
		synctest.Wait()
		stop(t, s)
		got := ticksOf(t, db, "gifts")
		if want := fmt.Sprint(span(tickAt(10*time.Second), tickAt(20*time.Second))); fmt.Sprint(got[1]) != want {
			t.Errorf("user 1: got %v, want %v", got[1], want)
		}
		if want := fmt.Sprint([]int64{tickAt(20 * time.Second)}); fmt.Sprint(got[5]) != want {
			t.Errorf("user registered during the first tick: got %v, want %v", got[5], want)
		}
	})
}

// A Schedule fires when it says, and its ticks are numbered by the Unix
// second they fire in.
func TestSchedule(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		seed(t, db, 1, 2)
		s := start(t, db, newGranter(db, 2), gifts.Options{Schedule: halfPast{}})
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		stop(t, s)
		want := []int64{epoch.Unix() + 30, epoch.Unix() + 90, epoch.Unix() + 150}
		checkTicks(t, db, "gifts", 2, want)
	})
}

// halfPast fires every minute at second 30.
type halfPast struct{}

func (halfPast) Next(t time.Time) time.Time {
	if at := t.Truncate(time.Minute).Add(30 * time.Second); t.Before(at) {
		return at
	}
	return t.Truncate(time.Minute).Add(90 * time.Second)
}

// Start and Stop in every order: Stop before Start and twice is harmless;
// a stopped scheduler does not start again, nor a running one twice.
func TestStartStop(t *testing.T) {
	inBubble(t, memory, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, err := gifts.New(db, storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(ctx); err != nil {
			t.Errorf("stop before start: %v", err)
		}
		if err := s.Start(ctx); !errors.Is(err, gifts.ErrStopped) {
			t.Errorf("start after stop: got %v, want ErrStopped", err)
		}
		s, _ = gifts.New(db, storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); !errors.Is(err, gifts.ErrStarted) || !errors.Is(err, gamekit.ErrConflict) {
			t.Errorf("second start: got %v, want ErrStarted", err)
		}
		for range 2 {
			if err := s.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	})
}

// A database without the package's table fails at Start, not in the log.
func TestStartUnmigrated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storagetest.Open(t, storagetest.Memory, inventory.Migrations())
		s, err := gifts.New(db, storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err == nil {
			t.Error("start without migrations: got no error")
			s.Stop(context.Background())
		}
	})
}

func TestOptionsValidation(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, gifts.Migrations())
	store := storagetest.Must(inventory.NewSQLStore(db, nil))
	for _, tc := range []struct {
		opts   gifts.Options
		option string
	}{
		{gifts.Options{Name: string(make([]byte, 101))}, "Name"},
		{gifts.Options{Interval: -time.Second}, "Interval"},
		{gifts.Options{Interval: 1500 * time.Microsecond}, "Interval"},
		{gifts.Options{Interval: time.Second, Schedule: halfPast{}}, "Interval"},
		{gifts.Options{GiftWeight: -1}, "GiftWeight"},
		{gifts.Options{CatchUp: -1}, "CatchUp"},
		{gifts.Options{LeaseDuration: -time.Second}, "LeaseDuration"},
		{gifts.Options{Holder: string(make([]byte, 256))}, "Holder"},
	} {
		_, err := gifts.New(db, store, &tc.opts)
		var bad *gamekit.OptionError
		if !errors.As(err, &bad) || bad.Option != "gifts: Options."+tc.option {
			t.Errorf("options %+v: got %v, want an OptionError for %s", tc.opts, err, tc.option)
		}
	}
	var bad *gamekit.OptionError
	if _, err := gifts.New(db, nil, nil); !errors.As(err, &bad) {
		t.Errorf("no granter: got %v, want an OptionError", err)
	}
}
