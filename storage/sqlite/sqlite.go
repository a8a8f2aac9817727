// Package sqlite is gamekit's SQLite driver (modernc.org/sqlite, pure Go):
// importing it lets storage.Open open file paths and storage.Memory, and
// teaches storage.Classify SQLite's error codes.
//
//	import _ "github.com/gamekit/gamekit/storage/sqlite"
//
//	db, err := storage.Open(ctx, "game.db")
//
// # Settings
//
// A database is set up for a server, not for a script:
//
//   - WAL, so readers never block the writer;
//   - foreign keys on, on every connection (SQLite's default is off, and
//     deleting an item would leave its id in inventories);
//   - synchronous=NORMAL: durable at every checkpoint, and safe under WAL;
//   - a busy timeout (BusyTimeout) for locks held by another process;
//   - BEGIN IMMEDIATE for every transaction, so a transaction never fails
//     half way when it upgrades from reading to writing;
//   - one writer at a time per process, queued in Go: the pool has MaxConns
//     connections, and a transaction, or a statement other than a SELECT
//     outside one, first takes the pool's one write turn. SQLite runs one
//     writer at a time anyway; queueing in Go instead of in SQLite's busy
//     handler means concurrent writers wait their turn in order instead of
//     sleeping and polling, and never see "database is locked" (with WAL, a
//     busy timeout and foreign keys alone, two thirds of 200 concurrent
//     updates failed), while reads run at once on the other connections,
//     beside the writer, as WAL allows.
//
// A file's pool is a storage.Marker: it reads the database's mark, for
// storage.Memo, from the header of the WAL index (the -shm file) that
// SQLite rewrites with every commit, whichever process makes it; it keeps
// one connection of its own open for that, and, for the life of the
// process, one descriptor of the -shm file (see changes.go).
//
// storage.Memory opens a private in-memory database that lives as long as
// the *bun.DB, however often the pool reconnects. It never uses
// cache=shared, whose SQLITE_LOCKED errors bypass the busy timeout.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gamekit/gamekit/storage"
)

// MaxConns is the size of a file database's pool: one connection writes at
// a time (see the package doc) while the others read.
const MaxConns = 8

// BusyTimeout is how long a SQLite statement waits for a lock held by
// another process (a second server, a migration, the sqlite3 shell) before
// it fails. Within one process writers never wait on SQLite's lock.
const BusyTimeout = 10_000 // milliseconds

func init() {
	storage.Register("", open)
	storage.RegisterClassifier(classify)
}

func open(_ context.Context, path string) (*bun.DB, error) {
	params := "_txlock=immediate" +
		"&_pragma=busy_timeout(" + fmt.Sprint(BusyTimeout) + ")" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(-65536)"
	var dsn string
	if path == storage.Memory {
		// The memdb VFS keeps the database in memory under a name that every
		// connection of this process can open, so a reconnect finds the same
		// database; a random name keeps it private.
		dsn = "file:/gamekit-" + rand.Text() + "?vfs=memdb&" + params
	} else {
		dsn = "file:" + path + "?" + params + "&_pragma=journal_mode(WAL)"
	}
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	c := &connector{Connector: base, gate: make(gate, 1)}
	if path != storage.Memory {
		// A file's pool reads marks of its WAL index (changes.go); the
		// anchor it needs is a connection of its own, outside the gate,
		// since it only reads.
		c.watch = startWatch(base.Connect)
		c.marking = &markingDriver{Driver: base.Driver(), watch: c.watch}
	}
	if path == storage.Memory {
		// A memdb database is freed when its last connection closes; the
		// anchor connection keeps it alive until the *bun.DB is closed.
		if c.anchor, err = base.Connect(context.Background()); err != nil {
			return nil, err
		}
	}
	conns := 1 // memdb has no WAL: its readers would wait for the writer
	if path != storage.Memory {
		conns = MaxConns
	}
	sqldb := sql.OpenDB(c)
	sqldb.SetMaxOpenConns(conns)
	sqldb.SetMaxIdleConns(conns)
	sqldb.SetConnMaxLifetime(0)
	sqldb.SetConnMaxIdleTime(0)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// connector hands out connections that share one write gate, and closes
// the in-memory anchor connection, or the file's watch, when database/sql
// closes the pool (sql.DB.Close calls Close on a connector that has one).
type connector struct {
	driver.Connector
	gate    gate
	anchor  driver.Conn    // an in-memory database's
	watch   *watch         // a file's; nil in memory
	marking *markingDriver // a file's driver: a storage.Marker
}

// Driver is what (*sql.DB).Driver returns: for a file, a storage.Marker.
func (c *connector) Driver() driver.Driver {
	if c.marking != nil {
		return c.marking
	}
	return c.Connector.Driver()
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{sqliteConn: dc.(sqliteConn), gate: c.gate}, nil
}

func (c *connector) Close() error {
	if c.watch != nil {
		return c.watch.close()
	}
	if c.anchor == nil {
		return nil
	}
	return c.anchor.Close()
}

// classify reads modernc.org/sqlite's result codes.
func classify(err error) storage.Class {
	if errors.Is(err, errBusy) {
		return storage.Busy
	}
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return storage.Unknown
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return storage.UniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return storage.ForeignKeyViolation
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return storage.Busy
	}
	return storage.Unknown
}
