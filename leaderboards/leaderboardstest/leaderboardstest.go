// Package leaderboardstest checks that a [leaderboards.Store] keeps the
// contract the package's handlers and realtime clients rely on, as
// testing/fstest does for a file system: a host that wraps
// [leaderboards.SQLStore] (a cache, metrics) or brings a store of its own
// runs, in a test of its own, the suite that SQLStore passes on SQLite and
// PostgreSQL:
//
//	func TestMyStore(t *testing.T) {
//		leaderboardstest.TestStore(t, func(t *testing.T, opts *leaderboards.StoreOptions) leaderboards.Store {
//			db := storagetest.Open(t, storagetest.Memory, leaderboards.Migrations())
//			return &myStore{Store: storagetest.Must(leaderboards.NewSQLStore(db, opts))}
//		})
//	}
//
// # What the suite checks
//
// What the Store's documentation and SQLStore's promise: boards are
// created (validated, with defaults), read, listed, counted, changed,
// reset and deleted; each operator (best, set, incr) on boards of either
// order; ranks that are exact and never shared, ties broken by subscore,
// then the earlier record, then the user id; Top's pages and cursors,
// Around, Record and Records; periods that follow the clock ("every",
// cron), past periods that stay readable, a manual reset; refused input
// as *gamekit.InvalidError naming the field; 64 goroutines submitting to
// one board losing and doubling nothing; and announcements, after the
// change is stored, on the board's channel for the top N and on the
// user's channel when their rank changed.
//
// # What newStore must do
//
// Each subtest calls newStore once, with its own t, and works on the store
// it returns: a new, empty store, configured by opts as NewSQLStore(db,
// opts) would be — its clock (Now, which the suite moves by hand), TopN
// and RankDepth, and the Publisher it announces through (opts is never
// nil). Release what it holds with t.Cleanup. The subtests run one after
// the other, and some use the store from many goroutines at once.
package leaderboardstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/leaderboards"
)

// TestStore runs the conformance suite on the stores newStore makes, one
// subtest per part of the contract.
func TestStore(t *testing.T, newStore func(t *testing.T, opts *leaderboards.StoreOptions) leaderboards.Store) {
	t.Helper()
	run := func(name string, opts leaderboards.StoreOptions, test func(t *testing.T, e *env)) {
		t.Run(name, func(t *testing.T) {
			e := &env{t: t}
			e.clock.Store(start.UnixMicro())
			opts.Now = e.now
			if opts.Publisher == nil {
				opts.Publisher = e
			}
			e.store = newStore(t, &opts)
			test(t, e)
		})
	}
	defaults := leaderboards.StoreOptions{}
	run("Boards", defaults, testBoards)
	run("BoardValidation", defaults, testBoardValidation)
	run("Best", defaults, testBest)
	run("Set", defaults, testSet)
	run("Incr", defaults, testIncr)
	run("SubmitValidation", defaults, testSubmitValidation)
	run("Ranks", defaults, testRanks)
	run("Pages", defaults, testPages)
	run("Around", defaults, testAround)
	run("Periods", defaults, testPeriods)
	run("Reset", defaults, testReset)
	run("Events", leaderboards.StoreOptions{TopN: 3, RankDepth: 5}, testEvents)
	run("ConcurrentIncr", leaderboards.StoreOptions{Publisher: gamekit.Discard}, testConcurrentIncr)
	run("ConcurrentBest", defaults, testConcurrentBest)
}

// start is when every subtest's clock starts: 2027-01-15 08:00 UTC, a
// Friday.
var start = time.Unix(1_800_000_000, 0).UTC()

// env is what a subtest works with: the store, its clock and what it
// announced. It is the store's Publisher, and checks as each event comes
// that the change it announces is stored.
type env struct {
	t     *testing.T
	store leaderboards.Store
	clock atomic.Int64 // Unix microseconds

	// racing is set by subtests whose writers race: a record may have
	// moved on, only ever to a better score, by the time its event comes.
	racing bool

	mu     sync.Mutex
	events []string // "channel name user score rank previous"
}

func (e *env) now() time.Time { return time.UnixMicro(e.clock.Load()).UTC() }

func (e *env) advance(d time.Duration) { e.clock.Add(d.Microseconds()) }

func (e *env) Publish(ctx context.Context, ev gamekit.Event) error {
	c, ok := ev.Data.(leaderboards.Change)
	if !ok {
		e.t.Errorf("event %s %s: data %T, want a leaderboards.Change", ev.Channel, ev.Name, ev.Data)
		return nil
	}
	if _, err := json.Marshal(ev.Data); err != nil {
		e.t.Errorf("event data does not encode: %v", err)
	}
	// Announced after commit: the record is stored as announced.
	period := c.Period
	if r, err := e.store.Record(ctx, c.Board, c.Record.UserID, &period); err != nil ||
		r.Score != c.Record.Score && !(e.racing && r.Score > c.Record.Score) {
		e.t.Errorf("event %s %s of user %d's %d: stored %+v %v", ev.Channel, ev.Name, c.Record.UserID, c.Record.Score, r, err)
	}
	e.mu.Lock()
	e.events = append(e.events, fmt.Sprintf("%s %s %d %d %d %d", ev.Channel, ev.Name, c.Record.UserID, c.Record.Score, c.Record.Rank, c.PreviousRank))
	e.mu.Unlock()
	return nil
}

// take returns the events announced since the last take.
func (e *env) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.events
	e.events = nil
	return list
}

func (e *env) board(b leaderboards.Board) leaderboards.Board {
	e.t.Helper()
	if err := e.store.CreateBoard(context.Background(), &b); err != nil {
		e.t.Fatalf("create board %s: %v", b.ID, err)
	}
	return b
}

func (e *env) submit(board string, user, score, subscore int64) leaderboards.Record {
	e.t.Helper()
	r, err := e.store.Submit(context.Background(), board, user, fmt.Sprintf("user%d", user), score, subscore, nil)
	if err != nil {
		e.t.Fatalf("submit %d to %s for %d: %v", score, board, user, err)
	}
	return r
}

// top renders the current top of a board as "user:score#rank ...".
func (e *env) top(board string, opts leaderboards.TopOptions) string {
	e.t.Helper()
	p, err := e.store.Top(context.Background(), board, opts)
	if err != nil {
		e.t.Fatalf("top %s: %v", board, err)
	}
	return render(p.Records)
}

func render(records []leaderboards.Record) string {
	var b strings.Builder
	for i, r := range records {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d#%d", r.UserID, r.Score, r.Rank)
	}
	return b.String()
}

func hasField(err error, field string) bool {
	var invalid *gamekit.InvalidError
	return errors.As(err, &invalid) && len(invalid.Fields[field]) > 0
}

func testBoards(t *testing.T, e *env) {
	ctx := context.Background()
	weekly := e.board(leaderboards.Board{ID: "weekly", Reset: "@weekly"})
	if weekly.Order != leaderboards.HigherFirst || weekly.Operator != leaderboards.Best || weekly.ClientWritable || !weekly.CreatedAt.Equal(start) {
		t.Errorf("created with defaults: got %+v", weekly)
	}
	e.board(leaderboards.Board{ID: "laps", Order: leaderboards.LowerFirst, Operator: leaderboards.Set, ClientWritable: true})
	e.board(leaderboards.Board{ID: "moves-today", Operator: leaderboards.Incr, Reset: "every 24h"})
	if err := e.store.CreateBoard(ctx, &leaderboards.Board{ID: "weekly"}); !errors.Is(err, leaderboards.ErrBoardExists) || !errors.Is(err, gamekit.ErrConflict) {
		t.Errorf("create twice: got %v, want ErrBoardExists", err)
	}
	got, err := e.store.Board(ctx, "weekly")
	if err != nil || got.ID != "weekly" || got.Reset != "@weekly" || !got.CreatedAt.Equal(weekly.CreatedAt) {
		t.Errorf("read back: got %+v %v, want %+v", got, err, weekly)
	}
	if _, err := e.store.Board(ctx, "nope"); !errors.Is(err, leaderboards.ErrBoardNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("missing board: got %v, want ErrBoardNotFound", err)
	}
	for _, tc := range []struct {
		opts leaderboards.ListOptions
		want string
	}{
		{leaderboards.ListOptions{}, "laps,moves-today,weekly"},
		{leaderboards.ListOptions{Search: "E"}, "moves-today,weekly"},
		{leaderboards.ListOptions{Limit: 1, Offset: 1}, "moves-today"},
		{leaderboards.ListOptions{Search: "%"}, ""},
	} {
		boards, err := e.store.Boards(ctx, tc.opts)
		var ids []string
		for _, b := range boards {
			ids = append(ids, b.ID)
		}
		if got := strings.Join(ids, ","); err != nil || got != tc.want {
			t.Errorf("boards %+v: got %q %v, want %q", tc.opts, got, err, tc.want)
		}
	}
	if n, err := e.store.CountBoards(ctx, leaderboards.ListOptions{Search: "e", Limit: 1}); err != nil || n != 2 {
		t.Errorf("count: got %d %v, want 2", n, err)
	}

	incr, reset, writable := leaderboards.Incr, "@daily", true
	changed, err := e.store.UpdateBoard(ctx, "weekly", leaderboards.BoardChange{Operator: &incr, Reset: &reset, ClientWritable: &writable})
	if err != nil || changed.Operator != incr || changed.Reset != reset || !changed.ClientWritable || changed.Order != leaderboards.HigherFirst {
		t.Errorf("update: got %+v %v", changed, err)
	}
	if got, err := e.store.Board(ctx, "weekly"); err != nil || got.Operator != incr || got.Reset != reset {
		t.Errorf("updated, read back: got %+v %v", got, err)
	}
	if _, err := e.store.UpdateBoard(ctx, "nope", leaderboards.BoardChange{ClientWritable: &writable}); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("update missing: got %v, want ErrBoardNotFound", err)
	}
	bad := "every now and then"
	if _, err := e.store.UpdateBoard(ctx, "weekly", leaderboards.BoardChange{Reset: &bad}); !hasField(err, "reset") {
		t.Errorf("bad reset: got %v, want invalid reset", err)
	}

	e.submit("laps", 1, 60, 0)
	if err := e.store.DeleteBoard(ctx, "laps"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Board(ctx, "laps"); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("deleted: got %v, want ErrBoardNotFound", err)
	}
	if err := e.store.DeleteBoard(ctx, "laps"); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("delete twice: got %v, want ErrBoardNotFound", err)
	}
	if _, err := e.store.Submit(ctx, "laps", 1, "a", 1, 0, nil); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("submit to a deleted board: got %v, want ErrBoardNotFound", err)
	}
	// A new board of the same id starts empty: the old records went with
	// the old board.
	e.board(leaderboards.Board{ID: "laps"})
	if got := e.top("laps", leaderboards.TopOptions{}); got != "" {
		t.Errorf("recreated board: got %q, want no records", got)
	}
}

func testBoardValidation(t *testing.T, e *env) {
	ctx := context.Background()
	for _, tc := range []struct {
		board leaderboards.Board
		field string
	}{
		{leaderboards.Board{ID: ""}, "id"},
		{leaderboards.Board{ID: "Weekly"}, "id"},
		{leaderboards.Board{ID: "-x"}, "id"},
		{leaderboards.Board{ID: "a b"}, "id"},
		{leaderboards.Board{ID: strings.Repeat("a", 65)}, "id"},
		{leaderboards.Board{ID: "x", Order: "up"}, "order"},
		{leaderboards.Board{ID: "x", Operator: "max"}, "operator"},
		{leaderboards.Board{ID: "x", Reset: "daily"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "every 0s"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "every 1500ms"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "60 * * * *"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "0 0 30 2 *"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "* * * *"}, "reset"},
		{leaderboards.Board{ID: "x", Reset: "*/0 * * * *"}, "reset"},
	} {
		if err := e.store.CreateBoard(ctx, &tc.board); !hasField(err, tc.field) {
			t.Errorf("create %+v: got %v, want a message for %s", tc.board, err, tc.field)
		}
	}
	for _, reset := range []string{"", "every 1s", "every 24h", "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
		"*/15 * * * *", "0 6 * * 1-5", "30 2 1,15 * *", "0 0 * * 7"} {
		b := leaderboards.Board{ID: fmt.Sprintf("b%d", len(reset)) + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, reset), Reset: reset}
		if err := e.store.CreateBoard(ctx, &b); err != nil {
			t.Errorf("reset %q: %v", reset, err)
		}
	}
	if b := e.board(leaderboards.Board{ID: strings.Repeat("a", 64)}); b.ID == "" {
		t.Error("64 characters refused")
	}
}

func testBest(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "points"})
	e.board(leaderboards.Board{ID: "laps", Order: leaderboards.LowerFirst})
	r, err := e.store.Submit(ctx, "points", 1, "alice", 10, 0, json.RawMessage(`{"level": 3}`))
	if err != nil || r.Score != 10 || r.Username != "alice" || string(r.Metadata) != `{"level":3}` || !r.UpdatedAt.Equal(start) {
		t.Errorf("first submit: got %+v %v", r, err)
	}
	e.advance(time.Second)
	if r := e.submit("points", 1, 5, 0); r.Score != 10 || !r.UpdatedAt.Equal(start) || string(r.Metadata) != `{"level":3}` {
		t.Errorf("worse score: got %+v, want the record unchanged", r)
	}
	if r := e.submit("points", 1, 10, 0); r.Score != 10 || !r.UpdatedAt.Equal(start) {
		t.Errorf("equal score: got %+v, want the record unchanged, its time too", r)
	}
	if r := e.submit("points", 1, 10, 1); r.Subscore != 1 || !r.UpdatedAt.Equal(start.Add(time.Second)) {
		t.Errorf("better subscore: got %+v, want it kept, with the new time", r)
	}
	if r := e.submit("points", 1, 12, -5); r.Score != 12 || r.Subscore != -5 || string(r.Metadata) != `{"level":3}` {
		t.Errorf("better score without metadata: got %+v, want it kept, metadata too", r)
	}
	if r, err := e.store.Submit(ctx, "points", 1, "", 13, 0, json.RawMessage(`{}`)); err != nil || string(r.Metadata) != `{}` || r.Username != "user1" {
		t.Errorf("new metadata, no username: got %+v %v, want the name kept", r, err)
	}
	e.submit("laps", 1, 60, 0)
	if r := e.submit("laps", 1, 70, 0); r.Score != 60 {
		t.Errorf("slower lap: got %d, want 60 kept", r.Score)
	}
	if r := e.submit("laps", 1, 55, 0); r.Score != 55 {
		t.Errorf("faster lap: got %d, want 55", r.Score)
	}
	if r := e.submit("laps", 1, 55, -1); r.Subscore != -1 {
		t.Errorf("lower subscore on a lower-first board: got %d, want -1", r.Subscore)
	}
	if r, err := e.store.Record(ctx, "laps", 1, nil); err != nil || r.Score != 55 || r.Rank != 1 {
		t.Errorf("record: got %+v %v", r, err)
	}
	if _, err := e.store.Record(ctx, "laps", 2, nil); !errors.Is(err, leaderboards.ErrRecordNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("no record: got %v, want ErrRecordNotFound", err)
	}
}

func testSet(t *testing.T, e *env) {
	e.board(leaderboards.Board{ID: "level", Operator: leaderboards.Set})
	e.submit("level", 1, 10, 3)
	if r := e.submit("level", 1, 4, 0); r.Score != 4 || r.Subscore != 0 {
		t.Errorf("set lower: got %+v, want 4", r)
	}
	if r := e.submit("level", 1, -7, 2); r.Score != -7 || r.Subscore != 2 {
		t.Errorf("set negative: got %+v, want -7", r)
	}
}

func testIncr(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "wins", Operator: leaderboards.Incr})
	e.board(leaderboards.Board{ID: "deaths", Operator: leaderboards.Incr, Order: leaderboards.LowerFirst})
	e.submit("wins", 1, 3, 1)
	if r := e.submit("wins", 1, 4, 1); r.Score != 7 || r.Subscore != 2 {
		t.Errorf("incr: got %+v, want 7, 2", r)
	}
	if r := e.submit("wins", 1, -2, 0); r.Score != 5 {
		t.Errorf("decr: got %d, want 5", r.Score)
	}
	e.submit("deaths", 1, 2, 0)
	if r := e.submit("deaths", 1, 3, 0); r.Score != 5 {
		t.Errorf("incr on a lower-first board: got %d, want 5", r.Score)
	}
	e.submit("wins", 2, leaderboards.MaxScore, 0)
	if _, err := e.store.Submit(ctx, "wins", 2, "bob", 1, 0, nil); !hasField(err, "score") {
		t.Errorf("past MaxScore: got %v, want invalid score", err)
	}
	if r, err := e.store.Record(ctx, "wins", 2, nil); err != nil || r.Score != leaderboards.MaxScore {
		t.Errorf("after a refused incr: got %+v %v, want MaxScore", r, err)
	}
}

func testSubmitValidation(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "points"})
	for _, tc := range []struct {
		user            int64
		username        string
		score, subscore int64
		metadata        string
		field           string
	}{
		{0, "a", 1, 0, "", "user"},
		{1, strings.Repeat("é", 151), 1, 0, "", "username"},
		{1, "a\x00", 1, 0, "", "username"},
		{1, "\xff", 1, 0, "", "username"},
		{1, "a", leaderboards.MaxScore + 1, 0, "", "score"},
		{1, "a", -leaderboards.MaxScore - 1, 0, "", "score"},
		{1, "a", 1, leaderboards.MaxScore + 1, "", "subscore"},
		{1, "a", 1, 0, `[1]`, "metadata"},
		{1, "a", 1, 0, `"x"`, "metadata"},
		{1, "a", 1, 0, `{"a":`, "metadata"},
		{1, "a", 1, 0, `{"a":"\u0000"}`, "metadata"},
		{1, "a", 1, 0, `{"a":"` + strings.Repeat("x", leaderboards.MaxMetadataBytes) + `"}`, "metadata"},
	} {
		var meta json.RawMessage
		if tc.metadata != "" {
			meta = json.RawMessage(tc.metadata)
		}
		if _, err := e.store.Submit(ctx, "points", tc.user, tc.username, tc.score, tc.subscore, meta); !hasField(err, tc.field) {
			t.Errorf("submit %+v: got %v, want a message for %s", tc, err, tc.field)
		}
	}
	if got := e.top("points", leaderboards.TopOptions{}); got != "" {
		t.Errorf("after refused submits: got %q, want nothing stored", got)
	}
	if r, err := e.store.Submit(ctx, "points", 1, strings.Repeat("é", 150), -leaderboards.MaxScore, leaderboards.MaxScore, json.RawMessage(`null`)); err != nil || r.Score != -leaderboards.MaxScore || string(r.Metadata) != `{}` {
		t.Errorf("the limits: got %+v %v", r, err)
	}
}

func testRanks(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "points"})
	e.submit("points", 5, 100, 0) // first at 100/0
	e.submit("points", 3, 100, 0) // same score and time: by user id, 3 first
	e.advance(time.Millisecond)
	e.submit("points", 1, 100, 0) // later: after both
	e.submit("points", 2, 100, 1) // better subscore: before all three
	e.submit("points", 4, 200, -1)
	e.submit("points", 6, 50, 9)
	want := "4:200#1 2:100#2 3:100#3 5:100#4 1:100#5 6:50#6"
	if got := e.top("points", leaderboards.TopOptions{}); got != want {
		t.Errorf("top: got %q, want %q", got, want)
	}
	for _, user := range []int64{4, 2, 3, 5, 1, 6} {
		r, err := e.store.Record(ctx, "points", user, nil)
		if err != nil || !strings.Contains(want, fmt.Sprintf("%d:%d#%d", user, r.Score, r.Rank)) {
			t.Errorf("record of %d: got %+v %v, want as in %q", user, r, err, want)
		}
	}
	records, err := e.store.Records(ctx, "points", []int64{6, 1, 99, 4}, nil)
	if got := render(records); err != nil || got != "4:200#1 1:100#5 6:50#6" {
		t.Errorf("records of 6, 1, 99, 4: got %q %v", got, err)
	}
	if records, err := e.store.Records(ctx, "points", nil, nil); err != nil || records == nil || len(records) != 0 {
		t.Errorf("records of nobody: got %#v %v, want an empty list", records, err)
	}
	many := make([]int64, leaderboards.MaxUsers+1)
	if _, err := e.store.Records(ctx, "points", many, nil); !hasField(err, "users") {
		t.Errorf("too many users: got %v, want invalid users", err)
	}
	if _, err := e.store.Records(ctx, "nope", []int64{1}, nil); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("records of a missing board: got %v", err)
	}

	e.board(leaderboards.Board{ID: "laps", Order: leaderboards.LowerFirst})
	e.submit("laps", 1, 60, 5)
	e.submit("laps", 2, 60, 4)
	e.submit("laps", 3, 59, 9)
	if got := e.top("laps", leaderboards.TopOptions{}); got != "3:59#1 2:60#2 1:60#3" {
		t.Errorf("lower first: got %q", got)
	}
}

func testPages(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "points"})
	for user := int64(1); user <= 7; user++ {
		e.submit("points", user, 100-user, 0)
	}
	var pages []string
	opts := leaderboards.TopOptions{Limit: 3}
	for {
		p, err := e.store.Top(ctx, "points", opts)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, render(p.Records))
		if p.Next == "" {
			break
		}
		opts.Cursor = p.Next
		// A cursor keeps its period and its place, whatever happens meanwhile.
		e.advance(time.Hour)
	}
	if got, want := strings.Join(pages, " | "), "1:99#1 2:98#2 3:97#3 | 4:96#4 5:95#5 6:94#6 | 7:93#7"; got != want {
		t.Errorf("pages: got %q, want %q", got, want)
	}
	p, err := e.store.Top(ctx, "points", leaderboards.TopOptions{Limit: 7})
	if err != nil || len(p.Records) != 7 || p.Next != "" {
		t.Errorf("a page of exactly all: got %d records, next %q, %v", len(p.Records), p.Next, err)
	}
	for _, opts := range []leaderboards.TopOptions{
		{Limit: -1}, {Limit: leaderboards.MaxLimit + 1},
	} {
		if _, err := e.store.Top(ctx, "points", opts); !hasField(err, "limit") {
			t.Errorf("top %+v: got %v, want invalid limit", opts, err)
		}
	}
	for _, c := range []string{"x", "!!", "MS4yLjM", "bm9wZQ"} {
		if _, err := e.store.Top(ctx, "points", leaderboards.TopOptions{Cursor: c}); !hasField(err, "cursor") {
			t.Errorf("cursor %q: got %v, want invalid cursor", c, err)
		}
	}
	if _, err := e.store.Top(ctx, "nope", leaderboards.TopOptions{}); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("top of a missing board: got %v", err)
	}
}

func testAround(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "points"})
	for user := int64(1); user <= 20; user++ {
		e.submit("points", user, 1000-user, 0)
	}
	for _, tc := range []struct {
		user int64
		n    int
		want string
		more bool
	}{
		{10, 2, "8:992#8 9:991#9 10:990#10 11:989#11 12:988#12", true},
		{1, 2, "1:999#1 2:998#2 3:997#3", true},
		{20, 2, "18:982#18 19:981#19 20:980#20", false},
		{19, 1, "18:982#18 19:981#19 20:980#20", false},
		{3, 0, "1:999#1 2:998#2 3:997#3 4:996#4 5:995#5 6:994#6 7:993#7 8:992#8", true},
	} {
		p, err := e.store.Around(ctx, "points", tc.user, tc.n, nil)
		if got := render(p.Records); err != nil || got != tc.want || (p.Next != "") != tc.more {
			t.Errorf("around %d by %d: got %q next %q %v, want %q", tc.user, tc.n, got, p.Next, err, tc.want)
		}
	}
	p, err := e.store.Around(ctx, "points", 10, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.top("points", leaderboards.TopOptions{Cursor: p.Next, Limit: 2}); got != "13:987#13 14:986#14" {
		t.Errorf("below around: got %q", got)
	}
	if _, err := e.store.Around(ctx, "points", 99, 2, nil); !errors.Is(err, leaderboards.ErrRecordNotFound) {
		t.Errorf("around a user without a record: got %v", err)
	}
	if _, err := e.store.Around(ctx, "points", 1, leaderboards.MaxAround+1, nil); !hasField(err, "limit") {
		t.Errorf("around too many: got %v, want invalid limit", err)
	}
}

func testPeriods(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "hourly", Reset: "every 1h"})
	e.board(leaderboards.Board{ID: "daily", Reset: "@daily", Operator: leaderboards.Incr})
	e.board(leaderboards.Board{ID: "ever"})
	e.advance(30 * time.Minute) // 08:30
	e.submit("hourly", 1, 10, 0)
	e.submit("daily", 1, 10, 0)
	e.submit("ever", 1, 10, 0)
	first, err := e.store.Top(ctx, "hourly", leaderboards.TopOptions{})
	if want := start.Unix(); err != nil || first.Period.ID != want || !first.Period.Start.Equal(start) ||
		first.Period.End == nil || !first.Period.End.Equal(start.Add(time.Hour)) {
		t.Errorf("hourly period: got %+v %v, want %d to an hour later", first.Period, err, want)
	}
	if p, err := e.store.Top(ctx, "ever", leaderboards.TopOptions{}); err != nil || p.Period.ID != 0 || p.Period.End != nil {
		t.Errorf("a board that never resets: got %+v %v, want period 0 with no end", p.Period, err)
	}
	e.advance(time.Hour) // 09:30: a new hour, the same day
	e.submit("hourly", 2, 5, 0)
	if r := e.submit("daily", 1, 1, 0); r.Score != 11 {
		t.Errorf("daily in the same day: got %d, want 11", r.Score)
	}
	if got := e.top("hourly", leaderboards.TopOptions{}); got != "2:5#1" {
		t.Errorf("hourly after an hour: got %q, want only the new period's record", got)
	}
	old := first.Period.ID
	if got := e.top("hourly", leaderboards.TopOptions{Period: &old}); got != "1:10#1" {
		t.Errorf("the past period: got %q, want it intact", got)
	}
	if r, err := e.store.Record(ctx, "hourly", 1, &old); err != nil || r.Score != 10 || r.Rank != 1 {
		t.Errorf("record in the past period: got %+v %v", r, err)
	}
	if _, err := e.store.Record(ctx, "hourly", 1, nil); !errors.Is(err, leaderboards.ErrRecordNotFound) {
		t.Errorf("record in the new period: got %v, want none", err)
	}
	e.advance(15 * time.Hour) // 00:30 the next day
	if r := e.submit("daily", 1, 1, 0); r.Score != 1 {
		t.Errorf("daily on the next day: got %d, want a new record of 1", r.Score)
	}
	p, err := e.store.Top(ctx, "daily", leaderboards.TopOptions{})
	if midnight := time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC); err != nil || !p.Period.Start.Equal(midnight) || p.Period.ID != midnight.Unix() {
		t.Errorf("daily period: got %+v %v, want from %v", p.Period, err, midnight)
	}
	if r := e.submit("ever", 1, 20, 0); r.Score != 20 {
		t.Errorf("a board that never resets keeps its record: got %d", r.Score)
	}
	// A new schedule applies from now on.
	weekly := "@weekly"
	if _, err := e.store.UpdateBoard(ctx, "hourly", leaderboards.BoardChange{Reset: &weekly}); err != nil {
		t.Fatal(err)
	}
	e.submit("hourly", 3, 1, 0)
	p, err = e.store.Top(ctx, "hourly", leaderboards.TopOptions{})
	if sunday := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC); err != nil || !p.Period.Start.Equal(sunday) || render(p.Records) != "3:1#1" {
		t.Errorf("weekly: got %+v %q %v, want from %v", p.Period, render(p.Records), err, sunday)
	}
}

func testReset(t *testing.T, e *env) {
	ctx := context.Background()
	e.board(leaderboards.Board{ID: "ever"})
	e.submit("ever", 1, 10, 0)
	before, err := e.store.Top(ctx, "ever", leaderboards.TopOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if _, err := e.store.ResetBoard(ctx, "ever"); err != nil {
		t.Fatal(err)
	}
	after, err := e.store.Top(ctx, "ever", leaderboards.TopOptions{})
	if err != nil || len(after.Records) != 0 || after.Period.ID == before.Period.ID || after.Period.ID != start.Add(time.Minute).Unix() {
		t.Errorf("after a reset: got %+v %v, want an empty period from now", after, err)
	}
	e.submit("ever", 2, 5, 0)
	if got := e.top("ever", leaderboards.TopOptions{Period: &before.Period.ID}); got != "1:10#1" {
		t.Errorf("the period before the reset: got %q", got)
	}
	if got := e.top("ever", leaderboards.TopOptions{}); got != "2:5#1" {
		t.Errorf("the period after the reset: got %q", got)
	}
	// Two resets in one second still make two periods.
	if _, err := e.store.ResetBoard(ctx, "ever"); err != nil {
		t.Fatal(err)
	}
	if got := e.top("ever", leaderboards.TopOptions{}); got != "" {
		t.Errorf("after a second reset in the same second: got %q, want an empty period", got)
	}
	if _, err := e.store.ResetBoard(ctx, "nope"); !errors.Is(err, leaderboards.ErrBoardNotFound) {
		t.Errorf("reset a missing board: got %v", err)
	}
}

func testEvents(t *testing.T, e *env) {
	e.board(leaderboards.Board{ID: "points"})
	ch := leaderboards.Channel("points")
	e.submit("points", 1, 10, 0)
	e.submit("points", 2, 20, 0)
	e.submit("points", 3, 30, 0)
	want := []string{
		ch + " record 1 10 1 0", "user.1 rank 1 10 1 0",
		ch + " record 2 20 1 0", "user.2 rank 2 20 1 0",
		ch + " record 3 30 1 0", "user.3 rank 3 30 1 0",
	}
	if got := e.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("first records: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e.submit("points", 1, 5, 0) // no better: nothing changed, nothing said
	e.submit("points", 4, 1, 0) // rank 4: out of the top 3, within the depth
	e.submit("points", 5, 0, 0) // rank 5
	e.submit("points", 6, -1, 0)
	want = []string{"user.4 rank 4 1 4 0", "user.5 rank 5 0 5 0"} // user 6 is beyond the depth of 5
	if got := e.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("below the top: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e.submit("points", 1, 25, 0) // 3rd to 2nd
	e.submit("points", 6, 2, 0)  // beyond the depth to 4th
	want = []string{ch + " record 1 25 2 3", "user.1 rank 1 25 2 3", "user.6 rank 6 2 4 0"}
	if got := e.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("moves: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e.submit("points", 1, 26, 0) // still 2nd: the top changed, the rank did not
	want = []string{ch + " record 1 26 2 2"}
	if got := e.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("a better score, the same rank: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// goroutines is how many writers the concurrency tests run at once.
const goroutines = 64

func testConcurrentIncr(t *testing.T, e *env) {
	e.board(leaderboards.Board{ID: "wins", Operator: leaderboards.Incr})
	const each = 10
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				// Half the writers share user 1; the rest each have one.
				user := int64(1)
				if g%2 == 1 {
					user = int64(g + 1)
				}
				if _, err := e.store.Submit(context.Background(), "wins", user, "u", int64(i+1), 1, nil); err != nil {
					t.Errorf("submit: %v", err)
				}
			}
		})
	}
	wg.Wait()
	const sum = each * (each + 1) / 2
	records, err := e.store.Top(context.Background(), "wins", leaderboards.TopOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(records.Records) != 1+goroutines/2 {
		t.Errorf("%d records, want %d", len(records.Records), 1+goroutines/2)
	}
	for _, r := range records.Records {
		want, wantSub := int64(sum), int64(each)
		if r.UserID == 1 {
			want, wantSub = sum*goroutines/2, each*goroutines/2
		}
		if r.Score != want || r.Subscore != wantSub {
			t.Errorf("user %d: got %d/%d, want %d/%d", r.UserID, r.Score, r.Subscore, want, wantSub)
		}
	}
}

func testConcurrentBest(t *testing.T, e *env) {
	e.racing = true
	e.board(leaderboards.Board{ID: "points"})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range 5 {
				score := int64((g*7+i*13)%100 + 1)
				if _, err := e.store.Submit(context.Background(), "points", int64(g%8+1), "u", score, 0, nil); err != nil {
					t.Errorf("submit: %v", err)
				}
			}
		})
	}
	wg.Wait()
	best := map[int64]int64{}
	for g := range goroutines {
		for i := range 5 {
			user, score := int64(g%8+1), int64((g*7+i*13)%100+1)
			best[user] = max(best[user], score)
		}
	}
	p, err := e.store.Top(context.Background(), "points", leaderboards.TopOptions{})
	if err != nil || len(p.Records) != len(best) {
		t.Fatalf("got %d records %v, want %d", len(p.Records), err, len(best))
	}
	for i, r := range p.Records {
		if r.Score != best[r.UserID] || r.Rank != int64(i+1) {
			t.Errorf("user %d: got %d at %d, want %d", r.UserID, r.Score, r.Rank, best[r.UserID])
		}
	}
	// The events announced the top records, each after it was stored
	// (checked as they came); none was lost in the race.
	if len(e.take()) == 0 {
		t.Error("no events")
	}
}
