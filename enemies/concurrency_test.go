package enemies_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/fsm"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

const goroutines = 100

var concurrencyKinds = []storagetest.Kind{storagetest.Memory, storagetest.File, storagetest.Postgres}

// together runs fn(i) on n goroutines released at the same moment and
// waits for them.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// lostRace reports whether err is how a transition that lost a race must
// fail: a conflict, either the version check or, when it started after the
// winner committed, the machine's refusal.
func lostRace(err error) bool {
	return errors.Is(err, enemies.ErrConcurrentChange) || errors.Is(err, fsm.ErrNotAllowed) || errors.Is(err, fsm.ErrGuardFailed)
}

// 100 goroutines fire the same transition on one monster from the same
// state, round after round: exactly one wins each state change, the others
// get a conflict, and the history is exactly the winners'.
func TestConcurrentTransitionsOneWinner(t *testing.T) {
	storagetest.RunOn(t, concurrencyKinds, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		ev := &apitest.Events{}
		s := storagetest.Must(enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: ev}))
		m := mustMonster(t, s)
		ev.Take()
		var want []string
		for _, round := range []struct {
			transition string
			to         enemies.State
			winners    int
		}{
			{enemies.Attack, enemies.Attacking, 1},
			{enemies.Wander, enemies.Wandering, 1},
			{enemies.Attack, enemies.Attacking, 1},
			{enemies.Evade, enemies.Evading, 1},
			{enemies.LookForAid, enemies.Evading, 0}, // 10 health points: the guard refuses all
		} {
			args := enemies.Args{}
			if round.transition == enemies.Attack {
				args.User = userID(1)
			}
			before, err := s.Monster(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			// What a client is told when it loses on the version check.
			lostMessage := fmt.Sprintf("enemies: transition %q from %s: the monster changed concurrently; read it again and retry",
				round.transition, before.State)
			var mu sync.Mutex
			var winners []int
			versionLost := 0
			together(goroutines, func(i int) {
				_, err := s.Fire(ctx, m.ID, round.transition, args, int64(i+1))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, i+1)
				case errors.Is(err, enemies.ErrConcurrentChange):
					versionLost++
					if err.Error() != lostMessage {
						t.Errorf("lost on the version check: got %q, want %q", err, lostMessage)
					}
				case !lostRace(err):
					t.Errorf("%s: %v", round.transition, err)
				}
			})
			if len(winners) != round.winners {
				t.Fatalf("%s: %d winners, want %d", round.transition, len(winners), round.winners)
			}
			got, err := s.Monster(ctx, m.ID)
			if err != nil || got.State != round.to {
				t.Fatalf("after %s: got %s %v, want %s", round.transition, got.State, err, round.to)
			}
			if round.winners == 1 {
				want = append(want, fmt.Sprintf("%s by %d", round.transition, winners[0]))
			}
			if events := ev.Take(); len(events) != round.winners {
				t.Errorf("%s: %d events, want %d", round.transition, len(events), round.winners)
			}
			t.Logf("%s: %d lost on the version check, %d refused by the machine",
				round.transition, versionLost, goroutines-round.winners-versionLost)
		}
		entries, err := s.History(ctx, enemies.HistoryOptions{Monster: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, fmt.Sprintf("%s by %d", e.Transition, *e.By))
		}
		if !slices.Equal(got, want) {
			t.Errorf("history: got %v, want %v", got, want)
		}

		// 100 health changes at once all succeed (a health change does not
		// depend on what it read), and the one that enables look_for_aid
		// fires it once.
		together(goroutines, func(i int) {
			if _, err := s.SetHealth(ctx, m.ID, 1+i%5); err != nil {
				t.Errorf("health: %v", err)
			}
		})
		final, err := s.Monster(ctx, m.ID)
		if err != nil || final.State != enemies.LookingForAid {
			t.Errorf("after the health changes: got %+v %v, want looking for aid", final, err)
		}
		if h := history(t, s, m.ID); len(h) != len(want)+1 || h[len(h)-1] != "look_for_aid:evading>looking for aid" {
			t.Errorf("history after the health changes: got %v, want one look_for_aid more", h)
		}
		if events := ev.Take(); len(events) != goroutines {
			t.Errorf("health changes: %d events, want %d", len(events), goroutines)
		}
	}, enemies.Migrations())
}

// 100 goroutines fire random transitions and set random health on one
// monster for a while: every successful write has a version of its own,
// the last is the monster's, and the history is one unbroken chain from
// the first state to the final one, with each goroutine's wins in it.
func TestConcurrentTransitionsHistory(t *testing.T) {
	const perGoroutine = 20
	storagetest.RunOn(t, concurrencyKinds, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := storagetest.Must(enemies.NewSQLStore(db, nil))
		m := mustMonster(t, s)
		names := []string{enemies.Attack, enemies.Wander, enemies.Evade, enemies.LookForAid}

		var mu sync.Mutex
		versions := []int64{m.Version}
		wins := make(map[int64]int) // by user
		together(goroutines, func(i int) {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for range perGoroutine {
				var got enemies.Monster
				var err error
				if rng.IntN(5) == 0 {
					got, err = s.SetHealth(ctx, m.ID, rng.IntN(11))
				} else {
					name := names[rng.IntN(len(names))]
					args := enemies.Args{}
					if name == enemies.Attack {
						args.User = userID(int64(i + 1))
					}
					got, err = s.Fire(ctx, m.ID, name, args, int64(i+1))
					if err == nil {
						mu.Lock()
						wins[int64(i+1)]++
						mu.Unlock()
					}
				}
				if err != nil {
					if !lostRace(err) {
						t.Errorf("goroutine %d: %v", i, err)
					}
					continue
				}
				mu.Lock()
				versions = append(versions, got.Version)
				mu.Unlock()
			}
		})

		slices.Sort(versions)
		for i := 1; i < len(versions); i++ {
			if versions[i] == versions[i-1] {
				t.Fatalf("two writers both saved version %d", versions[i])
			}
		}
		final, err := s.Monster(ctx, m.ID)
		if err != nil || final.Version != versions[len(versions)-1] {
			t.Fatalf("final: got %+v %v, want version %d", final, err, versions[len(versions)-1])
		}
		entries, err := s.History(ctx, enemies.HistoryOptions{Monster: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		state := enemies.Wandering
		byUser := make(map[int64]int)
		for i, e := range entries {
			if e.From != state {
				t.Fatalf("entry %d (%s %s → %s) starts where the previous one did not end (%s)", i, e.Transition, e.From, e.To, state)
			}
			state = e.To
			if e.By != nil {
				byUser[*e.By]++
			} else if e.Transition != enemies.LookForAid {
				t.Errorf("entry %d: %s by nobody", i, e.Transition)
			}
		}
		if state != final.State {
			t.Errorf("history ends in %s, the monster is %s", state, final.State)
		}
		if len(byUser) != len(wins) {
			t.Errorf("history names %d users, %d won", len(byUser), len(wins))
		}
		for user, n := range wins {
			if byUser[user] != n {
				t.Errorf("user %d won %d transitions, the history has %d", user, n, byUser[user])
			}
		}
		t.Logf("%d writes, %d transitions recorded, final state %s", len(versions)-1, len(entries), final.State)
		if len(entries) < 5 {
			t.Errorf("only %d transitions in %d attempts: the test proves little", len(entries), goroutines*perGoroutine)
		}
	}, enemies.Migrations())
}

var _ gamekit.Publisher = (*apitest.Events)(nil)
