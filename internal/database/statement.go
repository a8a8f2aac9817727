package database

import (
	"context"
	"database/sql"
	"sync"

	"github.com/uptrace/bun"
)

// Statement is SQL a store runs on its hot path, prepared once per
// database. bun writes arguments into the SQL text, so SQLite would parse
// and plan the statement on every call, which costs more than running it.
// The text must run on both databases as written: use $1, $2, ...
// parameters, which PostgreSQL takes and SQLite (modernc.org/sqlite) binds
// by position.
type Statement struct {
	text string

	mu       sync.Mutex
	db       *sql.DB
	prepared *sql.Stmt
}

// NewStatement returns text, to be prepared on first use.
func NewStatement(text string) *Statement {
	return &Statement{text: text}
}

// Prepare returns the statement prepared on db, preparing it the first
// time; the statement lives as long as db, and database/sql prepares it
// again on each connection that runs it. It returns nil when db is not a
// *bun.DB (a caller's transaction or connection): run the text unprepared
// there with In. Call it outside a transaction: a SQLite pool has one
// connection, which the transaction holds.
func (s *Statement) Prepare(ctx context.Context, db bun.IDB) (*sql.Stmt, error) {
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

// In returns the statement ready to run in tx: the prepared one (see
// Prepare), or else the text prepared in tx, which closes it at the end.
func (s *Statement) In(ctx context.Context, tx *sql.Tx) (*sql.Stmt, error) {
	s.mu.Lock()
	prepared := s.prepared
	s.mu.Unlock()
	if prepared != nil {
		return tx.StmtContext(ctx, prepared), nil
	}
	return tx.PrepareContext(ctx, s.text)
}
