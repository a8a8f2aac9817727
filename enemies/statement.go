package enemies

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
)

// The statements of a transition, the store's hot path, in SQL both
// databases run as written: $N parameters are PostgreSQL's, and SQLite
// (modernc.org/sqlite) binds them by position too.
const (
	loadSQL = `SELECT id, state, user_being_attacked, health_points, version
		FROM gamekit_monsters WHERE id = $1`
	saveSQL = `UPDATE gamekit_monsters
		SET state = $1, user_being_attacked = $2, health_points = $3, version = $4
		WHERE id = $5 AND state = $6 AND version = $7`
	recordSQL = `INSERT INTO gamekit_monster_transitions
		(monster_id, version, transition, from_state, to_state, by_user, fired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
)

// statement is one of them. On SQLite, preparing a statement (parsing and
// planning it) costs more than running it, and bun formats every query
// anew; so a store on a *bun.DB prepares these once and runs them
// prepared, which roughly doubles the transitions it persists per second.
type statement struct {
	text     string
	prepared atomic.Pointer[sql.Stmt]
}

// prepare prepares the store's statements if it has a database of its own
// and has not done so yet. It must run outside a transaction: a SQLite
// pool has one connection, which the transaction would hold. The
// statements live as long as the database; database/sql prepares them
// again on each connection that runs them.
func (s *SQLStore) prepare(ctx context.Context) error {
	if s.sqldb == nil || s.recordStmt.prepared.Load() != nil {
		return nil
	}
	s.prepareMu.Lock()
	defer s.prepareMu.Unlock()
	ctx = context.WithoutCancel(ctx) // the statements outlive this call
	for _, st := range []*statement{&s.loadStmt, &s.saveStmt, &s.recordStmt} {
		if st.prepared.Load() != nil {
			continue
		}
		stmt, err := s.sqldb.PrepareContext(ctx, st.text)
		if err != nil {
			return fmt.Errorf("enemies: prepare: %w", err)
		}
		st.prepared.Store(stmt)
	}
	return nil
}

// in returns st ready to run in tx: the prepared statement, or for a store
// on a caller's transaction, st prepared in that transaction (which closes
// it).
func (st *statement) in(ctx context.Context, tx *sql.Tx) (*sql.Stmt, error) {
	if stmt := st.prepared.Load(); stmt != nil {
		return tx.StmtContext(ctx, stmt), nil
	}
	return tx.PrepareContext(ctx, st.text)
}
