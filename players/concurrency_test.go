package players_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

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
		const goroutines = 64
		var accepted atomic.Int64
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				_, err := stores[i%2].Move(context.Background(), p.ID, alice, 0, 1)
				if err == nil {
					accepted.Add(1)
				} else if !errors.Is(err, gamekit.ErrRateLimited) {
					t.Errorf("move: %v", err)
				}
			})
		}
		wg.Wait()
		if accepted.Load() != players.DefaultRate {
			t.Errorf("%d of %d moves accepted, want %d", accepted.Load(), goroutines, players.DefaultRate)
		}
		if got := mustGet(t, stores[1], p.ID); got.Y != float64(accepted.Load()) {
			t.Errorf("y %v after %d accepted moves", got.Y, accepted.Load())
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
