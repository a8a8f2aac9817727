package gifts_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/rawgrant"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// The benchmarks measure a gift tick against a limit taken in the same run,
// on the same machine: the machine is noisy, so only the ratio of a
// "gamekit" sub-benchmark to its "limit" sibling means anything.
//
// The limit writes the same rows as a tick with plain database/sql: a
// keyset read of each batch of inventories, then multi-row
// INSERT ... VALUES statements, in the same transactions of
// inventory.DefaultGrantBatch users (inventory's BenchmarkGrant has the
// same limit). A gamekit tick is the whole of what the scheduler does when
// a tick fires: take or renew the lease, record the tick as started, grant
// it through inventory.SQLStore, publish an event per user, and record the
// tick as done.
//
// Run them with a fixed count of rounds, so the limit and gamekit see the
// same table sizes:
//
//	go test -run '^$' -bench . -benchtime 5x ./gifts/

// benchExec runs a statement outside the timer.
func benchExec(b *testing.B, db *bun.DB, query string, args ...any) {
	b.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		b.Fatal(err)
	}
}

// benchSeed gives users 1..n an inventory each, named playerNNNNNN.
func benchSeed(b *testing.B, db *bun.DB, n int) {
	benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_inventories (user_id, username) SELECT n, printf('player%06d', n) FROM seq`, n)
}

// benchSize is the database's size in bytes, with the WAL checkpointed
// into it first.
func benchSize(b *testing.B, db *bun.DB) int64 {
	b.Helper()
	ctx := context.Background()
	benchExec(b, db, "PRAGMA wal_checkpoint(TRUNCATE)")
	var pages, size int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		b.Fatal(err)
	}
	return pages * size
}

// benchClock is a clock the benchmark moves by hand.
type benchClock struct{ now atomic.Int64 }

func (c *benchClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *benchClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// benchTicker is a scheduler on a hand-moved clock that fires one tick per
// call, in the caller's goroutine.
type benchTicker struct {
	s      *gifts.Scheduler
	clock  *benchClock
	events atomic.Int64
}

func newBenchTicker(b *testing.B, db *bun.DB) *benchTicker {
	b.Helper()
	t := &benchTicker{clock: &benchClock{}}
	t.clock.now.Store(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC).UnixNano())
	var err error
	t.s, err = gifts.New(db, storagetest.Must(inventory.NewSQLStore(db, nil)), &gifts.Options{
		Now:    t.clock.Now,
		Logger: slog.New(slog.DiscardHandler),
		Publisher: gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
			t.events.Add(1)
			return nil
		}),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := t.s.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	t.s.Step(ctx) // takes the lease; nothing is due yet
	return t
}

// tick moves the clock to the next tick and runs it, returning the users
// it served.
func (t *benchTicker) tick(ctx context.Context) (int, error) {
	t.clock.Advance(gifts.DefaultInterval)
	before := t.s.Stats().Ticks
	t.s.Step(ctx)
	st := t.s.Stats()
	if st.Ticks != before+1 {
		return 0, fmt.Errorf("tick %d not granted: %+v", before+1, st)
	}
	return st.Users, nil
}

// BenchmarkTick is one gift tick for every player. Each sub-benchmark has
// a database file of its own, seeded outside the timer, and uses b.Loop,
// so its function runs once: every round adds its rows to the same
// growing tables. Besides time it reports bytes/tick, how much the
// database file grows per tick.
func BenchmarkTick(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			b.Run("limit", func(b *testing.B) {
				benchTick(b, users, func(b *testing.B, db *bun.DB) func(ctx context.Context, round int) (int, error) {
					// Keys as long as a tick's, so the rows are the same size.
					first := time.Now().Unix() / 10
					return func(ctx context.Context, round int) (int, error) {
						return rawgrant.Grant(ctx, db.DB, gifts.Key(gifts.DefaultName, first+int64(round)), benchGiftPrefix, inventory.DefaultGrantBatch)
					}
				})
			})
			b.Run("gamekit", func(b *testing.B) {
				var t *benchTicker
				benchTick(b, users, func(b *testing.B, db *bun.DB) func(ctx context.Context, round int) (int, error) {
					t = newBenchTicker(b, db)
					return func(ctx context.Context, _ int) (int, error) { return t.tick(ctx) }
				})
				if got, want := t.events.Load(), int64(users*b.N); got != want {
					b.Fatalf("events: got %d, want %d", got, want)
				}
			})
		})
	}
}

func benchTick(b *testing.B, users int, setup func(b *testing.B, db *bun.DB) func(ctx context.Context, round int) (int, error)) {
	ctx := b.Context()
	db := storagetest.Open(b, storagetest.File, inventory.Migrations(), gifts.Migrations())
	benchSeed(b, db, users)
	grant := setup(b, db)
	before := benchSize(b, db)
	rounds := 0
	for b.Loop() {
		rounds++
		n, err := grant(ctx, rounds)
		if err != nil {
			b.Fatal(err)
		}
		if n != users {
			b.Fatalf("round %d: granted %d users, want %d", rounds, n, users)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/tick")
	b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.StopTimer()
	b.ReportMetric(float64(benchSize(b, db)-before)/float64(rounds), "bytes/tick")

	// Every round gave every inventory one linked item of its own.
	var linked int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gamekit_inventory_items AS link
		JOIN gamekit_items AS item ON item.id = link.item_id
		JOIN gamekit_inventories AS inv ON inv.id = link.inventory_id
		WHERE item.grant_user = inv.user_id AND item.name = 'Gift for ' || inv.username`).Scan(&linked)
	if err != nil {
		b.Fatal(err)
	}
	if linked != users*rounds {
		b.Fatalf("after %d rounds: %d linked gifts, want %d", rounds, linked, users*rounds)
	}
}

// BenchmarkInventoryAfterTicks is a player reading their inventory,
// GET /api/inventories/?username=, on a database where 1,000 players have
// had no gift yet ("ticks=0", 3 items each) and where they have had 1,000
// ticks of gifts ("ticks=1000", 1,003 items each): what the tutorial's one
// item per gift costs a reader after under three hours of 10s ticks. Each
// request is from another player, one at a time, so ns/op is the latency;
// p50 and p99 are reported too.
func BenchmarkInventoryAfterTicks(b *testing.B) {
	const players = 1000
	for _, ticks := range []int{0, 1000} {
		b.Run(fmt.Sprintf("ticks=%d", ticks), func(b *testing.B) {
			db := storagetest.Open(b, storagetest.File, inventory.Migrations(), gifts.Migrations())
			benchSeed(b, db, players)
			benchExec(b, db, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
				INSERT INTO gamekit_items (name, weight) SELECT printf('Item %04d', n), 1 FROM seq`, 3*players)
			benchExec(b, db, `INSERT INTO gamekit_inventory_items (inventory_id, item_id)
				SELECT inv.id, item.id FROM gamekit_inventories AS inv
				JOIN gamekit_items AS item ON (item.id - 1) / 3 + 1 = inv.id`)
			if ticks > 0 {
				t := newBenchTicker(b, db)
				for range ticks {
					if _, err := t.tick(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
			}
			h, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(benchHost(h))
			b.Cleanup(srv.Close)
			client := srv.Client()
			get := func(n int) int {
				name := fmt.Sprintf("player%06d", n)
				req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/inventories/?username="+name, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("X-User", fmt.Sprint(n))
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"user":%d,`, n)) {
					b.Fatalf("GET as %s: got %d %.200s %v", name, res.StatusCode, body, err)
				}
				return len(body)
			}
			size := get(1)
			var took []time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				get(n%players + 1)
				took = append(took, time.Since(start))
				n++
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(size), "bytes/response")
		})
	}
}

// benchHost is a host's wiring around the inventory API: authentication
// (here the X-User header holds the caller's user id, and the username is
// derived from it as benchSeed names players) and a mount under /api/.
func benchHost(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id int64
		if _, err := fmt.Sscan(r.Header.Get("X-User"), &id); err == nil {
			r = r.WithContext(gamekit.WithIdentity(r.Context(),
				gamekit.Identity{UserID: id, Username: fmt.Sprintf("player%06d", id)}))
		}
		mux.ServeHTTP(w, r)
	})
}

// benchGiftPrefix is the gift's name before the username.
const benchGiftPrefix = "Gift for "
