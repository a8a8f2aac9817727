package gifts_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite" // file paths and :memory:
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	go realSleeper()
	code := m.Run()
	close(realSleeps)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Leases are dated by the database's clock, which runs in real time even
// inside a synctest bubble, where the scheduler's clock is fake. A test
// lets a lease expire with realSleep: the test goroutine waits on
// channels made outside every bubble, so it is not durably blocked and
// the bubble's clock stands still while the database's moves on.
var (
	realSleeps = make(chan time.Duration)
	realSlept  = make(chan struct{})
	realMu     sync.Mutex
)

func realSleeper() {
	for d := range realSleeps {
		time.Sleep(d)
		realSlept <- struct{}{}
	}
}

func realSleep(d time.Duration) {
	realMu.Lock()
	defer realMu.Unlock()
	realSleeps <- d
	<-realSlept
}

// testLease is the lease of the tests that wait for one to expire: short,
// since they wait for it in real time, and long enough that a scheduler
// renews it in time on a busy machine.
const testLease = time.Second

// expire waits until every lease taken or renewed so far has expired by
// the database's clock, while the bubble's clock stands still.
func expire() { realSleep(testLease + 50*time.Millisecond) }

// The inventory store is what a host passes as the Granter.
var _ gifts.Granter = (*inventory.SQLStore)(nil)

// epoch is where time starts in a synctest bubble: midnight UTC 2000-01-01,
// a whole number of every interval the tests use, so tick n of a 10s
// schedule fires at epoch + (n - epochTick)*10s.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// tickAt is the number of the 10s tick firing at epoch + d.
func tickAt(d time.Duration) int64 { return (epoch.Add(d).UnixNano()) / int64(10*time.Second) }

// inBubble runs fn as a subtest on each kind of database, inside a
// testing/synctest bubble, so the scheduler's timers run on a fake clock
// that jumps ahead whenever every goroutine waits: ten-second ticks take
// microseconds. The database is opened inside the bubble, so its pool's
// goroutines belong to the bubble and end with it.
func inBubble(t *testing.T, kinds []storagetest.Kind, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fn(t, storagetest.Open(t, kind, inventory.Migrations(), gifts.Migrations()))
			})
		})
	}
}

var (
	memory = []storagetest.Kind{storagetest.Memory}
	both   = []storagetest.Kind{storagetest.Memory, storagetest.Postgres}
	shared = []storagetest.Kind{storagetest.File, storagetest.Postgres}
)

// seed creates n users' inventories, user ids 1..n, named user1...
func seed(t testing.TB, db *bun.DB, from, to int) {
	t.Helper()
	s := storagetest.Must(inventory.NewSQLStore(db, nil))
	for i := from; i <= to; i++ {
		inv := inventory.Inventory{UserID: int64(i), Username: fmt.Sprintf("user%d", i)}
		if err := s.CreateInventory(context.Background(), &inv); err != nil {
			t.Fatal(err)
		}
	}
}

// granter is the inventory store granting in small batches, so a handful
// of users make several batches, with a hook run after each batch.
type granter struct {
	store *inventory.SQLStore
	batch int
	// after, when set, runs after each batch committed and the scheduler
	// heard of it; an error stops the grant, as a crash there would.
	after func(ctx context.Context, key string, users []int64) error
}

func newGranter(db *bun.DB, batch int) *granter {
	return &granter{store: storagetest.Must(inventory.NewSQLStore(db, nil)), batch: batch}
}

func (g *granter) Grant(ctx context.Context, key, name string, weight float64, granted func(ctx context.Context, userIDs []int64) error) (int, error) {
	return g.store.GrantItems(ctx, inventory.Grant{Key: key, Name: name, Weight: weight, BatchSize: g.batch,
		Granted: func(ctx context.Context, users []int64) error {
			if err := granted(ctx, users); err != nil {
				return err
			}
			if g.after != nil {
				return g.after(ctx, key, users)
			}
			return nil
		}})
}

// perUser counts the events per channel.
func perUser(e *apitest.Events) map[string]int {
	got := make(map[string]int)
	for _, ev := range e.All() {
		got[ev.Channel]++
	}
	return got
}

// gift is one gift as a player owns it: in their inventory.
type gift struct {
	Key    string
	Name   string
	Weight float64
}

// owned returns every user's gifts, by user id, in key order. A gift
// counts only if it is linked to its recipient's inventory.
func owned(t testing.TB, db *bun.DB) map[int64][]gift {
	t.Helper()
	var rows []struct {
		UserID int64   `bun:"user_id"`
		Key    string  `bun:"grant_key"`
		Name   string  `bun:"name"`
		Weight float64 `bun:"weight"`
	}
	err := db.NewRaw(`SELECT inv.user_id, item.grant_key, item.name, item.weight
		FROM gamekit_inventories AS inv
		JOIN gamekit_inventory_items AS link ON link.inventory_id = inv.id
		JOIN gamekit_items AS item ON item.id = link.item_id
		WHERE item.grant_key IS NOT NULL AND item.grant_user = inv.user_id
		ORDER BY inv.user_id, item.grant_key`).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[int64][]gift)
	for _, r := range rows {
		got[r.UserID] = append(got[r.UserID], gift{r.Key, r.Name, r.Weight})
	}
	return got
}

// ticksOf returns, per user, the ticks of the named schedule they got
// gifts of, in order, with a tick given twice appearing twice.
func ticksOf(t testing.TB, db *bun.DB, name string) map[int64][]int64 {
	t.Helper()
	got := make(map[int64][]int64)
	for user, list := range owned(t, db) {
		for _, g := range list {
			rest, ok := strings.CutPrefix(g.Key, "gifts:"+name+":")
			if !ok {
				continue // another schedule's
			}
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				t.Fatalf("user %d: gift key %q: %v", user, g.Key, err)
			}
			got[user] = append(got[user], n)
		}
		slices.Sort(got[user])
	}
	return got
}

// span is the ticks from..to inclusive.
func span(from, to int64) []int64 {
	var s []int64
	for n := from; n <= to; n++ {
		s = append(s, n)
	}
	return s
}

// testLogger logs through the test, so a failing test shows what the
// scheduler said.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start makes and starts a scheduler with the test's logger; it is
// stopped when the test ends if the test did not stop it.
func start(t *testing.T, db *bun.DB, g gifts.Granter, opts gifts.Options) *gifts.Scheduler {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s, err := gifts.New(db, g, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

func stop(t *testing.T, s *gifts.Scheduler) {
	t.Helper()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// told counts the gift events per (user channel, tick).
func told(e *apitest.Events) map[string]int {
	got := make(map[string]int)
	for _, ev := range e.All() {
		g, ok := ev.Data.(gifts.Gift)
		if !ok || ev.Name != gifts.EventGift {
			continue
		}
		got[fmt.Sprintf("%s@%d", ev.Channel, g.Tick)]++
	}
	return got
}

// checkTold fails unless every user in 1..users was told exactly once of
// each tick in ticks, and of nothing else.
func checkTold(t *testing.T, e *apitest.Events, users int, ticks []int64) {
	t.Helper()
	got := told(e)
	for user := 1; user <= users; user++ {
		for _, n := range ticks {
			k := fmt.Sprintf("user.%d@%d", user, n)
			if got[k] != 1 {
				t.Errorf("user %d told of tick %d %d times, want once", user, n, got[k])
			}
			delete(got, k)
		}
	}
	if len(got) > 0 {
		t.Errorf("unexpected events: %v", got)
	}
}

// checkTicks fails unless every user in 1..users has exactly one gift of
// each tick in ticks and no other gift of the schedule.
func checkTicks(t *testing.T, db *bun.DB, name string, users int, ticks []int64) {
	t.Helper()
	got := ticksOf(t, db, name)
	for user := int64(1); user <= int64(users); user++ {
		if fmt.Sprint(got[user]) != fmt.Sprint(ticks) {
			t.Errorf("user %d: got gifts of ticks %v, want %v", user, got[user], ticks)
		}
	}
}

// kindOf is the kind of a shared test database.
func kindOf(db *bun.DB) storagetest.Kind {
	if db.Dialect().Name().String() == "pg" {
		return storagetest.Postgres
	}
	return storagetest.File
}

// handles returns db and more connection pools on the same database, one
// per scheduler, as separate server processes would have.
func handles(t *testing.T, db *bun.DB, kind storagetest.Kind, n int) []*bun.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch kind {
	case storagetest.File:
		if err := db.NewRaw(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(ctx, &dsn); err != nil {
			t.Fatal(err)
		}
	case storagetest.Postgres:
		var schema string
		if err := db.NewRaw(`SELECT current_schema()`).Scan(ctx, &schema); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv(storagetest.PostgresEnv))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	default:
		t.Fatalf("handles: %s is private to one pool", kind)
	}
	dbs := []*bun.DB{db}
	for len(dbs) < n {
		other, err := storage.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		dbs = append(dbs, other)
	}
	return dbs
}
