package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/uptrace/bun"
)

// Statement is SQL a store runs on its hot path, prepared once per
// database: the one way gamekit's stores prepare statements. bun writes
// arguments into the SQL text, so SQLite would parse and plan the statement
// on every call, which costs more than running it.
//
// The text must run on both databases as written: use $1, $2, ...
// parameters, which PostgreSQL takes and SQLite (modernc.org/sqlite) binds
// by position. (bun's own query methods would read $N as text of theirs.)
type Statement struct {
	text     string
	detached bool // runs without the caller's cancellation (NewPointRead)

	mu       sync.Mutex
	db       *sql.DB
	prepared *sql.Stmt
}

// NewStatement returns text, to be prepared on first use.
func NewStatement(text string) *Statement {
	return &Statement{text: text}
}

// NewPointRead returns text, a read of one row by its key that takes
// microseconds (a version check, say), to be prepared on first use. It runs
// without the cancellation of the caller's context (its values are kept):
// on a cancellable context, which every HTTP request's is, database/sql
// starts a goroutine per query to watch it and modernc.org/sqlite another,
// which cost more than such a read. Nothing is lost: a point read does not
// wait for writers (SQLite's WAL readers read a snapshot, PostgreSQL's
// readers take no row locks), any other wait is bounded by the driver
// (SQLite's BusyTimeout, pgdriver's read timeout), and a request whose
// client went away finishes a read of microseconds instead of
// interrupting it. Use NewStatement for anything that can run long.
func NewPointRead(text string) *Statement {
	return &Statement{text: text, detached: true}
}

// Prepare prepares the statement on db if db is a *bun.DB and it was not
// prepared there yet; on a transaction or connection it does nothing. The
// statement lives as long as db, and database/sql prepares it again on each
// connection that runs it. A store whose transactions run statements
// prepares them before it begins one: a SQLite pool has one connection,
// which the transaction holds.
func (s *Statement) Prepare(ctx context.Context, db bun.IDB) error {
	_, err := s.on(ctx, db)
	return err
}

// on returns the statement prepared on db when db is a *bun.DB, else nil.
func (s *Statement) on(ctx context.Context, db bun.IDB) (*sql.Stmt, error) {
	bdb, ok := db.(*bun.DB)
	if !ok {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prepared != nil && s.db == bdb.DB {
		return s.prepared, nil
	}
	stmt, err := bdb.DB.PrepareContext(context.WithoutCancel(ctx), s.text)
	if err != nil {
		return nil, err
	}
	s.db, s.prepared = bdb.DB, stmt
	return stmt, nil
}

// runner is what *sql.DB, *sql.Tx, *sql.Conn and *sql.Stmt have in common
// once a statement is chosen.
type runner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

// text runs the statement's text, unprepared, on a transaction or
// connection.
type text struct {
	s  string
	on interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (t text) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.on.ExecContext(ctx, t.s, args...)
}
func (t text) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return t.on.QueryContext(ctx, t.s, args...)
}
func (t text) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return t.on.QueryRowContext(ctx, t.s, args...)
}

// run picks how to run the statement on db: prepared on a *bun.DB; in a
// transaction, the prepared statement bound to it if there is one, else the
// text; on a connection, the text.
func (s *Statement) run(ctx context.Context, db bun.IDB) (runner, error) {
	switch db := db.(type) {
	case *bun.DB:
		return s.on(ctx, db)
	case bun.Tx:
		return s.inTx(ctx, db.Tx), nil
	case *bun.Tx:
		return s.inTx(ctx, db.Tx), nil
	case bun.Conn:
		return text{s.text, db.Conn}, nil
	case *bun.Conn:
		return text{s.text, db.Conn}, nil
	}
	return nil, fmt.Errorf("storage: statement on unsupported database %T", db)
}

func (s *Statement) inTx(ctx context.Context, tx *sql.Tx) runner {
	s.mu.Lock()
	prepared := s.prepared
	s.mu.Unlock()
	if prepared != nil {
		return tx.StmtContext(ctx, prepared)
	}
	return text{s.text, tx}
}

// context is the context the statement runs with (see NewPointRead).
func (s *Statement) context(ctx context.Context) context.Context {
	if s.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// Exec runs the statement on db (see Prepare for what is prepared where).
func (s *Statement) Exec(ctx context.Context, db bun.IDB, args ...any) (sql.Result, error) {
	ctx = s.context(ctx)
	r, err := s.run(ctx, db)
	if err != nil {
		return nil, err
	}
	return r.ExecContext(ctx, args...)
}

// Query runs the statement on db and returns its rows.
func (s *Statement) Query(ctx context.Context, db bun.IDB, args ...any) (*sql.Rows, error) {
	ctx = s.context(ctx)
	r, err := s.run(ctx, db)
	if err != nil {
		return nil, err
	}
	return r.QueryContext(ctx, args...)
}

// QueryRow runs the statement on db and returns its one row; an error in
// choosing how to run it is returned rather than deferred to Scan.
func (s *Statement) QueryRow(ctx context.Context, db bun.IDB, args ...any) (*sql.Row, error) {
	ctx = s.context(ctx)
	r, err := s.run(ctx, db)
	if err != nil {
		return nil, err
	}
	return r.QueryRowContext(ctx, args...), nil
}
