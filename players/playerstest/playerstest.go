// Package playerstest checks that a [players.Store] keeps the contract
// the package's handlers and the realtime clients rely on — above all the
// rules of movement, which a store enforces and no client can get around
// — as testing/fstest does for a file system: a host that wraps
// [players.SQLStore] (a cache, metrics) or brings a store of its own runs,
// in a test of its own, the suite that SQLStore passes on SQLite and
// PostgreSQL:
//
//	func TestMyStore(t *testing.T) {
//		playerstest.TestStore(t, func(t *testing.T, opts *players.StoreOptions) players.Store {
//			db := storagetest.Open(t, storagetest.Memory, players.Migrations())
//			return &myStore{Store: storagetest.Must(players.NewSQLStore(db, opts))}
//		})
//	}
//
// # What the suite checks
//
// What the Store's documentation and SQLStore's promise: players are
// created (validated field by field), read, listed (by user, by a search
// of usernames, sorted, paged), counted and deleted; Move, MoveTo and
// SetPosition accept what the rules allow and refuse, never clamp,
// anything else, with the error of the right kind (not found, not the
// owner, invalid input naming the fields the caller gave, rate limited
// with the time until the window ends) and without changing the player;
// at most opts.Rate moves in each one-second window, a window opening at
// the first move after the previous one ended; 64 goroutines moving one
// player lose no move and cannot share the last slot of a window or the
// last step before a bound; and every committed change, and nothing else,
// is announced once on [players.Channel], after it is stored, a move with
// only the published fields ([players.Position]).
//
// # What newStore must do
//
// Each subtest calls newStore once, with its own t, and works on the store
// it returns: a new, empty store, configured by opts as NewSQLStore(db,
// opts) would be — the rules of movement (Step, Bound and Rate, 0 meaning
// the default), the clock of the rate limit (Now, which the suite moves
// by hand), and the Publisher it announces its committed changes through
// (opts is never nil). Release what it holds with t.Cleanup. The subtests
// run one after the other, and some use the store from many goroutines at
// once.
package playerstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
)

// TestStore runs the conformance suite on the stores newStore makes, one
// subtest per part of the contract.
func TestStore(t *testing.T, newStore func(t *testing.T, opts *players.StoreOptions) players.Store) {
	t.Helper()
	run := func(name string, opts players.StoreOptions, test func(t *testing.T, e *env)) {
		t.Run(name, func(t *testing.T) {
			e := &env{t: t, events: make(chan string, maxEvents)}
			e.clock.Store(start.UnixMilli())
			opts.Publisher, opts.Now = e, e.now
			e.store = newStore(t, &opts)
			test(t, e)
		})
	}
	defaults := players.StoreOptions{}
	run("CreateAndRead", defaults, testCreateAndRead)
	run("CreateValidation", players.StoreOptions{Bound: 10}, testCreateValidation)
	run("List", defaults, testList)
	run("MoveRefusals", defaults, testMoveRefusals)
	run("Moves", defaults, testMoves)
	run("RateLimit", defaults, testRateLimit)
	run("Events", defaults, testEvents)
	run("ConcurrentMovesLoseNothing", players.StoreOptions{Rate: goroutines * 10, Bound: 1e6}, testConcurrentMovesLoseNothing)
	run("ConcurrentMovesKeepRate", players.StoreOptions{Rate: 10, Bound: 1e6}, testConcurrentMovesKeepRate)
	run("ConcurrentMovesKeepBounds", players.StoreOptions{Rate: 1000, Bound: 10}, testConcurrentMovesKeepBounds)
}

// The users of the tests.
const (
	alice = 1
	bob   = 2
)

// start is when every subtest's clock starts: a whole second, far from 0.
var start = time.UnixMilli(1_800_000_000_000)

// maxEvents is more than any subtest has its store announce.
const maxEvents = 1000

// env is what a subtest works with: the store, its clock and what it
// announced. It is the store's Publisher: each event becomes
// "channel name data-as-JSON", and, once stored is set, what the store
// holds when it announces.
type env struct {
	t      *testing.T
	store  players.Store
	clock  atomic.Int64 // Unix milliseconds
	events chan string
	stored bool
}

func (e *env) now() time.Time { return time.UnixMilli(e.clock.Load()) }

// advance moves the store's clock on by d.
func (e *env) advance(d time.Duration) { e.clock.Add(d.Milliseconds()) }

func (e *env) Publish(ctx context.Context, ev gamekit.Event) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		data = []byte(err.Error()) // Data must encode as JSON: the comparison fails
	}
	line := fmt.Sprintf("%s %s %s", ev.Channel, ev.Name, data)
	if e.stored {
		line += " stored " + e.holds(ctx, ev.Data)
	}
	select {
	case e.events <- line:
	default:
		e.t.Errorf("more than %d events: %s", maxEvents, line)
	}
	return nil
}

// holds says where the store has the player an event is about (its Data
// has the player's id, as {"id": N}), or that it has none.
func (e *env) holds(ctx context.Context, data any) string {
	var about struct{ ID int64 }
	if b, err := json.Marshal(data); err != nil || json.Unmarshal(b, &about) != nil || about.ID == 0 {
		return fmt.Sprintf("no id in %+v", data)
	}
	p, err := e.store.Player(ctx, about.ID)
	if errors.Is(err, players.ErrPlayerNotFound) {
		return "nothing"
	} else if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("(%v, %v)", p.X, p.Y)
}

// take returns the events announced since it was last called.
func (e *env) take() []string {
	var events []string
	for {
		select {
		case ev := <-e.events:
			events = append(events, ev)
		default:
			return events
		}
	}
}

// player stores a player of user at (x, y).
func (e *env) player(user int64, username string, x, y float64) players.Player {
	e.t.Helper()
	p := players.Player{UserID: user, Username: username, X: x, Y: y}
	if err := e.store.CreatePlayer(context.Background(), &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// get reads a player back from the store.
func (e *env) get(id int64) players.Player {
	e.t.Helper()
	p, err := e.store.Player(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func testCreateAndRead(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	p := players.Player{UserID: alice, Username: "alice", X: -1000, Y: 12.5, WindowStart: 99, WindowMoves: 7}
	if err := s.CreatePlayer(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.WindowStart != 0 || p.WindowMoves != 0 {
		t.Errorf("created: got %+v, want an id and a fresh rate limit", p)
	}
	if got := e.get(p.ID); got != p {
		t.Errorf("read back: got %+v, want %+v", got, p)
	}
	// A user may own several players.
	second := e.player(alice, "alice", 0, 0)
	if second.ID == p.ID {
		t.Errorf("second player of alice has the first one's id %d", p.ID)
	}
	if _, err := s.Player(ctx, p.ID+100); !errors.Is(err, players.ErrPlayerNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("missing player: got %v, want ErrPlayerNotFound", err)
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
}

// CreatePlayer refuses what could not be a player, field by field, and
// stores nothing; here the bound is 10.
func testCreateValidation(t *testing.T, e *env) {
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
		{players.Player{X: 20, Y: 20}, []string{"position_x", "position_y", "user"}},
	} {
		if err := e.store.CreatePlayer(ctx, &tc.p); !slices.Equal(fieldsOf(err), tc.fields) {
			t.Errorf("create %+v: got %v, want messages for %v", tc.p, err, tc.fields)
		}
	}
	if n, err := e.store.CountPlayers(ctx, players.ListOptions{}); err != nil || n != 0 {
		t.Errorf("after refusals: %d players, %v; want 0", n, err)
	}
	if ev := e.take(); len(ev) != 0 {
		t.Errorf("refused creations announced %v", ev)
	}
	// The edges are in.
	edge := players.Player{UserID: 1, Username: strings.Repeat("é", players.MaxUsernameLength), X: 10, Y: -10}
	if err := e.store.CreatePlayer(ctx, &edge); err != nil {
		t.Errorf("a player on the bounds, with the longest username: %v", err)
	}
}

func testList(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	names := map[int64]string{}
	add := func(name string, user int64, username string, x, y float64) {
		names[e.player(user, username, x, y).ID] = name
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
		if _, err := s.Players(ctx, players.ListOptions{Sort: sort}); !slices.Equal(fieldsOf(err), []string{"ordering"}) {
			t.Errorf("sort %q: got %v, want invalid ordering", sort, err)
		}
	}
}

// The anti-cheat rules: every move outside them is refused with the error
// that says why, leaves the player as it was, and is not announced.
func testMoveRefusals(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	p := e.player(alice, "alice", 0, 0)
	edge := e.player(alice, "alice", 1000, -999.5)
	missing := edge.ID + 100
	e.take()
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
		{"missing player, admin", func() (players.Player, error) { return s.SetPosition(ctx, missing, 0, 0) }, players.ErrPlayerNotFound, nil},
		{"admin beyond the bounds", func() (players.Player, error) { return s.SetPosition(ctx, p.ID, 1000.5, 0) }, gamekit.ErrInvalid, []string{"position_x"}},
		{"admin to NaN", func() (players.Player, error) { return s.SetPosition(ctx, p.ID, 0, nan) }, gamekit.ErrInvalid, []string{"position_y"}},
	} {
		got, err := tc.try()
		if !errors.Is(err, tc.kind) || !slices.Equal(fieldsOf(err), tc.fields) {
			t.Errorf("%s: got %+v, %v; want %v with fields %v", tc.name, got, err, tc.kind, tc.fields)
		}
		if got != (players.Player{}) {
			t.Errorf("%s: refused, but returned %+v", tc.name, got)
		}
	}
	if stored := e.get(p.ID); stored != p {
		t.Errorf("after refusals: got %+v, want %+v unchanged", stored, p)
	}
	if stored := e.get(edge.ID); stored != edge {
		t.Errorf("after refusals: got %+v, want %+v unchanged", stored, edge)
	}
	if ev := e.take(); len(ev) != 0 {
		t.Errorf("refused moves announced %v", ev)
	}
}

// Moves within the rules are saved, returned as saved and announced with
// only the published fields, once each.
func testMoves(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	p := e.player(alice, "alice", 0, 0)
	edge := e.player(alice, "alice", 999.5, -999.5)
	e.take()
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
		e.advance(time.Second) // no rate limit here
		got, err := tc.try()
		if err != nil || got.ID != tc.id || got.X != tc.x || got.Y != tc.y || got.UserID != alice || got.Username != "alice" {
			t.Fatalf("%s: got %+v %v, want player %d at (%v, %v)", tc.name, got, err, tc.id, tc.x, tc.y)
		}
		if stored := e.get(tc.id); stored != got {
			t.Errorf("%s: stored %+v, returned %+v", tc.name, stored, got)
		}
		want := fmt.Sprintf(`players updated {"id":%d,"position_x":%v,"position_y":%v}`, tc.id, tc.x, tc.y)
		if ev := e.take(); !slices.Equal(ev, []string{want}) {
			t.Errorf("%s: announced %q, want %q", tc.name, ev, want)
		}
	}
}

// At most Rate moves in each one-second window, a window opening at the
// first move after the previous one ended.
func testRateLimit(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	p := e.player(alice, "alice", 0, 0)
	other := e.player(alice, "alice", 0, 0)
	e.take()
	at := func(d time.Duration) {
		t.Helper()
		if now := e.now(); start.Add(d).Before(now) {
			t.Fatalf("clock at %v, cannot go back to %v", now.Sub(start), d)
		}
		e.clock.Store(start.Add(d).UnixMilli())
	}
	// 10 moves in the first 810 ms: all accepted.
	for i := range players.DefaultRate {
		at(time.Duration(i) * 90 * time.Millisecond)
		got, err := s.Move(ctx, p.ID, alice, 1, 0)
		if err != nil || got.X != float64(i+1) {
			t.Fatalf("move %d: got %+v %v, want x %d", i+1, got, err, i+1)
		}
	}
	full := e.get(p.ID)
	if full.WindowStart != start.UnixMilli() || full.WindowMoves != players.DefaultRate {
		t.Errorf("window after 10 moves: got start %d, %d moves; want %d, 10", full.WindowStart, full.WindowMoves, start.UnixMilli())
	}
	e.take()

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
	// Refused input is still refused as such, not as a rate.
	if _, err := s.Move(ctx, p.ID, alice, 0, 2); !slices.Equal(fieldsOf(err), []string{"dy"}) {
		t.Errorf("bad step over the rate: got %v, want invalid dy", err)
	}
	if _, err := s.Move(ctx, p.ID, bob, 1, 0); !errors.Is(err, players.ErrNotOwner) {
		t.Errorf("another's move over the rate: got %v, want not owner", err)
	}
	if stored := e.get(p.ID); stored != full {
		t.Errorf("after refused moves: got %+v, want %+v", stored, full)
	}
	if ev := e.take(); len(ev) != 0 {
		t.Errorf("refused moves announced %v", ev)
	}
	// The limit is the player's, not the user's; and the admin has none.
	if _, err := s.Move(ctx, other.ID, alice, 1, 0); err != nil {
		t.Errorf("alice's other player: %v", err)
	}
	if got, err := s.SetPosition(ctx, p.ID, 10, 5); err != nil || got.X != 10 || got.Y != 5 ||
		got.WindowStart != full.WindowStart || got.WindowMoves != full.WindowMoves {
		t.Errorf("admin move over the rate: got %+v %v, want accepted, window unchanged", got, err)
	}
	// The admin's move leaves the window as it was: still full.
	if _, err := s.Move(ctx, p.ID, alice, 1, 0); !errors.Is(err, gamekit.ErrRateLimited) {
		t.Errorf("after the admin's move: got %v, want still rate limited", err)
	}

	// A second after the first move the window ends: the next move opens
	// a new one, which again takes 10 moves, however close together.
	at(time.Second)
	for i := range players.DefaultRate {
		got, err := s.Move(ctx, p.ID, alice, 0, -1)
		if err != nil || got.Y != float64(4-i) || got.WindowStart != start.Add(time.Second).UnixMilli() || got.WindowMoves != i+1 {
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
	for i := range players.DefaultRate {
		if _, err := s.Move(ctx, p.ID, alice, 0, 1); err != nil {
			t.Fatalf("move %d after a pause: %v", i+1, err)
		}
	}
	at(4*time.Second + 400*time.Millisecond)
	if _, err := s.Move(ctx, p.ID, alice, 0, 1); !errors.As(err, &limited) || limited.RetryAfter != 100*time.Millisecond {
		t.Errorf("11th move of a window opened at 3.5 s, at 4.4 s: got %v, want rate limited for 100ms", err)
	}
}

// Events are published once a change is stored, a move with only the
// published fields.
func testEvents(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	e.stored = true
	p := e.player(alice, "alice", 0, 0)
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
	if err := s.DeletePlayer(ctx, p.ID); err == nil {
		t.Fatal("a player deleted twice")
	}
	id := p.ID
	want := []string{
		fmt.Sprintf(`players created {"id":%d,"user":1,"position_x":0,"position_y":0} stored (0, 0)`, id),
		fmt.Sprintf(`players updated {"id":%d,"position_x":1,"position_y":0.5} stored (1, 0.5)`, id),
		fmt.Sprintf(`players updated {"id":%d,"position_x":2,"position_y":1} stored (2, 1)`, id),
		fmt.Sprintf(`players updated {"id":%d,"position_x":-7,"position_y":7} stored (-7, 7)`, id),
		fmt.Sprintf(`players deleted {"id":%d} stored nothing`, id),
	}
	if got := e.take(); !slices.Equal(got, want) {
		t.Errorf("events:\ngot  %q\nwant %q", got, want)
	}
}

const goroutines = 64

// moveTogether has goroutines move player id of alice by (1, 0) at once,
// each n times, and counts how the moves ended.
func moveTogether(t *testing.T, e *env, id int64, n int) (accepted, limited, outOfBounds int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				_, err := e.store.Move(context.Background(), id, alice, 1, 0)
				mu.Lock()
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, gamekit.ErrRateLimited):
					limited++
				case slices.Equal(fieldsOf(err), []string{"dx"}):
					outOfBounds++
				default:
					t.Errorf("move: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return accepted, limited, outOfBounds
}

// 64 goroutines move one player by +1, ten times each: every move is
// accepted and announced, and none is lost.
func testConcurrentMovesLoseNothing(t *testing.T, e *env) {
	p := e.player(alice, "alice", 0, 0)
	e.take()
	accepted, _, _ := moveTogether(t, e, p.ID, 10)
	if accepted != goroutines*10 {
		t.Errorf("%d moves accepted, want all %d", accepted, goroutines*10)
	}
	if got := e.get(p.ID); got.X != float64(accepted) {
		t.Errorf("after %d accepted moves: x %v", accepted, got.X)
	}
	if n := len(e.take()); n != accepted {
		t.Errorf("%d events for %d moves", n, accepted)
	}
}

// Concurrent moves cannot share the last slots of a window (Rate is 10).
func testConcurrentMovesKeepRate(t *testing.T, e *env) {
	p := e.player(alice, "alice", 0, 0)
	accepted, limited, outOfBounds := moveTogether(t, e, p.ID, 1)
	if accepted != 10 || limited != goroutines-10 || outOfBounds != 0 {
		t.Errorf("%d accepted, %d rate limited, %d out of bounds; want 10, %d, 0", accepted, limited, outOfBounds, goroutines-10)
	}
	if got := e.get(p.ID); got.X != float64(accepted) {
		t.Errorf("x %v after %d accepted moves", got.X, accepted)
	}
}

// Concurrent moves cannot share the last steps before a bound (Bound is
// 10).
func testConcurrentMovesKeepBounds(t *testing.T, e *env) {
	p := e.player(alice, "alice", 0, 0)
	accepted, limited, outOfBounds := moveTogether(t, e, p.ID, 1)
	if accepted != 10 || limited != 0 || outOfBounds != goroutines-10 {
		t.Errorf("%d accepted, %d rate limited, %d out of bounds; want 10, 0, %d", accepted, limited, outOfBounds, goroutines-10)
	}
	if got := e.get(p.ID); got.X != 10 {
		t.Errorf("x %v after %d accepted moves, want 10", got.X, accepted)
	}
}

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
