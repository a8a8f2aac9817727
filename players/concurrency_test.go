package players_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

const goroutines = 64

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

// outcomes counts how concurrent moves ended, by kind.
type outcomes struct {
	mu                                sync.Mutex
	accepted, limited, invalid, other int
	errs                              []error
}

func (o *outcomes) add(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var limited *gamekit.RateLimitError
	var invalid *gamekit.InvalidError
	switch {
	case err == nil:
		o.accepted++
	case errors.As(err, &limited):
		o.limited++
	case errors.As(err, &invalid) && len(invalid.Fields["dx"]) == 1:
		o.invalid++
	default:
		o.other++
		o.errs = append(o.errs, err)
	}
}

// 64 goroutines move one player by +1, ten times each: every move is
// accepted, none is lost, and the rate limit counted every one.
func TestConcurrentMovesLoseNothing(t *testing.T) {
	const perGoroutine = 10
	storagetest.RunOn(t, concurrencyKinds, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db, &players.StoreOptions{Rate: goroutines * perGoroutine, Bound: 1e6})
		p := mustPlayer(t, e.store, alice, "alice", 0, 0)
		e.events.Take()
		var o outcomes
		together(goroutines, func(int) {
			for range perGoroutine {
				_, err := e.store.Move(context.Background(), p.ID, alice, 1, 0)
				o.add(err)
			}
		})
		got := mustGet(t, e.store, p.ID)
		if o.other != 0 || o.accepted != goroutines*perGoroutine {
			t.Errorf("%d accepted, unexpected errors %v; want all %d accepted", o.accepted, o.errs, goroutines*perGoroutine)
		}
		if got.X != float64(o.accepted) || got.WindowMoves != o.accepted {
			t.Errorf("after %d accepted moves: x %v, %d moves in the window", o.accepted, got.X, got.WindowMoves)
		}
		if n := len(e.events.Take()); n != o.accepted {
			t.Errorf("%d events for %d moves", n, o.accepted)
		}
	}, players.Migrations())
}

// Concurrent moves cannot share the last slots of a window or the last
// steps before a bound: exactly as many win as the rules allow.
func TestConcurrentMovesKeepTheRules(t *testing.T) {
	storagetest.RunOn(t, concurrencyKinds, func(t *testing.T, db *bun.DB) {
		for _, tc := range []struct {
			name string
			opts players.StoreOptions
			// moves accepted, and refused by rate and by bounds
			accepted, limited, invalid int
		}{
			{"rate", players.StoreOptions{Rate: 10, Bound: 1e6}, 10, goroutines - 10, 0},
			{"bounds", players.StoreOptions{Rate: 1000, Bound: 10}, 10, 0, goroutines - 10},
		} {
			e := newEnv(t, db, &tc.opts)
			p := mustPlayer(t, e.store, alice, "alice", 0, 0)
			var o outcomes
			together(goroutines, func(int) {
				_, err := e.store.Move(context.Background(), p.ID, alice, 1, 0)
				o.add(err)
			})
			if o.accepted != tc.accepted || o.limited != tc.limited || o.invalid != tc.invalid || o.other != 0 {
				t.Errorf("%s: %d accepted, %d rate limited, %d out of bounds, errors %v; want %d, %d, %d",
					tc.name, o.accepted, o.limited, o.invalid, o.errs, tc.accepted, tc.limited, tc.invalid)
			}
			if got := mustGet(t, e.store, p.ID); got.X != float64(o.accepted) {
				t.Errorf("%s: x %v after %d accepted moves", tc.name, got.X, o.accepted)
			}
		}
	}, players.Migrations())
}

// Two server processes — two connection pools, each with its own store —
// moving one player at once enforce one rate limit between them: it lives
// in the row, not in a process.
func TestRateLimitAcrossProcesses(t *testing.T) {
	storagetest.RunOn(t, []storagetest.Kind{storagetest.File, storagetest.Postgres}, func(t *testing.T, db *bun.DB) {
		other := reopen(t, db)
		clock := newClock()
		var stores [2]*players.SQLStore
		for i, pool := range []*bun.DB{db, other} {
			s, err := players.NewSQLStore(pool, &players.StoreOptions{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			stores[i] = s
		}
		p := mustPlayer(t, stores[0], alice, "alice", 0, 0)
		var o outcomes
		together(goroutines, func(i int) {
			_, err := stores[i%2].Move(context.Background(), p.ID, alice, 0, 1)
			o.add(err)
		})
		if o.accepted != players.DefaultRate || o.limited != goroutines-players.DefaultRate || o.other != 0 {
			t.Errorf("%d accepted, %d rate limited, errors %v; want %d and %d",
				o.accepted, o.limited, o.errs, players.DefaultRate, goroutines-players.DefaultRate)
		}
		if got := mustGet(t, stores[1], p.ID); got.Y != float64(o.accepted) {
			t.Errorf("y %v after %d accepted moves", got.Y, o.accepted)
		}
	}, players.Migrations())
}

// reopen opens a second pool on the database of db, as another server
// process would.
func reopen(t *testing.T, db *bun.DB) *bun.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	if db.Dialect().Name() == dialect.PG {
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
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
	} else if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&dsn); err != nil {
		t.Fatal(err)
	}
	other, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}
