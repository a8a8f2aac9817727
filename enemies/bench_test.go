package enemies_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// BenchmarkTransition is persisted transitions on a SQLite file, as a
// server runs it, one after the other, each in its own transaction.
//
// The limit is the least a persisted transition can cost: a raw
// conditional UPDATE of the monster's row (state, target, health and
// version, where id, state and version match), in its own transaction, with
// plain database/sql; limit-prepared is the same statement prepared once. gamekit is SQLStore.Fire: the
// transaction loads the monster, checks the transition with the machine,
// settles automatic transitions, writes the row with the same conditional
// UPDATE and adds the history row. Both alternate attack and wander on one monster. The
// machine is noisy: only the ratio of the two, taken in one run, means
// anything.
func BenchmarkTransition(b *testing.B) {
	ctx := context.Background()
	db := storagetest.Open(b, storagetest.File, enemies.Migrations())
	store := storagetest.Must(enemies.NewSQLStore(db, nil))
	user := int64(1)

	// limit runs the conditional UPDATE as plain database/sql does, or
	// prepared once; the second is the stricter limit.
	limit := func(prepared bool) func(b *testing.B) {
		return func(b *testing.B) {
			const update = `UPDATE gamekit_monsters SET state = ?, user_being_attacked = ?,
				health_points = ?, version = version + 1 WHERE id = ? AND state = ? AND version = ?`
			m := mustMonster(b, store)
			stmt, err := db.DB.PrepareContext(ctx, update)
			if err != nil {
				b.Fatal(err)
			}
			defer stmt.Close()
			version, state := m.Version, enemies.Wandering
			for b.Loop() {
				next, target := enemies.Attacking, &user
				if state == enemies.Attacking {
					next, target = enemies.Wandering, nil
				}
				tx, err := db.DB.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				args := []any{next, target, m.HealthPoints, m.ID, state, version}
				var res sql.Result
				if prepared {
					res, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
				} else {
					res, err = tx.ExecContext(ctx, update, args...)
				}
				if err != nil {
					b.Fatal(err)
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					b.Fatalf("updated %d rows, %v; want 1", n, err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				version, state = version+1, next
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
		}
	}
	b.Run("limit", limit(false))
	b.Run("limit-prepared", limit(true))

	b.Run("gamekit", func(b *testing.B) {
		m := mustMonster(b, store)
		before, err := store.CountHistory(ctx, enemies.HistoryOptions{Monster: m.ID})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for b.Loop() {
			name, args := enemies.Attack, enemies.Args{User: &user}
			if m.State == enemies.Attacking {
				name, args = enemies.Wander, enemies.Args{}
			}
			if m, err = store.Fire(ctx, m.ID, name, args, user); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
		after, err := store.CountHistory(ctx, enemies.HistoryOptions{Monster: m.ID})
		if err != nil || after-before != n {
			b.Fatalf("history: %d entries, %v; want %d", after-before, err, n)
		}
	})
}
