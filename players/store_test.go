package players_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
)

func TestCreateAndRead(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		p := players.Player{UserID: alice, Username: "alice", X: -1000, Y: 12.5, WindowStart: 99, WindowMoves: 7}
		if err := s.CreatePlayer(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.WindowStart != 0 || p.WindowMoves != 0 {
			t.Errorf("created: got %+v, want an id and a fresh rate limit", p)
		}
		if got := mustGet(t, s, p.ID); got != p {
			t.Errorf("read back: got %+v, want %+v", got, p)
		}
		// A user may own several players.
		second := mustPlayer(t, s, alice, "alice", 0, 0)
		if second.ID == p.ID {
			t.Errorf("second player of alice has the first one's id %d", p.ID)
		}
		if got, want := mustJSON(t, p), fmt.Sprintf(`{"id":%d,"user":1,"position_x":-1000,"position_y":12.5}`, p.ID); got != want {
			t.Errorf("JSON: got %s, want %s", got, want)
		}

		_, err := s.Player(ctx, p.ID+100)
		if !errors.Is(err, players.ErrPlayerNotFound) || !errors.Is(err, gamekit.ErrNotFound) ||
			err.Error() != fmt.Sprintf("players: player %d not found", p.ID+100) {
			t.Errorf("missing player: got %v, want ErrPlayerNotFound naming it", err)
		}

		if err := s.DeletePlayer(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Player(ctx, p.ID); !errors.Is(err, players.ErrPlayerNotFound) {
			t.Errorf("deleted player: got %v, want not found", err)
		}
		if err := s.DeletePlayer(ctx, p.ID); !errors.Is(err, players.ErrPlayerNotFound) {
			t.Errorf("delete twice: got %v, want not found", err)
		}
		if n, err := s.CountPlayers(ctx, players.ListOptions{}); err != nil || n != 1 {
			t.Errorf("count after delete: got %d %v, want 1", n, err)
		}
	})
}

// CreatePlayer refuses what could not be a player, field by field, and
// stores nothing.
func TestCreateValidation(t *testing.T) {
	runStore(t, &players.StoreOptions{Bound: 10}, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct {
			p      players.Player
			fields []string
		}{
			{players.Player{UserID: 0}, []string{"user"}},
			{players.Player{UserID: -1}, []string{"user"}},
			{players.Player{UserID: 1, X: math.NaN()}, []string{"position_x"}},
			{players.Player{UserID: 1, Y: math.Inf(1)}, []string{"position_y"}},
			{players.Player{UserID: 1, X: math.Inf(-1), Y: math.NaN()}, []string{"position_x", "position_y"}},
			{players.Player{UserID: 1, X: 10.000001}, []string{"position_x"}},
			{players.Player{UserID: 1, Y: -11}, []string{"position_y"}},
			{players.Player{UserID: 1, Username: strings.Repeat("é", players.MaxUsernameLength+1)}, []string{"username"}},
			{players.Player{UserID: 1, Username: "a\x00b"}, []string{"username"}},
			{players.Player{UserID: 1, Username: "\xff"}, []string{"username"}},
			{players.Player{X: 20, Y: 20}, []string{"user", "position_x", "position_y"}},
		} {
			err := e.store.CreatePlayer(ctx, &tc.p)
			var invalid *gamekit.InvalidError
			if !errors.As(err, &invalid) || len(invalid.Fields) != len(tc.fields) {
				t.Errorf("create %+v: got %v, want messages for %v", tc.p, err, tc.fields)
				continue
			}
			for _, f := range tc.fields {
				if len(invalid.Fields[f]) == 0 {
					t.Errorf("create %+v: got %v, want a message for %s", tc.p, err, f)
				}
			}
		}
		if n, err := e.store.CountPlayers(ctx, players.ListOptions{}); err != nil || n != 0 {
			t.Errorf("after refusals: %d players, %v; want 0", n, err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("refused creations announced %v", ev)
		}
		// The edges are in.
		edge := players.Player{UserID: 1, Username: strings.Repeat("é", players.MaxUsernameLength), X: 10, Y: -10}
		if err := e.store.CreatePlayer(ctx, &edge); err != nil {
			t.Errorf("a player on the bounds, with the longest username: %v", err)
		}
		err := e.store.CreatePlayer(ctx, &players.Player{UserID: 1, X: 11})
		if err == nil || err.Error() != "invalid input: position_x: Ensure this value is between -10 and 10." {
			t.Errorf("out of bounds: got %v", err)
		}
	})
}

func TestList(t *testing.T) {
	runStore(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		names := map[int64]string{}
		add := func(name string, user int64, username string, x, y float64) {
			names[mustPlayer(t, s, user, username, x, y).ID] = name
		}
		// Usernames whose order is the same in every collation.
		add("a", 2, "bob", 5, 0)
		add("b", 1, "alice", -3, 7)
		add("c", 3, "mALICE", 0, -7)
		add("d", 1, "alice", 9, 1)
		add("e", 4, "zo%e_", -8, 2)
		ids := func(ps []players.Player, err error) string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, names[p.ID])
			}
			return strings.Join(got, ",")
		}
		for _, tc := range []struct {
			opts players.ListOptions
			want string
		}{
			{players.ListOptions{}, "a,b,c,d,e"},
			{players.ListOptions{Sort: "id"}, "a,b,c,d,e"},
			{players.ListOptions{Sort: "-id"}, "e,d,c,b,a"},
			{players.ListOptions{Sort: "user"}, "b,d,a,c,e"},
			{players.ListOptions{Sort: "-user"}, "e,c,a,d,b"},
			{players.ListOptions{Sort: "username"}, "b,d,a,c,e"},
			{players.ListOptions{Sort: "-username"}, "e,c,a,d,b"},
			{players.ListOptions{Sort: "position_x"}, "e,b,c,a,d"},
			{players.ListOptions{Sort: "-position_x"}, "d,a,c,b,e"},
			{players.ListOptions{Sort: "position_y"}, "c,a,d,e,b"},
			{players.ListOptions{Sort: "-position_y"}, "b,e,d,a,c"},
			{players.ListOptions{UserID: 1}, "b,d"},
			{players.ListOptions{UserID: 1, Sort: "-id"}, "d,b"},
			{players.ListOptions{UserID: 99}, ""},
			{players.ListOptions{Search: "ALI"}, "b,c,d"},
			{players.ListOptions{Search: "lic"}, "b,c,d"},
			{players.ListOptions{Search: "O"}, "a,e"},
			{players.ListOptions{Search: "%"}, "e"}, // wildcards are literal
			{players.ListOptions{Search: "_"}, "e"},
			{players.ListOptions{Search: "alice", UserID: 3}, "c"},
			{players.ListOptions{Search: "alice", UserID: 2}, ""},
			{players.ListOptions{Limit: 2}, "a,b"},
			{players.ListOptions{Limit: 2, Offset: 2}, "c,d"},
			{players.ListOptions{Offset: 4}, "e"},
			{players.ListOptions{Offset: 5}, ""},
		} {
			if got := ids(s.Players(ctx, tc.opts)); got != tc.want {
				t.Errorf("%+v: got %v, want %v", tc.opts, got, tc.want)
			}
		}
		for _, tc := range []struct {
			opts players.ListOptions
			want int
		}{
			{players.ListOptions{}, 5},
			{players.ListOptions{UserID: 1}, 2},
			{players.ListOptions{Search: "ali"}, 3},
			{players.ListOptions{Search: "ali", Limit: 1, Offset: 1}, 3}, // paging does not change the count
		} {
			if n, err := s.CountPlayers(ctx, tc.opts); err != nil || n != tc.want {
				t.Errorf("count %+v: got %d %v, want %d", tc.opts, n, err, tc.want)
			}
		}
		for _, sort := range []string{"name", "user_id", "id; DROP TABLE gamekit_players", "--id"} {
			_, err := s.Players(ctx, players.ListOptions{Sort: sort})
			var invalid *gamekit.InvalidError
			if !errors.As(err, &invalid) || len(invalid.Fields["ordering"]) == 0 {
				t.Errorf("sort %q: got %v, want invalid ordering", sort, err)
			}
		}
	})
}

// The options are checked once, when the store is made.
func TestStoreOptions(t *testing.T) {
	for _, opts := range []players.StoreOptions{
		{Step: -1}, {Step: math.NaN()}, {Step: math.Inf(1)},
		{Bound: -1}, {Bound: math.NaN()}, {Bound: math.Inf(1)},
		{Rate: -1}, {Rate: math.MaxInt32 + 1},
	} {
		if s, err := players.NewSQLStore(nil, &opts); err == nil {
			t.Errorf("%+v: got a store %v, want an error", opts, s)
		}
	}
	// Zero and nil mean the defaults: the tutorial's world.
	runStore(t, &players.StoreOptions{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := mustPlayer(t, e.store, alice, "alice", players.DefaultBound, 0)
		if err := e.store.CreatePlayer(ctx, &players.Player{UserID: alice, X: players.DefaultBound + 1}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("beyond the default bound: got %v, want invalid", err)
		}
		if _, err := e.store.Move(ctx, p.ID, alice, -players.DefaultStep-0.01, 0); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("beyond the default step: got %v, want invalid", err)
		}
		for i := range players.DefaultRate {
			if _, err := e.store.Move(ctx, p.ID, alice, -players.DefaultStep, 0); err != nil {
				t.Fatalf("move %d: %v", i+1, err)
			}
		}
		if _, err := e.store.Move(ctx, p.ID, alice, -1, 0); !errors.Is(err, gamekit.ErrRateLimited) {
			t.Errorf("move %d in a second: got %v, want rate limited", players.DefaultRate+1, err)
		}
	})
	if _, err := players.NewSQLStore(nil, nil); err == nil {
		t.Error("a store on no database: got no error")
	}
}
