package database

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MaxAttempts bounds how often RunInTx runs a transaction that keeps losing
// to concurrent ones.
const MaxAttempts = 10

var retries atomic.Int64

// Retries reports how many transactions RunInTx has run again since the
// process started, because the database aborted them in favour of a
// concurrent one. Tests and metrics read it; a steadily rising figure means
// hot rows.
func Retries() int64 { return retries.Load() }

// RunInTx runs fn in a transaction on db and commits it. When the database
// aborts the transaction only because of a concurrent one (a PostgreSQL
// serialization failure or deadlock, SQLite busy past its timeout) the whole
// transaction is run again, up to MaxAttempts times, so fn must not have
// effects outside the database before it returns. Inside an outer
// transaction (db is a bun.Tx) fn runs in a savepoint and is not retried:
// the outer transaction is the one that must start again.
func RunInTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	if _, nested := db.(bun.Tx); nested {
		return db.RunInTx(ctx, nil, fn)
	}
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		err = db.RunInTx(ctx, nil, fn)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		retries.Add(1)
	}
	return err
}

// transient reports whether err only says a concurrent transaction won.
func transient(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		switch pgErr.Field('C') {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint failure, on
// either database; stores turn it into a conflict.
func IsUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
