package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

func pragma(t *testing.T, db *bun.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenSQLiteFile(t *testing.T) {
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "game.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1"} {
		if got := pragma(t, db, name); got != want {
			t.Errorf("PRAGMA %s: got %v, want %v", name, got, want)
		}
	}
}

// An in-memory database is private to its *bun.DB and keeps its rows when
// the pool drops its connection and opens another.
func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	a, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.ExecContext(ctx, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, "SELECT x FROM t"); err == nil {
		t.Error("a second in-memory database sees the first one's table")
	}
	if got := pragma(t, a, "foreign_keys"); got != "1" {
		t.Errorf("foreign_keys: got %v, want 1", got)
	}
	// Make the pool close its only connection, then use it again.
	a.SetMaxIdleConns(0)
	a.SetMaxIdleConns(1)
	var x int
	if err := a.QueryRowContext(ctx, "SELECT x FROM t").Scan(&x); err != nil || x != 42 {
		t.Errorf("after a reconnect: got %d %v, want 42", x, err)
	}
}

// Concurrent writers on a SQLite file never see "database is locked", even
// when each transaction reads before it writes.
func TestSQLiteConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := storagetest.Open(t, storagetest.File)
	if _, err := db.ExecContext(ctx, "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 20 {
				err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, "UPDATE counter SET n = ?", n+1)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil || n != 640 {
		t.Errorf("counter: got %d %v, want 640 (no lost update)", n, err)
	}
}

// Statements outside transactions that write (autocommit UPDATEs, an
// INSERT ... RETURNING read through its rows) interleave with transactions
// and reads on a SQLite file without an error or a lost update, and reads
// run while a write transaction is open instead of waiting for it.
func TestSQLiteReadersBesideWriter(t *testing.T) {
	ctx := context.Background()
	db := storagetest.Open(t, storagetest.File)
	if _, err := db.ExecContext(ctx, "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0); CREATE TABLE log (id INTEGER PRIMARY KEY, n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for range 20 {
				var err error
				switch i % 4 {
				case 0:
					_, err = db.ExecContext(ctx, "UPDATE counter SET n = n + 1")
				case 1:
					var id int64
					err = db.QueryRowContext(ctx, "INSERT INTO log (n) SELECT n FROM counter RETURNING id").Scan(&id)
				case 2:
					err = storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
						_, err := tx.ExecContext(ctx, "UPDATE counter SET n = n + 1")
						return err
					})
				default:
					var n int
					err = db.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n, logged int
	if err := db.QueryRowContext(ctx, "SELECT n, (SELECT count(*) FROM log) FROM counter").Scan(&n, &logged); err != nil || n != 320 || logged != 160 {
		t.Errorf("got counter %d and %d log rows (%v), want 320 and 160", n, logged, err)
	}

	// A read does not wait for an open write transaction: it sees the
	// last committed value while the transaction holds its change.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = -1"); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		// Not a measure of speed: a deadlock guard, so that a read that
		// waits for the transaction fails the test instead of hanging it.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var n int
		err := db.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n)
		if err == nil && n != 320 {
			err = fmt.Errorf("read %d beside the open transaction, want 320", n)
		}
		read <- err
	}()
	if err := <-read; err != nil {
		t.Error(err)
	}
}

// A write that keeps this process's one write turn (its rows never
// closed) makes another writer fail with Busy after the busy timeout, as
// SQLite's own lock would, rather than hang; once it lets go, writes go on.
func TestSQLiteWriterHeldTooLong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storagetest.Open(t, storagetest.File)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "INSERT INTO t DEFAULT VALUES RETURNING id")
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO t DEFAULT VALUES")
	if storage.Classify(err) != storage.Busy {
		t.Errorf("a write while another holds the turn: got %v (%v), want Busy", err, storage.Classify(err))
	}
	rows.Close()
	if _, err := db.ExecContext(ctx, "INSERT INTO t DEFAULT VALUES"); err != nil {
		t.Errorf("a write once the turn is free: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := storage.Open(ctx, ""); err == nil {
		t.Error("empty DSN accepted")
	}
	_, err := storage.Open(ctx, "postgres://gamekit:s3cret@127.0.0.1:1/nowhere?sslmode=disable")
	if err == nil {
		t.Fatal("unreachable PostgreSQL opened")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("password in error: %v", err)
	}
	if _, err := storage.Open(ctx, filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Error("SQLite in a missing directory opened")
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@host/db", "postgres://u:xxxxx@host/db"},
		{"postgres://u@host/db", "postgres://u@host/db"},
		{"game.db", "game.db"},
	} {
		if got := storage.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func files(m map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range m {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestMigrations(t *testing.T) {
	a, err := storage.LoadMigrations(files(map[string]string{
		"20260101000000_a.up.sql":   "CREATE TABLE a (id ID_PRIMARY_KEY, name TEXT);\nINSERT INTO a (name) VALUES ('x');\n",
		"20260101000000_a.down.sql": "DROP TABLE a;\n",
	}), "m")
	if err != nil {
		t.Fatal(err)
	}
	clash, err := storage.LoadMigrations(files(map[string]string{"20260101000000_b.up.sql": "SELECT 1;\n"}), "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.Merge(a, clash); err == nil || !strings.Contains(err.Error(), "clashes") {
		t.Errorf("merging clashing versions: got %v, want a clash", err)
	}
	broken, err := storage.LoadMigrations(files(map[string]string{
		"20260102000000_broken.up.sql": "CREATE TABLE b (x INTEGER);\nTHIS IS NOT SQL;\n",
	}), "m")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]string{{"1_short.up.sql": ""}, {"20260101000000_only.down.sql": ""}, {}} {
		if _, err := storage.LoadMigrations(files(bad), "m"); err == nil {
			t.Errorf("LoadMigrations(%v) accepted", bad)
		}
	}

	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if n, err := storage.Migrate(ctx, db, a); err != nil || n != 1 {
			t.Fatalf("first migrate: got %d %v, want 1", n, err)
		}
		if n, err := storage.Migrate(ctx, db, a); err != nil || n != 0 {
			t.Errorf("second migrate: got %d %v, want 0", n, err)
		}
		var id int64
		if err := db.QueryRowContext(ctx, "INSERT INTO a (name) VALUES ('y') RETURNING id").Scan(&id); err != nil || id != 2 {
			t.Errorf("auto-assigned id: got %d %v, want 2", id, err)
		}
		// A failing migration leaves nothing behind and is not recorded.
		if _, err := storage.Migrate(ctx, db, a, broken); err == nil {
			t.Fatal("broken migration applied")
		}
		if _, err := db.ExecContext(ctx, "SELECT x FROM b"); err == nil {
			t.Error("half of a failed migration stayed")
		}
		if n, err := db.NewSelect().Table(storage.MigrationsTable).Count(ctx); err != nil || n != 1 {
			t.Errorf("recorded migrations: got %d %v, want 1", n, err)
		}
	})
}

// Servers starting together on one new PostgreSQL database each migrate
// it: every one succeeds, and each migration is applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	set, err := storage.LoadMigrations(files(map[string]string{
		"20260101000000_a.up.sql": "CREATE TABLE a (id ID_PRIMARY_KEY);\nINSERT INTO a DEFAULT VALUES;\n",
		"20260102000000_b.up.sql": "CREATE TABLE b (id ID_PRIMARY_KEY);\nINSERT INTO b DEFAULT VALUES;\n",
	}), "m")
	if err != nil {
		t.Fatal(err)
	}
	dsn := storagetest.PostgresDSN(t)
	ctx := context.Background()
	const servers = 4
	applied := make([]int, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range servers {
		db, err := storage.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Go(func() { applied[i], errs[i] = storage.Migrate(ctx, db, set) })
	}
	wg.Wait()
	total := 0
	for i := range servers {
		if errs[i] != nil {
			t.Errorf("%s: server %d: %v", dsn, i, errs[i])
		}
		total += applied[i]
	}
	if total != 2 {
		t.Errorf("%s: %d migrations applied in all, want 2 (each once)", dsn, total)
	}
}

// A statement marked "-- postgres only" runs there and nowhere else.
func TestPostgresOnlyStatements(t *testing.T) {
	set, err := storage.LoadMigrations(files(map[string]string{
		"20260101000000_pg.up.sql": "CREATE TABLE p (name TEXT);\n" +
			"-- postgres only: SQLite has no ILIKE and would fail here.\n" +
			"INSERT INTO p SELECT 'pg' WHERE 'A' ILIKE 'a';\n",
	}), "m")
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if _, err := storage.Migrate(ctx, db, set); err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		if db.Dialect().Name().String() == "pg" {
			want = 1
		}
		if n, err := db.NewSelect().Table("p").Count(ctx); err != nil || n != want {
			t.Errorf("rows: got %d %v, want %d", n, err, want)
		}
	})
}

// A Statement is prepared once on a database, runs prepared in the
// store's own transactions and as text in a caller's transaction or on a
// connection, with $N parameters on both databases.
func TestStatement(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k BIGINT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		read := func(st *storage.Statement, on bun.IDB, k int) string {
			t.Helper()
			row, err := st.QueryRow(ctx, on, k)
			if err != nil {
				t.Fatal(err)
			}
			var v string
			if err := row.Scan(&v); err != nil {
				t.Fatalf("read %d: %v", k, err)
			}
			return v
		}
		insert := storage.NewStatement("INSERT INTO kv (k, v) VALUES ($1, $2)")
		if err := insert.Prepare(ctx, db); err != nil {
			t.Fatal(err)
		}
		if _, err := insert.Exec(ctx, db, 1, "one"); err != nil {
			t.Fatal(err)
		}
		selectV := storage.NewStatement("SELECT v FROM kv WHERE k = $1")
		err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := insert.Exec(ctx, tx, 2, "two"); err != nil { // prepared, bound to tx
				return err
			}
			if got := read(selectV, tx, 2); got != "two" { // never prepared: text
				t.Errorf("in the transaction: got %q, want two", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := read(selectV, conn, 1)
		conn.Close()
		if got != "one" {
			t.Errorf("on a connection: got %q, want one", got)
		}
		if got := read(selectV, db, 2); got != "two" {
			t.Errorf("prepared: got %q, want two", got)
		}
	})
}

// A point read runs without its context's cancellation, on a database and
// in a transaction; any other statement stops with the context.
func TestPointRead(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k BIGINT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (1, 'one')"); err != nil {
			t.Fatal(err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		read := func(st *storage.Statement, on bun.IDB) error {
			row, err := st.QueryRow(cancelled, on, 1)
			if err != nil {
				return err
			}
			var v string
			return row.Scan(&v)
		}
		point := storage.NewPointRead("SELECT v FROM kv WHERE k = $1")
		plain := storage.NewStatement("SELECT v FROM kv WHERE k = $1")
		if err := read(point, db); err != nil {
			t.Errorf("point read, cancelled: got %v, want nil", err)
		}
		if err := read(plain, db); !errors.Is(err, context.Canceled) {
			t.Errorf("statement, cancelled: got %v, want %v", err, context.Canceled)
		}
		err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			return read(point, tx)
		})
		if err != nil {
			t.Errorf("point read in a transaction, cancelled: got %v, want nil", err)
		}
	})
}
