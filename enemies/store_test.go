package enemies_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/gamekit/gamekit/storage"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/fsm"
	"github.com/gamekit/gamekit/storage/storagetest"
)

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

// The tutorial's shell session, on a stored monster: each step is saved,
// and the refusals change nothing.
func TestTutorialSession(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		const admin = 3

		// >>> m = Monster.objects.create()
		m := mustMonster(t, s)
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
		other := mustMonster(t, s)
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
		if !errors.Is(err, fsm.ErrGuardFailed) ||
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
	})
}

// Fire refuses bad arguments and unknown names and monsters before it
// changes anything.
func TestFireErrors(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := mustMonster(t, e.store)
		e.events.Take()
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
			{m.ID, "fly", enemies.Args{}, "", gamekit.ErrNotFound},
			{m.ID + 100, enemies.Attack, enemies.Args{User: userID(1)}, "", enemies.ErrMonsterNotFound},
		} {
			_, err := e.store.Fire(ctx, tc.id, tc.transition, tc.args, 1)
			var invalid *gamekit.InvalidError
			if !errors.Is(err, tc.kind) || (tc.field != "" && (!errors.As(err, &invalid) || len(invalid.Fields[tc.field]) == 0)) {
				t.Errorf("%s on %d with %+v: got %v, want %v %s", tc.transition, tc.id, tc.args, err, tc.kind, tc.field)
			}
		}
		if got, _ := e.store.Monster(ctx, m.ID); !same(got, m) {
			t.Errorf("after refusals: got %+v, want %+v", got, m)
		}
		if n, _ := e.store.CountHistory(ctx, enemies.HistoryOptions{}); n != 0 {
			t.Errorf("history after refusals: got %d entries, want 0", n)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("failed transitions announced %v", ev)
		}
	})
}

func TestCreateAndList(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		a := mustMonster(t, s)
		b := enemies.Monster{HealthPoints: 3} // no state: wandering
		if err := s.CreateMonster(ctx, &b); err != nil || b.State != enemies.Wandering || b.Version == 0 {
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
		for _, bad := range []struct {
			m     enemies.Monster
			field string
		}{
			{enemies.Monster{State: 99, HealthPoints: 1}, "state"},
			{enemies.Monster{HealthPoints: -1}, "health_points"},
			{enemies.Monster{HealthPoints: enemies.MaxHealthPoints + 1}, "health_points"},
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
			{enemies.ListOptions{Sort: "-id"}, "big,c,b,a"},
			{enemies.ListOptions{Sort: "health_points"}, "b,c,a,big"},
			{enemies.ListOptions{Sort: "-state"}, "c,big,b,a"},
			{enemies.ListOptions{State: enemies.LookingForAid}, "c"},
			{enemies.ListOptions{Limit: 2, Offset: 1}, "b,c"},
		} {
			if got := ids(s.Monsters(ctx, tc.opts)); got != tc.want {
				t.Errorf("%+v: got %v, want %v", tc.opts, got, tc.want)
			}
		}
		if n, err := s.CountMonsters(ctx, enemies.ListOptions{State: enemies.Wandering}); err != nil || n != 3 {
			t.Errorf("count wandering: got %d %v, want 3", n, err)
		}
		if _, err := s.Monsters(ctx, enemies.ListOptions{Sort: "id; DROP TABLE x"}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("unknown sort: got %v, want invalid", err)
		}
		if _, err := s.Monster(ctx, 999); !errors.Is(err, enemies.ErrMonsterNotFound) {
			t.Errorf("missing monster: got %v, want ErrMonsterNotFound", err)
		}
	})
}

func TestSetHealth(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		m := mustMonster(t, s)
		// Weak but wandering: nothing fires.
		got, err := s.SetHealth(ctx, m.ID, 1)
		if err != nil || got.State != enemies.Wandering || got.HealthPoints != 1 || got.Version != m.Version+1 {
			t.Errorf("health 1 while wandering: got %+v %v", got, err)
		}
		// Evading from attack at 1 health point: look_for_aid follows in the
		// same transaction as evade.
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
		for _, hp := range []int{-1, enemies.MaxHealthPoints + 1} {
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
	})
}

// A writer holding a version from before A → B → A is refused, though the
// state is A again, and its history entry is not written.
func TestStaleVersionRefused(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		stale := mustMonster(t, s)
		if _, err := s.Fire(ctx, stale.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1); err != nil {
			t.Fatal(err)
		}
		now, err := s.Fire(ctx, stale.ID, enemies.Wander, enemies.Args{}, 1)
		if err != nil || now.State != stale.State {
			t.Fatalf("back to wandering: got %+v %v", now, err)
		}
		changed := stale
		if err := changed.Fire(ctx, enemies.Attack, enemies.Args{User: userID(2)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOver(ctx, stale, changed, enemies.Attack); !errors.Is(err, enemies.ErrStale) {
			t.Errorf("stale write: got %v, want refused", err)
		}
		if got, _ := s.Monster(ctx, stale.ID); !same(got, now) {
			t.Errorf("after the stale write: got %+v, want %+v", got, now)
		}
		if h := history(t, s, stale.ID); len(h) != 2 {
			t.Errorf("history after the stale write: got %v, want attack and wander only", h)
		}
		// The same write over the current version goes through.
		changed = now
		if err := changed.Fire(ctx, enemies.Attack, enemies.Args{User: userID(2)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOver(ctx, now, changed, enemies.Attack); err != nil {
			t.Errorf("current write: got %v, want it saved", err)
		}
	})
}

// Committed changes are announced once each, with the monster as the API
// shows it; failures and changes inside a caller's transaction are not.
func TestEvents(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		m := mustMonster(t, s)
		m, _ = s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1)
		s.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1) // refused
		m, _ = s.SetHealth(ctx, m.ID, 4)
		if err := s.DeleteMonster(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range e.events.Take() {
			if ev.Channel != "monsters" {
				t.Errorf("event on channel %q", ev.Channel)
			}
			got = append(got, ev.Name+" "+mustJSON(t, ev.Data))
		}
		want := []string{
			fmt.Sprintf(`created {"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, m.ID),
			fmt.Sprintf(`updated {"id":%d,"state":"attacking","user_being_attacked":1,"health_points":10}`, m.ID),
			fmt.Sprintf(`updated {"id":%d,"state":"attacking","user_being_attacked":1,"health_points":4}`, m.ID),
			fmt.Sprintf(`deleted {"id":%d}`, m.ID),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("events:\ngot  %v\nwant %v", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}

		// A store on the caller's transaction announces once that
		// transaction commits, and a rolled-back transition leaves nothing
		// behind, not even an announcement.
		other := mustMonster(t, s)
		e.events.Take()
		fire := func(ctx context.Context, tx bun.Tx) error {
			inTx := storagetest.Must(enemies.NewSQLStore(tx, &enemies.StoreOptions{Publisher: e.events}))
			_, err := inTx.Fire(ctx, other.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1)
			if ev := e.events.Take(); len(ev) != 0 {
				t.Errorf("announced before the commit: %v", ev)
			}
			return err
		}
		rollback := errors.New("changed my mind")
		err := storage.RunInTx(ctx, e.db, func(ctx context.Context, tx bun.Tx) error {
			if err := fire(ctx, tx); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("transaction: got %v", err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("rolled-back transition announced %v", ev)
		}
		// bun's own transaction cannot be waited for: refused, not
		// announced too early.
		err = e.db.RunInTx(ctx, nil, fire)
		if !errors.Is(err, storage.ErrForeignTx) {
			t.Errorf("in bun's own transaction: got %v, want storage.ErrForeignTx", err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("a foreign transaction announced %v", ev)
		}
		if got, _ := s.Monster(ctx, other.ID); !same(got, other) || len(history(t, s, other.ID)) != 0 {
			t.Errorf("after rollback: got %+v with %v, want %+v and no history", got, history(t, s, other.ID), other)
		}
		if err := storage.RunInTx(ctx, e.db, fire); err != nil {
			t.Fatal(err)
		}
		if ev := e.events.Take(); len(ev) != 1 || ev[0].Name != enemies.EventUpdated {
			t.Errorf("after the commit: got %v, want one %s", ev, enemies.EventUpdated)
		}
	})
}

// The history stays after its monster is deleted, dated by the store's
// clock, and pages oldest first.
func TestHistory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
		s := storagetest.Must(enemies.NewSQLStore(db, &enemies.StoreOptions{Now: func() time.Time { return at }}))
		m := mustMonster(t, s)
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
		other := mustMonster(t, s)
		s.Fire(ctx, other.ID, "attack", enemies.Args{User: userID(1)}, 1)
		if err := s.DeleteMonster(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMonster(ctx, m.ID); !errors.Is(err, enemies.ErrMonsterNotFound) {
			t.Errorf("delete twice: got %v, want ErrMonsterNotFound", err)
		}
		page, err := s.History(ctx, enemies.HistoryOptions{Monster: m.ID, Limit: 2, Offset: 1})
		if err != nil || len(page) != 2 {
			t.Fatalf("page: got %v %v", page, err)
		}
		want := fmt.Sprintf(`{"monster":%d,"version":3,"transition":"wander","from":"attacking","to":"wandering","by":7,"at":"2026-11-23T11:00:00.123456Z"}`, m.ID)
		if got := mustJSON(t, page[0]); got != want {
			t.Errorf("entry: got %v, want %v", got, want)
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
		if n, err := s.CountHistory(ctx, enemies.HistoryOptions{}); err != nil || n != 5 {
			t.Errorf("count of every monster's: got %d %v, want 5", n, err)
		}
	}, enemies.Migrations())
}
