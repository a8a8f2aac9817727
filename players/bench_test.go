package players_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// BenchmarkMove is validated, persisted moves, one after the other, each
// its own statement, as a server runs them, on a SQLite file (WAL, as a
// server has it) and in memory.
//
// The limit is the least a persisted move can cost: a raw conditional
// UPDATE of the same rows (add to the position where the id and the owner
// match) with plain database/sql, unprepared as most code runs it
// (raw-update) and prepared once (raw-update-prepared, the stricter
// limit). gamekit is SQLStore.Move: the checks in Go, then the one UPDATE
// that also checks step, bounds and rate and counts the move in its
// window, RETURNING the player, and the announcement (to gamekit.Discard).
//
// The moves go round 1000 players, there and back, and the store's clock
// advances a millisecond per move, so each player moves once a second of
// its clock: every move is accepted and the rate limit's window code runs
// on every one. The ratio gamekit reports, of-prepared, is its moves per
// second over raw-update-prepared's in the same run; the machine is noisy,
// and only that ratio means much.
func BenchmarkMove(b *testing.B) {
	const n = 1000
	for _, kind := range []storagetest.Kind{storagetest.File, storagetest.Memory} {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			db := storagetest.Open(b, kind, players.Migrations())
			var ms atomic.Int64
			ms.Store(start.UnixMilli())
			store, err := players.NewSQLStore(db, &players.StoreOptions{Now: func() time.Time {
				return time.UnixMilli(ms.Add(1))
			}})
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = mustPlayer(b, store, int64(i+1), "user", 0, 0).ID
			}
			// move returns the player and the step of the k-th move: round
			// after round over every player, +1 then -1.
			move := func(k int) (id, user int64, dx float64) {
				i := k % n
				dx = 1
				if (k/n)%2 == 1 {
					dx = -1
				}
				return ids[i], int64(i + 1), dx
			}

			var prepared float64 // raw-update-prepared's moves/s
			raw := func(prepare bool) func(b *testing.B) {
				return func(b *testing.B) {
					const update = `UPDATE gamekit_players SET position_x = position_x + $1, position_y = position_y + $2
						WHERE id = $3 AND user_id = $4`
					stmt, err := db.DB.PrepareContext(ctx, update)
					if err != nil {
						b.Fatal(err)
					}
					defer stmt.Close()
					k := 0
					for b.Loop() {
						id, user, dx := move(k)
						k++
						var res sql.Result
						if prepare {
							res, err = stmt.ExecContext(ctx, dx, 0.0, id, user)
						} else {
							res, err = db.DB.ExecContext(ctx, update, dx, 0.0, id, user)
						}
						if err != nil {
							b.Fatal(err)
						}
						if rows, err := res.RowsAffected(); err != nil || rows != 1 {
							b.Fatalf("updated %d rows, %v; want 1", rows, err)
						}
					}
					rate := float64(b.N) / b.Elapsed().Seconds()
					b.ReportMetric(rate, "moves/s")
					if prepare {
						prepared = rate
					}
					reset(b, db)
				}
			}
			b.Run("raw-update", raw(false))
			b.Run("raw-update-prepared", raw(true))

			b.Run("gamekit", func(b *testing.B) {
				k := 0
				for b.Loop() {
					id, user, dx := move(k)
					k++
					if _, err := store.Move(ctx, id, user, dx, 0); err != nil {
						b.Fatal(err)
					}
				}
				rate := float64(b.N) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "moves/s")
				if prepared > 0 {
					b.ReportMetric(rate/prepared, "of-prepared")
				}
				reset(b, db)
			})
		})
	}
}

// reset puts every player back at the origin after a run, so the next run
// starts where this one did, whether it ended after a move there or back.
func reset(b *testing.B, db *bun.DB) {
	b.Helper()
	if _, err := db.DB.Exec(`UPDATE gamekit_players SET position_x = 0`); err != nil {
		b.Fatal(err)
	}
}
