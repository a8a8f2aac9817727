// Package enemiestest checks that an [enemies.Store] keeps the contract
// the package's handlers and the realtime clients rely on, as
// testing/fstest does for a file system: a host that wraps
// [enemies.SQLStore] (a cache, metrics) or brings a store of its own runs,
// in a test of its own, the suite that SQLStore passes on SQLite and
// PostgreSQL:
//
//	func TestMyStore(t *testing.T) {
//		enemiestest.TestStore(t, func(t *testing.T, opts *enemies.StoreOptions) enemies.Store {
//			db := storagetest.Open(t, storagetest.Memory, enemies.Migrations())
//			return &myStore{Store: storagetest.Must(enemies.NewSQLStore(db, opts))}
//		})
//	}
//
// # What the suite checks
//
// What the Store's documentation and SQLStore's promise: monsters are
// created (settling the automatic transitions that apply), read, listed
// (filtered by state, sorted, paged), counted and deleted; Fire follows
// the machine ([enemies.Machine]), refuses bad arguments as invalid input,
// an unknown transition as not found and a refused one as a conflict
// naming the transition and the state, and changes nothing when it
// refuses; SetHealth fires the automatic transitions it enables; every
// transition is in the history, oldest first, by whom and dated by
// opts.Now, and outlives its monster; of 100 goroutines firing at once on
// one monster exactly one wins each change and the others get a conflict
// (one that names the transition and the state when the change was lost to
// a concurrent one), and the history stays one unbroken chain; every
// committed change is announced once on [enemies.Channel], and nothing
// else is.
//
// # What newStore must do
//
// Each subtest calls newStore once, with its own t, and works on the store
// it returns: a new, empty store, configured by opts as NewSQLStore(db,
// opts) would be, announcing its changes through opts.Publisher once they
// are committed and dating history entries by opts.Now when it is set
// (opts is never nil). Release what it holds with t.Cleanup. The subtests
// run one after the other, and some use the store from many goroutines at
// once.
package enemiestest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/fsm"
)

// TestStore runs the conformance suite on the stores newStore makes, one
// subtest per part of the contract.
// tooHealthy is one more than a monster may have, where int can hold it; on
// a 32-bit platform it wraps to a negative value, which is refused too.
var tooHealthy = func() int { hp := int64(enemies.MaxHealthPoints); return int(hp + 1) }()

func TestStore(t *testing.T, newStore func(t *testing.T, opts *enemies.StoreOptions) enemies.Store) {
	t.Helper()
	run := func(name string, test func(t *testing.T, e *env)) {
		t.Run(name, func(t *testing.T) {
			e := &env{at: time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))}
			e.store = newStore(t, &enemies.StoreOptions{Publisher: &e.events, Now: func() time.Time { return e.at }})
			test(t, e)
		})
	}
	run("TutorialSession", testTutorialSession)
	run("FireErrors", testFireErrors)
	run("CreateAndList", testCreateAndList)
	run("SetHealth", testSetHealth)
	run("Events", testEvents)
	run("History", testHistory)
	run("ConcurrentTransitionsOneWinner", testConcurrentOneWinner)
	run("ConcurrentTransitionsHistory", testConcurrentHistory)
}

// env is what a subtest works with: the store, what it announced, and the
// time its clock says.
type env struct {
	store  enemies.Store
	events announcements
	at     time.Time
}

// announcements is a gamekit.Publisher that keeps each event it is given
// as "channel name data-as-JSON".
type announcements struct {
	mu   sync.Mutex
	list []string
}

func (a *announcements) Publish(_ context.Context, ev gamekit.Event) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		data = []byte(err.Error()) // Data must encode as JSON: the comparison fails
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, fmt.Sprintf("%s %s %s", ev.Channel, ev.Name, data))
	return nil
}

// take returns the events announced since it was last called.
func (a *announcements) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := a.list
	a.list = nil
	return list
}

// The tutorial's shell session, on a stored monster: each step is saved,
// and the refusals change nothing.
func testTutorialSession(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	const admin = 3

	// >>> m = Monster.objects.create()
	m := newMonster(t, s)
	if m.ID == 0 || m.State != enemies.Wandering || m.HealthPoints != 10 || m.UserBeingAttacked != nil {
		t.Fatalf("created: got %+v, want a wandering monster with 10 health points", m)
	}
	// >>> m.attack(user); m.save()
	m, err := s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(1)}, admin)
	if err != nil || m.State != enemies.Attacking || m.UserBeingAttacked == nil || *m.UserBeingAttacked != 1 {
		t.Fatalf("attack: got %+v %v, want attacking user 1", m, err)
	}
	// >>> m.evade(); m.save()
	if m, err = s.Fire(ctx, m.ID, enemies.Evade, enemies.Args{}, admin); err != nil || m.State != enemies.Evading {
		t.Fatalf("evade: got %+v %v, want evading", m, err)
	}
	// >>> m.health_points = 2; m.save()  → looking for aid by itself
	if m, err = s.SetHealth(ctx, m.ID, 2); err != nil || m.State != enemies.LookingForAid || m.HealthPoints != 2 {
		t.Fatalf("health 2: got %+v %v, want looking for aid", m, err)
	}
	stored, err := s.Monster(ctx, m.ID)
	if err != nil || !same(stored, m) {
		t.Errorf("stored: got %+v %v, want %+v", stored, err, m)
	}
	if got, want := strings.Join(history(t, s, m.ID), " "),
		"attack:wandering>attacking evade:attacking>evading look_for_aid:evading>looking for aid"; got != want {
		t.Errorf("history: got %v, want %v", got, want)
	}
	entries, _ := s.History(ctx, enemies.HistoryOptions{Monster: m.ID})
	if by := entries[0].By; by == nil || *by != admin || entries[2].By != nil {
		t.Errorf("by: got %v and %v, want the admin for attack and nobody for look_for_aid", entries[0].By, entries[2].By)
	}

	// The refusals: evade from wandering, look_for_aid with 10 health points.
	other := newMonster(t, s)
	_, err = s.Fire(ctx, other.ID, enemies.Evade, enemies.Args{}, admin)
	if !errors.Is(err, fsm.ErrNotAllowed) || !errors.Is(err, gamekit.ErrConflict) ||
		err.Error() != `fsm: transition "evade" not allowed from wandering` {
		t.Errorf("evade from wandering: got %v, want not allowed, naming evade and wandering", err)
	}
	if _, err := s.Fire(ctx, other.ID, enemies.Attack, enemies.Args{User: userID(2)}, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fire(ctx, other.ID, enemies.Evade, enemies.Args{}, admin); err != nil {
		t.Fatal(err)
	}
	_, err = s.Fire(ctx, other.ID, enemies.LookForAid, enemies.Args{}, admin)
	if !errors.Is(err, fsm.ErrGuardFailed) || !errors.Is(err, gamekit.ErrConflict) ||
		err.Error() != `fsm: transition "look_for_aid" from evading: guard "health_points <= 5" failed` {
		t.Errorf("look_for_aid with 10 health points: got %v, want the guard named", err)
	}
	if got, _ := s.Monster(ctx, other.ID); got.State != enemies.Evading || len(history(t, s, other.ID)) != 2 {
		t.Errorf("after refusals: got %s with %v, want evading after attack and evade", got.State, history(t, s, other.ID))
	}

	// Wandering again clears the target.
	if m, err = s.Fire(ctx, m.ID, enemies.Wander, enemies.Args{}, admin); err != nil || m.State != enemies.Wandering || m.UserBeingAttacked != nil {
		t.Errorf("wander: got %+v %v, want wandering, attacking nobody", m, err)
	}
}

// Fire refuses bad arguments and unknown names and monsters before it
// changes anything.
func testFireErrors(t *testing.T, e *env) {
	ctx := context.Background()
	m := newMonster(t, e.store)
	e.events.take()
	for _, tc := range []struct {
		id         int64
		transition string
		args       enemies.Args
		field      string // for invalid input
		kind       error
	}{
		{m.ID, enemies.Attack, enemies.Args{}, "user", gamekit.ErrInvalid},
		{m.ID, enemies.Attack, enemies.Args{User: userID(-1)}, "user", gamekit.ErrInvalid},
		{m.ID, enemies.Wander, enemies.Args{User: userID(1)}, "user", gamekit.ErrInvalid},
		{m.ID, "fly", enemies.Args{}, "", fsm.ErrUnknownTransition},
		{m.ID + 100, enemies.Attack, enemies.Args{User: userID(1)}, "", enemies.ErrMonsterNotFound},
	} {
		_, err := e.store.Fire(ctx, tc.id, tc.transition, tc.args, 1)
		var invalid *gamekit.InvalidError
		if !errors.Is(err, tc.kind) || (tc.field != "" && (!errors.As(err, &invalid) || len(invalid.Fields[tc.field]) == 0)) {
			t.Errorf("%s on %d with %+v: got %v, want %v %s", tc.transition, tc.id, tc.args, err, tc.kind, tc.field)
		}
	}
	if _, err := e.store.Fire(ctx, m.ID, "fly", enemies.Args{}, 1); !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("an unknown transition: got %v, want not found", err)
	}
	if got, _ := e.store.Monster(ctx, m.ID); !same(got, m) {
		t.Errorf("after refusals: got %+v, want %+v", got, m)
	}
	if n, _ := e.store.CountHistory(ctx, enemies.HistoryOptions{}); n != 0 {
		t.Errorf("history after refusals: got %d entries, want 0", n)
	}
	if ev := e.events.take(); len(ev) != 0 {
		t.Errorf("failed transitions announced %v", ev)
	}
}

func testCreateAndList(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	a := newMonster(t, s)
	b := enemies.Monster{HealthPoints: 3} // no state: wandering
	if err := s.CreateMonster(ctx, &b); err != nil || b.State != enemies.Wandering || b.ID == 0 || b.Version == 0 {
		t.Fatalf("create with defaults: got %+v %v", b, err)
	}
	// Created evading and weak, it looks for aid at once, and says so.
	c := enemies.Monster{State: enemies.Evading, HealthPoints: 4, UserBeingAttacked: userID(9)}
	if err := s.CreateMonster(ctx, &c); err != nil || c.State != enemies.LookingForAid {
		t.Fatalf("create evading at 4: got %+v %v, want looking for aid", c, err)
	}
	if got := history(t, s, c.ID); len(got) != 1 || got[0] != "look_for_aid:evading>looking for aid" {
		t.Errorf("history of c: got %v", got)
	}
	if got, err := s.Monster(ctx, c.ID); err != nil || !same(got, c) {
		t.Errorf("read back: got %+v %v, want %+v", got, err, c)
	}
	for _, bad := range []struct {
		m     enemies.Monster
		field string
	}{
		{enemies.Monster{State: 99, HealthPoints: 1}, "state"},
		{enemies.Monster{HealthPoints: -1}, "health_points"},
		{enemies.Monster{HealthPoints: tooHealthy}, "health_points"},
		{enemies.Monster{HealthPoints: 1, UserBeingAttacked: userID(0)}, "user_being_attacked"},
	} {
		err := s.CreateMonster(ctx, &bad.m)
		var invalid *gamekit.InvalidError
		if !errors.As(err, &invalid) || len(invalid.Fields[bad.field]) == 0 {
			t.Errorf("create %+v: got %v, want a message for %s", bad.m, err, bad.field)
		}
	}
	if big := (enemies.Monster{HealthPoints: enemies.MaxHealthPoints}); s.CreateMonster(ctx, &big) != nil {
		t.Error("MaxHealthPoints refused")
	}

	ids := func(ms []enemies.Monster, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, m := range ms {
			switch m.ID {
			case a.ID:
				parts = append(parts, "a")
			case b.ID:
				parts = append(parts, "b")
			case c.ID:
				parts = append(parts, "c")
			default:
				parts = append(parts, "big")
			}
		}
		return strings.Join(parts, ",")
	}
	for _, tc := range []struct {
		opts enemies.ListOptions
		want string
	}{
		{enemies.ListOptions{}, "a,b,c,big"},
		{enemies.ListOptions{Sort: "id"}, "a,b,c,big"},
		{enemies.ListOptions{Sort: "-id"}, "big,c,b,a"},
		{enemies.ListOptions{Sort: "health_points"}, "b,c,a,big"},
		{enemies.ListOptions{Sort: "-health_points"}, "big,a,c,b"},
		{enemies.ListOptions{Sort: "state"}, "a,b,big,c"},
		{enemies.ListOptions{Sort: "-state"}, "c,big,b,a"},
		{enemies.ListOptions{State: enemies.LookingForAid}, "c"},
		{enemies.ListOptions{State: enemies.Wandering, Sort: "-id"}, "big,b,a"},
		{enemies.ListOptions{Limit: 2, Offset: 1}, "b,c"},
		{enemies.ListOptions{Offset: 4}, ""},
	} {
		if got := ids(s.Monsters(ctx, tc.opts)); got != tc.want {
			t.Errorf("%+v: got %v, want %v", tc.opts, got, tc.want)
		}
	}
	if n, err := s.CountMonsters(ctx, enemies.ListOptions{State: enemies.Wandering}); err != nil || n != 3 {
		t.Errorf("count wandering: got %d %v, want 3", n, err)
	}
	if n, err := s.CountMonsters(ctx, enemies.ListOptions{Limit: 1}); err != nil || n != 4 {
		t.Errorf("count with a page: got %d %v, want 4 (paging does not count)", n, err)
	}
	if _, err := s.Monsters(ctx, enemies.ListOptions{Sort: "id; DROP TABLE x"}); !errors.Is(err, gamekit.ErrInvalid) {
		t.Errorf("unknown sort: got %v, want invalid", err)
	}
	if _, err := s.Monster(ctx, 999); !errors.Is(err, enemies.ErrMonsterNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("missing monster: got %v, want ErrMonsterNotFound", err)
	}
}

func testSetHealth(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	m := newMonster(t, s)
	// Weak but wandering: nothing fires.
	got, err := s.SetHealth(ctx, m.ID, 1)
	if err != nil || got.State != enemies.Wandering || got.HealthPoints != 1 || got.Version <= m.Version {
		t.Errorf("health 1 while wandering: got %+v %v", got, err)
	}
	// Evading from attack at 1 health point: look_for_aid follows in the
	// same change as evade.
	if _, err := s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(5)}, 1); err != nil {
		t.Fatal(err)
	}
	got, err = s.Fire(ctx, m.ID, enemies.Evade, enemies.Args{}, 1)
	if err != nil || got.State != enemies.LookingForAid {
		t.Errorf("evade at 1 health point: got %+v %v, want looking for aid", got, err)
	}
	if h := history(t, s, m.ID); len(h) != 3 || h[2] != "look_for_aid:evading>looking for aid" {
		t.Errorf("history: got %v", h)
	}
	for _, hp := range []int{-1, tooHealthy} {
		var invalid *gamekit.InvalidError
		if _, err := s.SetHealth(ctx, m.ID, hp); !errors.As(err, &invalid) || len(invalid.Fields["health_points"]) == 0 {
			t.Errorf("health %d: got %v, want a message for health_points", hp, err)
		}
	}
	if _, err := s.SetHealth(ctx, 999, 3); !errors.Is(err, enemies.ErrMonsterNotFound) {
		t.Errorf("health of a missing monster: got %v, want ErrMonsterNotFound", err)
	}
	if got, _ := s.Monster(ctx, m.ID); got.HealthPoints != 1 {
		t.Errorf("after refused changes: got %d health points, want 1", got.HealthPoints)
	}
}

// Committed changes are announced once each, with the monster as the API
// shows it; refused ones are not.
func testEvents(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	m := newMonster(t, s)
	m, _ = s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1)
	s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1) // refused
	m, _ = s.SetHealth(ctx, m.ID, 4)
	s.SetHealth(ctx, m.ID, -1) // refused
	if err := s.DeleteMonster(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMonster(ctx, m.ID); !errors.Is(err, enemies.ErrMonsterNotFound) {
		t.Errorf("delete twice: got %v, want ErrMonsterNotFound", err)
	}
	want := []string{
		fmt.Sprintf(`monsters created {"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, m.ID),
		fmt.Sprintf(`monsters updated {"id":%d,"state":"attacking","user_being_attacked":1,"health_points":10}`, m.ID),
		fmt.Sprintf(`monsters updated {"id":%d,"state":"attacking","user_being_attacked":1,"health_points":4}`, m.ID),
		fmt.Sprintf(`monsters deleted {"id":%d}`, m.ID),
	}
	if got := e.events.take(); !slices.Equal(got, want) {
		t.Errorf("events:\ngot  %v\nwant %v", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if _, err := s.Monster(ctx, m.ID); !errors.Is(err, enemies.ErrMonsterNotFound) {
		t.Errorf("deleted monster: got %v, want ErrMonsterNotFound", err)
	}
}

// The history stays after its monster is deleted, dated by the store's
// clock, and pages oldest first.
func testHistory(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	m := newMonster(t, s)
	// Versions: created 1, attack 2, wander 3, health 4, attack 5, evade 6.
	for _, tr := range []string{"attack", "wander", "health", "attack", "evade"} {
		var err error
		switch tr {
		case "health":
			_, err = s.SetHealth(ctx, m.ID, 8)
		case "attack":
			_, err = s.Fire(ctx, m.ID, tr, enemies.Args{User: userID(7)}, 7)
		default:
			_, err = s.Fire(ctx, m.ID, tr, enemies.Args{}, 7)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	other := newMonster(t, s)
	if _, err := s.Fire(ctx, other.ID, "attack", enemies.Args{User: userID(1)}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMonster(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.History(ctx, enemies.HistoryOptions{Monster: m.ID, Limit: 2, Offset: 1})
	if err != nil || len(page) != 2 {
		t.Fatalf("page: got %v %v", page, err)
	}
	want := fmt.Sprintf(`{"monster":%d,"version":3,"transition":"wander","from":"attacking","to":"wandering","by":7,"at":"2026-11-23T11:00:00.123456Z"}`, m.ID)
	if got, err := json.Marshal(page[0]); err != nil || string(got) != want {
		t.Errorf("entry: got %s %v, want %v", got, err, want)
	}
	if page[1].Transition != "attack" || page[1].Version != 5 {
		t.Errorf("second entry: got %+v, want the second attack, version 5", page[1])
	}
	all, err := s.History(ctx, enemies.HistoryOptions{})
	if err != nil || len(all) != 5 || all[3].MonsterID != m.ID || all[4].MonsterID != other.ID || all[4].Version != 2 {
		t.Errorf("every monster's history: got %+v %v, want m's four, then other's attack", all, err)
	}
	if n, err := s.CountHistory(ctx, enemies.HistoryOptions{Monster: m.ID}); err != nil || n != 4 {
		t.Errorf("count: got %d %v, want 4", n, err)
	}
	if n, err := s.CountHistory(ctx, enemies.HistoryOptions{Limit: 1}); err != nil || n != 5 {
		t.Errorf("count of every monster's: got %d %v, want 5", n, err)
	}
}

const goroutines = 100

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
func testConcurrentOneWinner(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	m := newMonster(t, s)
	e.events.take()
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
				// What a client is told: which change lost, from where.
				if msg := err.Error(); !errors.Is(err, gamekit.ErrConflict) ||
					!strings.Contains(msg, fmt.Sprintf("%q", round.transition)) || !strings.Contains(msg, before.State.String()) {
					t.Errorf("lost on the version check: got %q, want a conflict naming %q and %s", msg, round.transition, before.State)
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
		if events := e.events.take(); len(events) != round.winners {
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
	if events := e.events.take(); len(events) != goroutines {
		t.Errorf("health changes: %d events, want %d", len(events), goroutines)
	}
}

// 100 goroutines fire random transitions and set random health on one
// monster for a while: every successful write has a version of its own,
// the last is the monster's, and the history is one unbroken chain from
// the first state to the final one, with each goroutine's wins in it.
func testConcurrentHistory(t *testing.T, e *env) {
	const perGoroutine = 20
	ctx := context.Background()
	s := e.store
	m := newMonster(t, s)
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
}

// newMonster stores a monster as the tutorial creates one.
func newMonster(t *testing.T, s enemies.Store) enemies.Monster {
	t.Helper()
	m := enemies.NewMonster()
	if err := s.CreateMonster(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// history returns a monster's transitions as "name:from>to" strings.
func history(t *testing.T, s enemies.Store, id int64) []string {
	t.Helper()
	entries, err := s.History(context.Background(), enemies.HistoryOptions{Monster: id})
	if err != nil {
		t.Fatal(err)
	}
	steps := make([]string, len(entries))
	for i, e := range entries {
		steps[i] = fmt.Sprintf("%s:%s>%s", e.Transition, e.From, e.To)
	}
	return steps
}

func userID(id int64) *int64 { return &id }

// same reports whether two monsters hold the same values, the value of
// UserBeingAttacked rather than the pointer.
func same(a, b enemies.Monster) bool { return describe(a) == describe(b) }

// describe writes out every field of m.
func describe(m enemies.Monster) string {
	target := "nobody"
	if m.UserBeingAttacked != nil {
		target = fmt.Sprint(*m.UserBeingAttacked)
	}
	return fmt.Sprintf("monster %d, %s %s, %d health points, version %d", m.ID, m.State, target, m.HealthPoints, m.Version)
}
