package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite"
)

// childEnv names the database a test binary started by
// TestMarkSeesOtherProcesses writes to, as another server process would.
const childEnv = "GAMEKIT_TEST_MARK_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		db, err := storage.Open(context.Background(), path)
		if err == nil {
			_, err = db.Exec("INSERT INTO t (n) VALUES (2)")
			db.Close()
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func open(t *testing.T, path string) *bun.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// mark reads db's mark.
func mark(t *testing.T, db *bun.DB) storage.Mark {
	t.Helper()
	m, ok := storage.ReadMark(db)
	if !ok {
		t.Fatal("no mark on a database file")
	}
	return m
}

// A file's mark stays while nothing commits, and changes with every commit:
// this pool's, another pool's in this process, and another process's; a
// Memo on it reads every such change.
func TestMarkSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "game.db")
	db, other := open(t, path), open(t, path)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	sum := func(ctx context.Context, _ struct{}) (n int, err error) {
		return n, db.QueryRowContext(ctx, "SELECT coalesce(sum(n), 0) FROM t").Scan(&n)
	}
	memo := storage.NewMemo(db, sum)
	before := mark(t, db)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := mark(t, db); got != before {
		t.Error("the mark changed after a read")
	}
	if got := mark(t, other); got != before {
		t.Error("another pool on the file reads another mark")
	}

	for _, write := range []struct {
		who string
		do  func() error
	}{
		{"this pool", func() error { _, err := db.ExecContext(ctx, "INSERT INTO t (n) VALUES (1)"); return err }},
		{"another pool", func() error { _, err := other.ExecContext(ctx, "UPDATE t SET n = n + 1"); return err }},
		{"another process", func() error {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Logf("%s", out)
			}
			return err
		}},
	} {
		if err := write.do(); err != nil {
			t.Fatalf("%s: %v", write.who, err)
		}
		after := mark(t, db)
		if after == before {
			t.Errorf("a commit by %s left the mark as it was", write.who)
		}
		before = after
		want, _ := sum(ctx, struct{}{})
		for range 2 {
			if got, err := memo.Read(ctx, struct{}{}); err != nil || got != want {
				t.Errorf("after a commit by %s: the Memo read %d (%v), want %d", write.who, got, err, want)
			}
		}
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("got %d rows (%v), want 2", n, err)
	}
}

// A transaction's writes are not committed: a transaction has no mark, and
// a rolled-back one leaves the mark as it was.
func TestMarkInTransaction(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "game.db"))
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	before := mark(t, db)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t (n) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, ok := storage.ReadMark(tx); ok {
		t.Error("a transaction has a mark")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := mark(t, db); got != before {
		t.Error("a rolled-back transaction changed the mark")
	}
}

// An in-memory database has no WAL index to read.
func TestNoMarkInMemory(t *testing.T) {
	if _, ok := storage.ReadMark(open(t, storage.Memory)); ok {
		t.Fatal("an in-memory database has a mark")
	}
}
