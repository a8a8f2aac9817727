package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// A Memo runs its query once between two commits where the database has a
// mark (a SQLite file), and every time where it has none; either way it
// never returns a value older than the last commit.
func TestMemo(t *testing.T) {
	storagetest.RunOn(t, storagetest.Kinds, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO counter (id, n) VALUES (1, 0), (2, 100)"); err != nil {
			t.Fatal(err)
		}
		queries := 0
		memo := storage.NewMemo(db, func(ctx context.Context, id int) (int, error) {
			queries++
			var n int
			err := db.QueryRowContext(ctx, "SELECT n FROM counter WHERE id = ?", id).Scan(&n)
			return n, err
		})
		_, marked := storage.ReadMark(db)
		if file := strings.HasSuffix(t.Name(), string(storagetest.File)); marked != file {
			t.Fatalf("got a mark %v, want one only on a SQLite file", marked)
		}
		read := func(step string, id, want int) {
			t.Helper()
			if n, err := memo.Read(ctx, id); err != nil || n != want {
				t.Fatalf("%s: read %d: got %d (%v), want %d", step, id, n, err, want)
			}
		}
		expect := func(step string, id, want int) {
			t.Helper()
			before := queries
			for range 3 {
				read(step, id, want)
			}
			wantQueries := 3
			if marked {
				wantQueries = 1
			}
			if got := queries - before; got != wantQueries {
				t.Errorf("%s: three reads ran %d queries, want %d", step, got, wantQueries)
			}
		}
		expect("first", 1, 0)
		expect("another key", 2, 100)
		for i := 1; i <= 3; i++ {
			if _, err := db.ExecContext(ctx, "UPDATE counter SET n = n + 1 WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			expect("after a commit", 1, i)
		}
		// A commit to any table starts the Memo over.
		if _, err := db.ExecContext(ctx, "CREATE TABLE other (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		expect("after another table changed", 2, 100)

		// In a transaction there is no mark: the transaction's own writes
		// are seen.
		err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = 7 WHERE id = 1"); err != nil {
				return err
			}
			inTx := storage.NewMemo(tx, func(ctx context.Context, id int) (n int, err error) {
				return n, tx.QueryRowContext(ctx, "SELECT n FROM counter WHERE id = ?", id).Scan(&n)
			})
			if n, err := inTx.Read(ctx, 1); err != nil || n != 7 {
				t.Errorf("in a transaction: got %d (%v), want 7", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		expect("after the transaction", 1, 7)
	})
}
