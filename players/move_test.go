package players_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/gamekit/gamekit/storage"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
)

// fieldsOf returns the fields an *gamekit.InvalidError has messages for,
// sorted, or nil for any other error.
func fieldsOf(err error) []string {
	var invalid *gamekit.InvalidError
	if !errors.As(err, &invalid) {
		return nil
	}
	var fields []string
	for f := range invalid.Fields {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	return fields
}

// The anti-cheat rules: every move outside them is refused with the error
// that says why, leaves the player as it was in the database, and is not
// announced.
func TestMoveRefusals(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		p := mustPlayer(t, s, alice, "alice", 0, 0)
		edge := mustPlayer(t, s, alice, "alice", 1000, -999.5)
		missing := edge.ID + 100
		e.events.Take()
		nan, inf := math.NaN(), math.Inf(1)
		move := func(id, by int64, dx, dy float64) func() (players.Player, error) {
			return func() (players.Player, error) { return s.Move(ctx, id, by, dx, dy) }
		}
		moveTo := func(id, by int64, x, y float64) func() (players.Player, error) {
			return func() (players.Player, error) { return s.MoveTo(ctx, id, by, x, y) }
		}
		for _, tc := range []struct {
			name   string
			try    func() (players.Player, error)
			kind   error
			fields []string // of an *gamekit.InvalidError
		}{
			{"another's player", move(p.ID, bob, 1, 0), players.ErrNotOwner, nil},
			{"another's player, to", moveTo(p.ID, bob, 1, 0), players.ErrNotOwner, nil},
			{"no user", move(p.ID, 0, 1, 0), players.ErrNotOwner, nil},
			{"step 1.5 on x", move(p.ID, alice, 1.5, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"step 1.5 on y", move(p.ID, alice, 0, 1.5), gamekit.ErrInvalid, []string{"dy"}},
			{"step -1.5 on x", move(p.ID, alice, -1.5, 1), gamekit.ErrInvalid, []string{"dx"}},
			{"step 1.5 on both", move(p.ID, alice, 1.5, -1.5), gamekit.ErrInvalid, []string{"dx", "dy"}},
			{"step 1.000001", move(p.ID, alice, 1.000001, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"to a step of 1.5 on x", moveTo(p.ID, alice, 1.5, 0), gamekit.ErrInvalid, []string{"position_x"}},
			{"to a step of 1.5 on y", moveTo(p.ID, alice, 0, -1.5), gamekit.ErrInvalid, []string{"position_y"}},
			{"to a step of 1.5 on both", moveTo(p.ID, alice, -1.5, 1.5), gamekit.ErrInvalid, []string{"position_x", "position_y"}},
			{"beyond +x", move(edge.ID, alice, 1, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"beyond +x by a hair", move(edge.ID, alice, 1e-9, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"beyond -y", move(edge.ID, alice, 0, -1), gamekit.ErrInvalid, []string{"dy"}},
			{"beyond both", move(edge.ID, alice, 0.5, -0.75), gamekit.ErrInvalid, []string{"dx", "dy"}},
			{"to beyond +x", moveTo(edge.ID, alice, 1000.5, -999.5), gamekit.ErrInvalid, []string{"position_x"}},
			{"to beyond -y", moveTo(edge.ID, alice, 1000, -1000.25), gamekit.ErrInvalid, []string{"position_y"}},
			{"dx NaN", move(p.ID, alice, nan, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"dy +Inf", move(p.ID, alice, 0, inf), gamekit.ErrInvalid, []string{"dy"}},
			{"dx -Inf", move(p.ID, alice, -inf, 1), gamekit.ErrInvalid, []string{"dx"}},
			{"to NaN", moveTo(p.ID, alice, nan, 0), gamekit.ErrInvalid, []string{"position_x"}},
			{"to +Inf", moveTo(p.ID, alice, 0, inf), gamekit.ErrInvalid, []string{"position_y"}},
			{"to -Inf, NaN", moveTo(p.ID, alice, -inf, nan), gamekit.ErrInvalid, []string{"position_x", "position_y"}},
			// Bad input is refused before the player is looked at.
			{"another's player, NaN", move(p.ID, bob, nan, 0), gamekit.ErrInvalid, []string{"dx"}},
			{"missing player", move(missing, alice, 1, 0), players.ErrPlayerNotFound, nil},
			{"missing player, to", moveTo(missing, alice, 1, 0), players.ErrPlayerNotFound, nil},
		} {
			got, err := tc.try()
			if !errors.Is(err, tc.kind) || !slices.Equal(fieldsOf(err), tc.fields) {
				t.Errorf("%s: got %+v, %v; want %v with fields %v", tc.name, got, err, tc.kind, tc.fields)
			}
			if got != (players.Player{}) {
				t.Errorf("%s: refused, but returned %+v", tc.name, got)
			}
		}
		if stored := mustGet(t, s, p.ID); stored != p {
			t.Errorf("after refusals: got %+v, want %+v unchanged", stored, p)
		}
		if stored := mustGet(t, s, edge.ID); stored != edge {
			t.Errorf("after refusals: got %+v, want %+v unchanged", stored, edge)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("refused moves announced %v", ev)
		}
	})
}

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
		} {
			if tc.err == nil || tc.err.Error() != tc.want {
				t.Errorf("got %v, want %q", tc.err, tc.want)
			}
		}
	})
}

func second(_ players.Player, err error) error { return err }

// Moves within the rules are saved, returned as saved and announced with
// only the published fields, once each, after they are in the database.
func TestMoves(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		p := mustPlayer(t, s, alice, "alice", 0, 0)
		edge := mustPlayer(t, s, alice, "alice", 999.5, -999.5)
		e.events.Take()
		x := 0.1 + 1 // as a client computes a step of 1 from 0.1
		for _, tc := range []struct {
			name string
			try  func() (players.Player, error)
			id   int64
			x, y float64
		}{
			{"step 1, -1", func() (players.Player, error) { return s.Move(ctx, p.ID, alice, 1, -1) }, p.ID, 1, -1},
			{"step -1, 0.25", func() (players.Player, error) { return s.Move(ctx, p.ID, alice, -1, 0.25) }, p.ID, 0, -0.75},
			{"no step", func() (players.Player, error) { return s.Move(ctx, p.ID, alice, 0, 0) }, p.ID, 0, -0.75},
			{"to a step of 1", func() (players.Player, error) { return s.MoveTo(ctx, p.ID, alice, -1, 0.25) }, p.ID, -1, 0.25},
			{"to 0.1", func() (players.Player, error) { return s.MoveTo(ctx, p.ID, alice, -0.9, 0.1) }, p.ID, -0.9, 0.1},
			{"to 0.1 + 1", func() (players.Player, error) { return s.MoveTo(ctx, p.ID, alice, -0.9, x) }, p.ID, -0.9, x},
			{"onto the bounds", func() (players.Player, error) { return s.Move(ctx, edge.ID, alice, 0.5, -0.5) }, edge.ID, 1000, -1000},
			{"along the bounds", func() (players.Player, error) { return s.MoveTo(ctx, edge.ID, alice, 1000, -999) }, edge.ID, 1000, -999},
			{"admin: far", func() (players.Player, error) { return s.SetPosition(ctx, p.ID, 500, -1000) }, p.ID, 500, -1000},
		} {
			e.clock.Advance(time.Second) // no rate limit here
			got, err := tc.try()
			if err != nil || got.ID != tc.id || got.X != tc.x || got.Y != tc.y || got.UserID != alice || got.Username != "alice" {
				t.Fatalf("%s: got %+v %v, want player %d at (%v, %v)", tc.name, got, err, tc.id, tc.x, tc.y)
			}
			if stored := mustGet(t, s, tc.id); stored != got {
				t.Errorf("%s: stored %+v, returned %+v", tc.name, stored, got)
			}
			ev := e.events.Take()
			want := fmt.Sprintf(`{"id":%d,"position_x":%v,"position_y":%v}`, tc.id, tc.x, tc.y)
			if len(ev) != 1 || ev[0].Channel != players.Channel || ev[0].Name != players.EventUpdated || mustJSON(t, ev[0].Data) != want {
				t.Errorf("%s: announced %+v, want one updated event with %s", tc.name, ev, want)
			}
		}
		if _, err := s.SetPosition(ctx, p.ID, 1000.5, 0); !slices.Equal(fieldsOf(err), []string{"position_x"}) {
			t.Errorf("admin beyond the bounds: got %v, want invalid position_x", err)
		}
		if _, err := s.SetPosition(ctx, p.ID, 0, math.NaN()); !slices.Equal(fieldsOf(err), []string{"position_y"}) {
			t.Errorf("admin to NaN: got %v, want invalid position_y", err)
		}
		if _, err := s.SetPosition(ctx, edge.ID+1, 0, 0); !errors.Is(err, players.ErrPlayerNotFound) {
			t.Errorf("admin moving a missing player: got %v, want not found", err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("refused admin moves announced %v", ev)
		}
	})
}

// At most Rate moves in each one-second window, a window opening at the
// first move after the previous one ended.
func TestRateLimit(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		p := mustPlayer(t, s, alice, "alice", 0, 0)
		other := mustPlayer(t, s, alice, "alice", 0, 0)
		e.events.Take()
		t0 := e.clock.Now()
		at := func(d time.Duration) {
			t.Helper()
			if now := e.clock.Now(); t0.Add(d).Before(now) {
				t.Fatalf("clock at %v, cannot go back to %v", now.Sub(t0), d)
			}
			e.clock.Advance(t0.Add(d).Sub(e.clock.Now()))
		}
		// 10 moves in the first 810 ms: all accepted.
		for i := range players.DefaultRate {
			at(time.Duration(i) * 90 * time.Millisecond)
			got, err := s.Move(ctx, p.ID, alice, 1, 0)
			if err != nil || got.X != float64(i+1) {
				t.Fatalf("move %d: got %+v %v, want x %d", i+1, got, err, i+1)
			}
		}
		full := mustGet(t, s, p.ID)
		if full.WindowStart != t0.UnixMilli() || full.WindowMoves != players.DefaultRate {
			t.Errorf("window after 10 moves: got start %d, %d moves; want %d, 10", full.WindowStart, full.WindowMoves, t0.UnixMilli())
		}
		e.events.Take()

		// The 11th, with Move or MoveTo, until the window ends: refused,
		// saying how long is left.
		for _, tc := range []struct {
			at   time.Duration
			try  func() (players.Player, error)
			left time.Duration
		}{
			{900 * time.Millisecond, func() (players.Player, error) { return s.Move(ctx, p.ID, alice, 1, 0) }, 100 * time.Millisecond},
			{950 * time.Millisecond, func() (players.Player, error) { return s.MoveTo(ctx, p.ID, alice, 10, 1) }, 50 * time.Millisecond},
			{999 * time.Millisecond, func() (players.Player, error) { return s.Move(ctx, p.ID, alice, -1, 0) }, time.Millisecond},
		} {
			at(tc.at)
			_, err := tc.try()
			var limited *gamekit.RateLimitError
			if !errors.As(err, &limited) || !errors.Is(err, gamekit.ErrRateLimited) || limited.RetryAfter != tc.left {
				t.Errorf("move at %v: got %v, want rate limited for %v", tc.at, err, tc.left)
			}
		}
		want := fmt.Sprintf("players: player %d moved 10 times this second, the most allowed; retry in 1ms", p.ID)
		if _, err := s.Move(ctx, p.ID, alice, 1, 0); err == nil || err.Error() != want {
			t.Errorf("message: got %v, want %q", err, want)
		}
		// Refused input is still refused as such, not as a rate.
		if _, err := s.Move(ctx, p.ID, alice, 0, 2); !slices.Equal(fieldsOf(err), []string{"dy"}) {
			t.Errorf("bad step over the rate: got %v, want invalid dy", err)
		}
		if _, err := s.Move(ctx, p.ID, bob, 1, 0); !errors.Is(err, players.ErrNotOwner) {
			t.Errorf("another's move over the rate: got %v, want not owner", err)
		}
		if stored := mustGet(t, s, p.ID); stored != full {
			t.Errorf("after refused moves: got %+v, want %+v", stored, full)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("refused moves announced %v", ev)
		}
		// The limit is the player's, not the user's; and the admin has none.
		if _, err := s.Move(ctx, other.ID, alice, 1, 0); err != nil {
			t.Errorf("alice's other player: %v", err)
		}
		if got, err := s.SetPosition(ctx, p.ID, 10, 5); err != nil || got.WindowStart != full.WindowStart || got.WindowMoves != full.WindowMoves {
			t.Errorf("admin move over the rate: got %+v %v, want accepted, window unchanged", got, err)
		}

		// A second after the first move the window ends: the next move opens
		// a new one, which again takes 10 moves, however close together.
		at(time.Second)
		for i := range players.DefaultRate {
			got, err := s.Move(ctx, p.ID, alice, 0, -1)
			if err != nil || got.Y != float64(4-i) || got.WindowStart != t0.Add(time.Second).UnixMilli() || got.WindowMoves != i+1 {
				t.Fatalf("move %d of the second window: got %+v %v", i+1, got, err)
			}
		}
		_, err := s.Move(ctx, p.ID, alice, 0, -1)
		var limited *gamekit.RateLimitError
		if !errors.As(err, &limited) || limited.RetryAfter != time.Second {
			t.Errorf("11th move of the second window: got %v, want rate limited for 1s", err)
		}
		// A window opens at the first move after the last one ended, not on
		// a grid: after a pause, the window starts at the move.
		at(3*time.Second + 500*time.Millisecond)
		if got, err := s.Move(ctx, p.ID, alice, 0, 1); err != nil || got.WindowStart != t0.Add(3500*time.Millisecond).UnixMilli() || got.WindowMoves != 1 {
			t.Errorf("first move after a pause: got %+v %v, want a window from 3.5 s", got, err)
		}
	})
}

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

// Events are published after the change is in the database, with only the
// published fields, and never for a store in a caller's transaction, which
// may yet roll back.
func TestEvents(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		reader, err := players.NewSQLStore(e.db, nil)
		if err != nil {
			t.Fatal(err)
		}
		// What a subscriber reads when it hears of a change: the change.
		var seen []string
		publisher := gamekit.PublisherFunc(func(ctx context.Context, ev gamekit.Event) error {
			var stored string
			switch data := ev.Data.(type) {
			case players.Player:
				stored = mustJSON(t, mustGet(t, reader, data.ID))
			case players.Position:
				got := mustGet(t, reader, data.ID)
				stored = mustJSON(t, players.Position{ID: got.ID, X: got.X, Y: got.Y})
			default:
				_, err := reader.Player(ctx, 1)
				stored = fmt.Sprint(errors.Is(err, players.ErrPlayerNotFound))
			}
			seen = append(seen, fmt.Sprintf("%s %s %s stored %s", ev.Channel, ev.Name, mustJSON(t, ev.Data), stored))
			return nil
		})
		s, err := players.NewSQLStore(e.db, &players.StoreOptions{Publisher: publisher, Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		p := mustPlayer(t, s, alice, "alice", 0, 0)
		if _, err := s.Move(ctx, p.ID, alice, 1, 0.5); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Move(ctx, p.ID, bob, 1, 0); err == nil {
			t.Fatal("bob moved alice's player")
		}
		if _, err := s.MoveTo(ctx, p.ID, alice, 2, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPosition(ctx, p.ID, -7, 7); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePlayer(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`players created {"id":1,"user":1,"position_x":0,"position_y":0} stored {"id":1,"user":1,"position_x":0,"position_y":0}`,
			`players updated {"id":1,"position_x":1,"position_y":0.5} stored {"id":1,"position_x":1,"position_y":0.5}`,
			`players updated {"id":1,"position_x":2,"position_y":1} stored {"id":1,"position_x":2,"position_y":1}`,
			`players updated {"id":1,"position_x":-7,"position_y":7} stored {"id":1,"position_x":-7,"position_y":7}`,
			`players deleted {"id":1} stored true`,
		}
		if !slices.Equal(seen, want) {
			t.Errorf("events:\ngot  %q\nwant %q", seen, want)
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
