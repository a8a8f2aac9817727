// Package storagetest gives each test a private, migrated database: SQLite
// always, and PostgreSQL too when GAMEKIT_TEST_POSTGRES holds a DSN, so a
// store suite runs on both databases from one test function. gamekit's own
// tests and the conformance suites of its Store interfaces use it; a host
// can use it for its own stores.
package storagetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/postgres" // tests open both databases
	_ "github.com/gamekit/gamekit/storage/sqlite"
)

// PostgresEnv names the variable holding the PostgreSQL DSN for tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "GAMEKIT_TEST_POSTGRES"

// Kind is a kind of test storage.
type Kind string

// The kinds of test storage. Memory is the default SQLite for tests; File is
// a SQLite file in WAL mode, as a server runs it; Postgres is a private
// schema on the server named by GAMEKIT_TEST_POSTGRES.
const (
	Memory   Kind = "sqlite"
	File     Kind = "sqlite-file"
	Postgres Kind = "postgres"
)

// Run runs fn as a subtest on a private in-memory SQLite database and on a
// private PostgreSQL schema, each migrated with sets. The PostgreSQL subtest
// is skipped, saying how to enable it, when GAMEKIT_TEST_POSTGRES is unset.
func Run(t *testing.T, fn func(t *testing.T, db *bun.DB), sets ...*migrate.Migrations) {
	t.Helper()
	RunOn(t, []Kind{Memory, Postgres}, fn, sets...)
}

// RunOn is Run over the given kinds of storage.
func RunOn(t *testing.T, kinds []Kind, fn func(t *testing.T, db *bun.DB), sets ...*migrate.Migrations) {
	t.Helper()
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			fn(t, Open(t, kind, sets...))
		})
	}
}

// Open returns a private database of the given kind, migrated with sets and
// closed (a PostgreSQL schema dropped) when the test ends.
func Open(t testing.TB, kind Kind, sets ...*migrate.Migrations) *bun.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch kind {
	case Memory:
		dsn = storage.Memory
	case File:
		dsn = filepath.Join(t.TempDir(), "test.db")
	case Postgres:
		dsn = postgresSchema(t)
	default:
		t.Fatalf("storagetest: unknown kind %q", kind)
	}
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := storage.Migrate(ctx, db, sets...); err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	return db
}

// PostgresDSN creates a schema of its own for the test on the server named
// by GAMEKIT_TEST_POSTGRES, dropped when the test ends, and returns a DSN
// whose connections use it: for a test that hands the database to
// processes of its own (servers it starts). It skips the test when the
// variable is unset. The schema is empty; whoever opens it migrates it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return postgresSchema(t)
}

// postgresSchema creates a schema of its own for the test and returns a DSN
// whose connections use it, so tests running in parallel never see each
// other's rows.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL not configured: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run this test there too", PostgresEnv)
	}
	ctx := context.Background()
	admin, err := storage.Open(ctx, base)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	defer admin.Close()
	schema := "gamekit_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(func() {
		admin, err := storage.Open(ctx, base)
		if err != nil {
			t.Errorf("storagetest: drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storagetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storagetest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}

// Must returns v, or panics with err: for constructors in tests, as in
// storagetest.Must(inventory.NewSQLStore(db, nil)).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Kinds are the databases a store suite runs on: SQLite in memory, a
// SQLite file in WAL mode as a server runs it, and PostgreSQL (skipped
// without GAMEKIT_TEST_POSTGRES).
var Kinds = []Kind{Memory, File, Postgres}

// Stores adapts newStore (a package's NewSQLStore, returning its Store
// interface) to a conformance suite such as inventorytest.TestStore: each
// store the suite asks for is on a private database of kind, migrated with
// sets.
func Stores[O, S any](kind Kind, newStore func(bun.IDB, *O) (S, error), sets ...*migrate.Migrations) func(*testing.T, *O) S {
	return func(t *testing.T, opts *O) S {
		t.Helper()
		s, err := newStore(Open(t, kind, sets...), opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
