// Package storage is how gamekit's stores meet a database: opening one
// with the settings the stores rely on, migrating every package's tables
// with one call, transactions that retry lost races and announce changes
// only after they commit, and driver-neutral error classes.
//
// It links no database driver. A program imports the drivers it uses, as
// with database/sql, and opens every database through Open:
//
//	import (
//		"github.com/gamekit/gamekit/storage"
//		_ "github.com/gamekit/gamekit/storage/postgres" // postgres:// URLs
//		_ "github.com/gamekit/gamekit/storage/sqlite"   // file paths and ":memory:"
//	)
//
//	db, err := storage.Open(ctx, "game.db")
//	...
//	_, err = storage.Migrate(ctx, db, inventory.Migrations(), players.Migrations())
//
// # Why Open and not sql.Open
//
// SQLite opened the usual way gives "database is locked" under concurrent
// writes: with sql.Open("sqlite", "game.db") half of 300 concurrent item
// creates failed, and even with WAL, a busy timeout and foreign keys two
// thirds of 200 concurrent updates did. The sqlite driver package sets up
// what makes that 0 (see its doc). Stores also assume foreign keys are
// enforced, which SQLite does not do by default.
//
// A host on another SQLite driver (mattn/go-sqlite3, say) opens its
// *bun.DB itself and must apply the settings storage/sqlite applies, since
// the stores rely on each: WAL, foreign keys on every connection, a busy
// timeout, BEGIN IMMEDIATE for every transaction and one writer at a time
// (synchronous=NORMAL is for speed). With mattn that is the DSN
// "file:game.db?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate"
// and, with nothing else queueing its writers, one open connection
// (SetMaxOpenConns(1)). It also registers what its driver's errors mean
// (see the RegisterClassifier example), and may Register its opener for
// file paths, if it does not import storage/sqlite, so that Open serves
// every DSN.
//
// # Migrations
//
// Each package exports its tables as a *migrate.Migrations whose versions
// are timestamps. Migrate merges any number of sets (failing on a version
// clash), records applied migrations in its own table (MigrationsTable),
// marks a migration applied only once it succeeded, runs each in one
// transaction, and holds an advisory lock on PostgreSQL so servers starting
// together do not race. Migration files are SQL both databases accept;
// see LoadMigrations for the one word that differs.
//
// # Transactions and announcements
//
// RunInTx runs a function in a transaction and runs it again when the
// database aborted it only for a concurrent one. A store that announces its
// changes (to the realtime hub, say) does so through AfterCommit, so a store
// used inside a caller's RunInTx announces once the caller's transaction
// commits, and never if it rolls back.
//
// # Reads kept between commits
//
// A Memo keeps the results of a point read a store makes on every request
// (a version a cached response is checked against) while the database's
// Mark says nothing committed since they were read, in any process. A
// SQLite file's driver reads its mark from the WAL index SQLite shares
// between processes, without a query; elsewhere every read runs its query.
//
// # Errors
//
// Classify names what a database error means (Conflict, Busy,
// UniqueViolation, ForeignKeyViolation) for any driver: errors with a
// SQLState method (pgx, lib/pq) by their code, others by the Classifier
// their driver package, or the host, registered (RegisterClassifier).
package storage
