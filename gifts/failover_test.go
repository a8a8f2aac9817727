package gifts_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// These tests run schedulers on connection pools of their own, as server
// processes would, on one database, and kill them as kill -9 would (Kill:
// neither lease nor heartbeat is given up). Every tick that fell while a
// scheduler ran must reach every user exactly once, however late.

// fastTick is the interval of the failover tests: many ticks fall while a
// lease expires, so a catch-up that lost any would show.
const fastTick = 100 * time.Millisecond

// fast is the number of the fastTick tick firing at epoch + d.
func fast(d time.Duration) int64 { return epoch.Add(d).UnixNano() / int64(fastTick) }

// slowGranter is a granter whose batches take fake time once slow is set,
// 30ms for the 3 batches of a tick: a scheduler catching up grants while
// more ticks fire. hook, when set, runs after each batch too.
func slowGranter(db *bun.DB, slow *atomic.Bool, hook func(ctx context.Context) error) *granter {
	g := newGranter(db, 2)
	g.after = func(ctx context.Context, _ string, _ []int64) error {
		if slow.Load() {
			time.Sleep(10 * time.Millisecond)
			if hook != nil {
				return hook(ctx)
			}
		}
		return nil
	}
	return g
}

// caughtUp waits, in the bubble, until s has completed the latest tick.
func caughtUp(t *testing.T, s *gifts.Scheduler) {
	t.Helper()
	for range 1000 {
		synctest.Wait()
		if s.Stats().Tick >= fast(time.Since(epoch)) {
			return
		}
		time.Sleep(fastTick / 4)
	}
	t.Fatalf("not caught up after 25s: %+v", s.Stats())
}

// When the holder is killed, the other scheduler takes the lease once it
// expires by the database's clock, and grants the ticks that fell
// meanwhile and those that fire while it catches up: none is skipped,
// since a server ran all along.
func TestFailover(t *testing.T) {
	inBubble(t, shared, func(t *testing.T, db *bun.DB) {
		const users = 5
		seed(t, db, 1, users)
		dbs := handles(t, db, kindOf(db), 2)
		ev := &apitest.Events{}
		var slow atomic.Bool
		var all []*gifts.Scheduler
		for i, db := range dbs {
			all = append(all, start(t, db, slowGranter(db, &slow, nil), gifts.Options{Interval: fastTick,
				LeaseDuration: testLease, Publisher: ev, Holder: fmt.Sprintf("server-%d", i)}))
		}
		time.Sleep(time.Second + fastTick/2)
		synctest.Wait()
		leader, follower := all[0], all[1]
		if follower.Stats().Leader {
			leader, follower = follower, leader
		}
		leader.Kill()
		slow.Store(true)
		time.Sleep(time.Second) // ten ticks fall; the lease has not expired by the database's clock
		synctest.Wait()
		if st := follower.Stats(); st.Leader || st.Ticks != 0 {
			t.Fatalf("the follower took over before the lease expired by the database's clock: %+v", st)
		}
		expire()
		time.Sleep(testLease / 3) // it takes over within a third of the lease
		synctest.Wait()
		if st := follower.Stats(); !st.Leader || st.LeaseTaken != 1 || st.LeaseLost != 0 {
			t.Fatalf("the follower did not take over: %+v", st)
		}
		caughtUp(t, follower)
		stop(t, follower)
		if st := follower.Stats(); st.Leader || st.LeaseTaken != 1 || st.LeaseLost != 1 {
			t.Errorf("after Stop released the lease: got %+v, want it counted as lost", st)
		}

		want := span(fast(fastTick), follower.Stats().Tick)
		checkTicks(t, db, "gifts", users, want)
		checkTold(t, ev, users, want)
		if got, want := leader.Stats().Ticks+follower.Stats().Ticks, int64(len(want)); got != want {
			t.Errorf("the schedulers completed %d ticks between them, want %d", got, want)
		}
	})
}

// When the scheduler that took over is killed in turn while it catches
// up, the third takes over from it and grants both backlogs, completing
// the tick it left half done.
func TestFailoverDuringCatchUp(t *testing.T) {
	inBubble(t, shared, func(t *testing.T, db *bun.DB) {
		const users = 5
		seed(t, db, 1, users)
		dbs := handles(t, db, kindOf(db), 3)
		ev := &apitest.Events{}
		var slow atomic.Bool
		var batches atomic.Int64
		dying := make(chan int)
		var all []*gifts.Scheduler
		for i, db := range dbs {
			// The fourth batch after the first kill, in the middle of the
			// second late tick, hangs until its scheduler is killed.
			hook := func(ctx context.Context) error {
				if batches.Add(1) == 4 {
					dying <- i
					<-ctx.Done()
					return ctx.Err()
				}
				return nil
			}
			all = append(all, start(t, db, slowGranter(db, &slow, hook), gifts.Options{Interval: fastTick,
				LeaseDuration: testLease, Publisher: ev, Holder: fmt.Sprintf("server-%d", i)}))
		}
		time.Sleep(time.Second + fastTick/2)
		synctest.Wait()
		first := -1
		for i, s := range all {
			if s.Stats().Leader {
				first = i
			}
		}
		if first < 0 {
			t.Fatal("no scheduler holds the lease")
		}
		all[first].Kill()
		slow.Store(true)
		time.Sleep(time.Second)
		expire()
		second := <-dying
		time.Sleep(time.Second) // it hangs, holding the lease, while ten more ticks fall
		all[second].Kill()
		expire()
		third := 3 - first - second
		caughtUp(t, all[third])
		stop(t, all[third])

		// A scheduler ran all along: every tick is due.
		want := span(fast(fastTick), all[third].Stats().Tick)
		checkTicks(t, db, "gifts", users, want)
		checkTold(t, ev, users, want)
		if st := all[second].Stats(); st.Ticks != 1 {
			t.Errorf("the second holder completed %d ticks, want 1 before it hung", st.Ticks)
		}
	})
}

// The lease is dated by the database's clock: a scheduler whose clock is
// 10 minutes ahead cannot take the lease from one whose clock is 10
// minutes behind, though by its own clock that lease expired long ago.
func TestClockSkew(t *testing.T) {
	inBubble(t, shared, func(t *testing.T, db *bun.DB) {
		const users = 3
		seed(t, db, 1, users)
		dbs := handles(t, db, kindOf(db), 2)
		skewed := func(d time.Duration) func() time.Time {
			return func() time.Time { return time.Now().Add(d) }
		}
		behind := start(t, dbs[0], newGranter(dbs[0], 2), gifts.Options{Holder: "behind", Now: skewed(-10 * time.Minute)})
		time.Sleep(10*time.Second + time.Second)
		synctest.Wait()
		ahead := start(t, dbs[1], newGranter(dbs[1], 2), gifts.Options{Holder: "ahead", Now: skewed(10 * time.Minute)})
		time.Sleep(40 * time.Second)
		synctest.Wait()
		if st := ahead.Stats(); st.Leader || st.Ticks != 0 {
			t.Errorf("the scheduler 20 minutes ahead took the lease: %+v", st)
		}
		if st := behind.Stats(); !st.Leader || st.Ticks != 5 {
			t.Errorf("the holder: got %+v, want 5 ticks and the lease", st)
		}
		stop(t, ahead)
		stop(t, behind)
		checkTicks(t, db, "gifts", users, span(tickAt(-10*time.Minute+10*time.Second), tickAt(-10*time.Minute+50*time.Second)))
	})
}

// The takeover time, in real time with the default lease: the holder is
// killed, and the follower holds the lease within the lease duration of
// the holder's last renewal, then grants every tick it missed. Run with
// -v to read the time:
//
//	go test -v -run TestTakeoverTime ./gifts/
func TestTakeoverTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire in real time")
	}
	for _, kind := range shared {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			const users = 20
			const interval = 200 * time.Millisecond
			db := storagetest.Open(t, kind, inventory.Migrations(), gifts.Migrations())
			seed(t, db, 1, users)
			dbs := handles(t, db, kind, 2)
			var all []*gifts.Scheduler
			for i, db := range dbs {
				all = append(all, start(t, db, newGranter(db, 7), gifts.Options{Interval: interval,
					Holder: fmt.Sprintf("server-%d", i)}))
			}
			until := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("not %s after a minute", what)
					}
				}
			}
			var leader, follower *gifts.Scheduler
			until("leading", func() bool {
				for i, s := range all {
					if st := s.Stats(); st.Leader && st.Ticks >= 3 {
						leader, follower = s, all[1-i]
						return true
					}
				}
				return false
			})
			leader.Kill()
			killed := time.Now()
			until("taken over", func() bool { return follower.Stats().Leader })
			takeover := time.Since(killed)
			current := func() int64 { return time.Now().UnixNano() / int64(interval) }
			until("caught up", func() bool { return follower.Stats().Tick >= current() })
			stop(t, follower)

			got := ticksOf(t, db, "gifts")
			first, last := got[1][0], follower.Stats().Tick
			checkTicks(t, db, "gifts", users, span(first, last))
			t.Logf("takeover %v after the holder was killed (lease %v, renewed every %v; interval %v); %d ticks, %d by the follower",
				takeover.Round(time.Millisecond), gifts.DefaultLeaseDuration, gifts.DefaultLeaseDuration/3, interval,
				last-first+1, follower.Stats().Ticks)
			if takeover > 2*gifts.DefaultLeaseDuration {
				t.Errorf("takeover took %v, more than twice the lease (%v)", takeover, gifts.DefaultLeaseDuration)
			}
		})
	}
}
