// Package database opens gamekit's databases and runs their migrations: the
// one place that knows how SQLite must be set up for concurrent use and how
// a PostgreSQL URL is turned into a connection pool.
package database

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
)

// BusyTimeout is how long a SQLite statement waits for a lock held by
// another process (a second server, a migration, the sqlite3 shell) before
// it fails. Within one process writers never wait on SQLite's lock: see Open.
const BusyTimeout = 10 * time.Second

// PostgresMaxConns bounds one process's PostgreSQL pool.
const PostgresMaxConns = 16

// Memory is the DSN of a private in-memory SQLite database.
const Memory = ":memory:"

// Open opens the database named by dsn and checks that it answers:
//
//   - a postgres:// or postgresql:// URL opens PostgreSQL through bun's pgdriver;
//   - ":memory:" opens a private in-memory SQLite database that lives as long
//     as the returned *bun.DB, however often the pool reconnects;
//   - anything else is a SQLite file path, created if missing.
//
// SQLite is set up for a server: WAL (readers never block the writer),
// foreign keys on every connection, synchronous=NORMAL (durable at every
// checkpoint, safe under WAL), a busy timeout, and BEGIN IMMEDIATE for every
// transaction so a transaction never fails half way when it upgrades to a
// write. The pool holds one connection: SQLite runs one writer at a time
// anyway, and queueing in database/sql instead of in SQLite's busy handler
// means concurrent writers wait their turn in order instead of sleeping and
// polling, and can never see "database is locked". Reads are microseconds
// on one connection; the HTTP and JSON work around them still runs in
// parallel.
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	var db *bun.DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db = openPostgres(dsn)
	case dsn == "":
		return nil, errors.New("database: empty DSN")
	default:
		var err error
		if db, err = openSQLite(dsn); err != nil {
			return nil, err
		}
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: open %s: %w", Redact(dsn), err)
	}
	return db, nil
}

// openPostgres passes the URL's query parameters other than the driver's
// own (sslmode, application_name, ...) to the server as run-time settings, so
// "&search_path=game" selects a schema.
//
// The pool is bounded (PostgresMaxConns) so a burst of requests queues in
// the process instead of exhausting the server's max_connections.
func openPostgres(dsn string) *bun.DB {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	sqldb.SetMaxOpenConns(PostgresMaxConns)
	sqldb.SetMaxIdleConns(PostgresMaxConns)
	return bun.NewDB(sqldb, pgdialect.New())
}

func openSQLite(path string) (*bun.DB, error) {
	params := "_txlock=immediate" +
		"&_pragma=busy_timeout(" + fmt.Sprint(BusyTimeout.Milliseconds()) + ")" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(-65536)"
	var dsn string
	if path == Memory {
		// The memdb VFS keeps the database in memory under a name that every
		// connection of this process can open, so a reconnect finds the same
		// database; a random name keeps it private. (cache=shared would also
		// share it, but its SQLITE_LOCKED errors bypass the busy timeout.)
		dsn = "file:/gamekit-" + rand.Text() + "?vfs=memdb&" + params
	} else {
		dsn = "file:" + path + "?" + params + "&_pragma=journal_mode(WAL)"
	}
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("database: sqlite %s: %w", path, err)
	}
	c := &sqliteConnector{Connector: base}
	if path == Memory {
		// A memdb database is freed when its last connection closes; the
		// anchor connection keeps it alive until the *bun.DB is closed.
		if c.anchor, err = base.Connect(context.Background()); err != nil {
			return nil, fmt.Errorf("database: sqlite in memory: %w", err)
		}
	}
	sqldb := sql.OpenDB(c)
	sqldb.SetMaxOpenConns(1)
	sqldb.SetMaxIdleConns(1)
	sqldb.SetConnMaxLifetime(0)
	sqldb.SetConnMaxIdleTime(0)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// sqliteConnector closes the in-memory anchor connection when database/sql
// closes the pool (sql.DB.Close calls Close on a connector that has one).
type sqliteConnector struct {
	driver.Connector
	anchor driver.Conn
}

func (c *sqliteConnector) Close() error {
	if c.anchor == nil {
		return nil
	}
	return c.anchor.Close()
}

// Redact returns dsn with any password replaced, fit for an error or a log
// line.
func Redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			userinfo := dsn[i+3 : at]
			if colon := strings.Index(userinfo, ":"); colon >= 0 {
				return dsn[:i+3] + userinfo[:colon] + ":xxxxx" + dsn[at:]
			}
		}
	}
	return dsn
}
