package players_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a time a test sets and advances; stores read it as their Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// start is when every test's clock starts: a whole second, far from 0.
var start = time.UnixMilli(1_800_000_000_000)

func newClock() *clock { return &clock{now: start} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is what a store test works with.
type env struct {
	store  *players.SQLStore
	db     *bun.DB
	events *apitest.Events
	clock  *clock
}

// runStore runs fn on a fresh store with opts (nil for defaults), on a
// test clock and publishing to a recorder, on each test database.
func runStore(t *testing.T, opts *players.StoreOptions, fn func(t *testing.T, e *env)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newEnv(t, db, opts))
	}, players.Migrations())
}

func newEnv(t testing.TB, db *bun.DB, opts *players.StoreOptions) *env {
	t.Helper()
	e := &env{db: db, events: &apitest.Events{}, clock: newClock()}
	var o players.StoreOptions
	if opts != nil {
		o = *opts
	}
	o.Publisher, o.Now = e.events, e.clock.Now
	var err error
	if e.store, err = players.NewSQLStore(db, &o); err != nil {
		t.Fatal(err)
	}
	return e
}

// Users of the tests, as apitest.Callers knows them.
const (
	alice = 1
	bob   = 2
)

// mustPlayer stores a player of user at (x, y).
func mustPlayer(t testing.TB, s players.Store, user int64, username string, x, y float64) players.Player {
	t.Helper()
	p := players.Player{UserID: user, Username: username, X: x, Y: y}
	if err := s.CreatePlayer(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustGet reads a player back from the database.
func mustGet(t testing.TB, s players.Store, id int64) players.Player {
	t.Helper()
	p, err := s.Player(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
