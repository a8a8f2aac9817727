package players_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage"
)

// What a refused move says, word for word: clients show it.
func TestRefusalMessages(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		p := mustPlayer(t, s, alice, "alice", 999.5, 0.5)
		for _, tc := range []struct {
			err  error
			want string
		}{
			{second(s.Move(ctx, p.ID, bob, 1, 0)),
				fmt.Sprintf("players: player %d belongs to another user: only its owner may move it", p.ID)},
			{second(s.Move(ctx, p.ID+1, alice, 1, 0)), fmt.Sprintf("players: player %d not found", p.ID+1)},
			{second(s.Move(ctx, p.ID, alice, 1, 0)),
				"invalid input: dx: Ensure this move keeps position_x between -1000 and 1000; it would be 1000.5."},
			{second(s.Move(ctx, p.ID, alice, 1, math.NaN())), "invalid input: dy: A valid finite number is required."},
			{second(s.Move(ctx, p.ID, alice, 2, 0)), "invalid input: dx: Ensure this value is between -1 and 1."},
			{second(s.MoveTo(ctx, p.ID, alice, 998, 0)),
				"invalid input: position_x: Ensure this value is within 1 of the current position, 999.5."},
			{second(s.MoveTo(ctx, p.ID, alice, 1001, 0)),
				"invalid input: position_x: Ensure this value is between -1000 and 1000."},
			{second(s.Player(ctx, p.ID+1)), fmt.Sprintf("players: player %d not found", p.ID+1)},
			{s.CreatePlayer(ctx, &players.Player{UserID: alice, Y: -1001}),
				"invalid input: position_y: Ensure this value is between -1000 and 1000."},
		} {
			if tc.err == nil || tc.err.Error() != tc.want {
				t.Errorf("got %v, want %q", tc.err, tc.want)
			}
		}
		for range players.DefaultRate {
			if _, err := s.Move(ctx, p.ID, alice, 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		want := fmt.Sprintf("players: player %d moved 10 times this second, the most allowed; retry in 1s", p.ID)
		if _, err := s.Move(ctx, p.ID, alice, 0, 0); err == nil || err.Error() != want {
			t.Errorf("over the rate: got %v, want %q", err, want)
		}
	})
}

func second(_ players.Player, err error) error { return err }

// A move refused while a concurrent move changed the player between the
// UPDATE and the read is tried again; if that keeps happening, it is a
// conflict, never an answer made up from a stale read.
func TestMoveRetries(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := mustPlayer(t, e.store, alice, "alice", 1000, 0)
		setX := func(x float64) {
			t.Helper()
			if _, err := e.db.NewUpdate().Model((*players.Player)(nil)).Set("position_x = ?", x).Where("id = ?", p.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// A move reads the clock before its UPDATE and again before the
		// read that says why it was refused: the test's clock plays there
		// the concurrent moves that land between the two statements.
		clock := newClock()
		racing := func(beforeUpdate, beforeRead func()) *players.SQLStore {
			calls := 0
			s, err := players.NewSQLStore(e.db, &players.StoreOptions{Publisher: e.events, Now: func() time.Time {
				calls++
				if calls%2 == 1 {
					beforeUpdate()
				} else {
					beforeRead()
				}
				return clock.Now()
			}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Refused at 1000; by the read another move took it to 999.
		reads := 0
		once := racing(func() {}, func() {
			reads++
			if reads == 1 {
				setX(999)
			}
		})
		setX(1000)
		got, err := once.Move(ctx, p.ID, alice, 1, 0)
		if err != nil || got.X != 1000 || reads != 1 {
			t.Errorf("retried move: got %+v %v after %d reads, want x 1000 after 1", got, err, reads)
		}

		// Every time: out of bounds for the UPDATE, in bounds for the read.
		reads = 0
		flaky := racing(func() { setX(1000) }, func() {
			reads++
			setX(999)
		})
		e.events.Take()
		_, err = flaky.Move(ctx, p.ID, alice, 1, 0)
		if !errors.Is(err, players.ErrConcurrentMove) || !errors.Is(err, gamekit.ErrConflict) || reads != players.MaxMoveAttempts ||
			!strings.Contains(err.Error(), "changing concurrently") {
			t.Errorf("always raced: got %v after %d reads, want a conflict after %d", err, reads, players.MaxMoveAttempts)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("a move that never happened was announced: %v", ev)
		}
	})
}

func TestStoreInTransaction(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := mustPlayer(t, e.store, alice, "alice", 0, 0)
		e.events.Take()
		inTx := func(commit bool) {
			t.Helper()
			rollback := errors.New("roll back")
			err := storage.RunInTx(ctx, e.db, func(ctx context.Context, tx bun.Tx) error {
				s, err := players.NewSQLStore(tx, &players.StoreOptions{Publisher: e.events, Now: e.clock.Now})
				if err != nil {
					return err
				}
				if _, err := s.Move(ctx, p.ID, alice, 1, 0); err != nil {
					return err
				}
				got, err := s.MoveTo(ctx, p.ID, alice, 2, 0)
				if err != nil {
					return err
				}
				if got.WindowMoves != 2 {
					t.Errorf("in the transaction: got %+v, want 2 moves in the window", got)
				}
				if _, err := s.Move(ctx, p.ID, bob, 1, 0); !errors.Is(err, players.ErrNotOwner) {
					t.Errorf("in the transaction, bob's move: got %v, want not owner", err)
				}
				if _, err := s.Move(ctx, p.ID+1, alice, 1, 0); !errors.Is(err, players.ErrPlayerNotFound) {
					t.Errorf("in the transaction, a missing player: got %v, want not found", err)
				}
				q := players.Player{UserID: bob}
				if err := s.CreatePlayer(ctx, &q); err != nil {
					return err
				}
				if ev := e.events.Take(); len(ev) != 0 {
					t.Errorf("announced before the commit: %v", ev)
				}
				if !commit {
					return rollback
				}
				return nil
			})
			if commit && err != nil || !commit && err != rollback {
				t.Fatalf("transaction: %v", err)
			}
		}
		inTx(false)
		if got := mustGet(t, e.store, p.ID); got != p {
			t.Errorf("after a rollback: got %+v, want %+v", got, p)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("a rolled-back transaction announced %v", ev)
		}
		inTx(true)
		if got := mustGet(t, e.store, p.ID); got.X != 2 || got.WindowMoves != 2 {
			t.Errorf("after a commit: got %+v, want x 2 and 2 moves", got)
		}
		if n, _ := e.store.CountPlayers(ctx, players.ListOptions{UserID: bob}); n != 1 {
			t.Errorf("bob's players after one commit: %d, want 1", n)
		}
		var names []string
		for _, ev := range e.events.Take() {
			names = append(names, ev.Name)
		}
		if want := []string{"updated", "updated", "created"}; !slices.Equal(names, want) {
			t.Errorf("after the commit: got events %v, want %v", names, want)
		}

		// A transaction storage.RunInTx did not begin cannot be waited
		// for: the move fails rather than being announced too early or
		// never.
		err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			s, err := players.NewSQLStore(tx, &players.StoreOptions{Publisher: e.events, Now: e.clock.Now})
			if err != nil {
				return err
			}
			_, err = s.Move(ctx, p.ID, alice, 1, 0)
			return err
		})
		if !errors.Is(err, storage.ErrForeignTx) {
			t.Errorf("in bun's own transaction: got %v, want storage.ErrForeignTx", err)
		}
		if got := mustGet(t, e.store, p.ID); got.X != 2 {
			t.Errorf("after a refused foreign transaction: got x %v, want 2", got.X)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("a foreign transaction announced %v", ev)
		}
	})
}
