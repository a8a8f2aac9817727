package enemies

import (
	"context"
	"fmt"

	"github.com/gamekit/gamekit/storage"
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

// prepare prepares the store's statements on its own database, if it has
// one, before a transaction takes SQLite's one connection. They live as
// long as the database.
func (s *SQLStore) prepare(ctx context.Context) error {
	for _, st := range []*storage.Statement{s.loadStmt, s.saveStmt, s.recordStmt} {
		if err := st.Prepare(ctx, s.db); err != nil {
			return fmt.Errorf("enemies: prepare: %w", err)
		}
	}
	return nil
}
