package players

// The statements of a move, the store's hot path, in SQL both databases run
// as written: $N parameters are PostgreSQL's, and SQLite (modernc.org/sqlite)
// binds them by number too. In an UPDATE every column on the right of SET
// and in WHERE is the row as it was before the statement, on both
// databases, so the rate limit's CASEs see the old window.
//
// Each move is one conditional UPDATE that checks everything that depends
// on the stored row — owner, step (MoveTo), bounds (Move) and rate — and
// changes it only if all hold, so the rules hold across server processes
// and two concurrent moves can neither both use the last slot of a window
// nor lose one another's change: the database runs them one after the
// other on the row. A window is 1000 ms: a move at now (Unix ms) opens a
// new one when now >= window_start + 1000, else it is allowed while
// window_moves < rate.
const (
	// moveSQL adds (dx, dy) = ($1, $2) at now = $3 to player $4 of user $5,
	// within [$6, $7] on each axis, at most $8 moves per window.
	moveSQL = `UPDATE gamekit_players SET
		position_x = position_x + $1,
		position_y = position_y + $2,
		window_start = CASE WHEN $3 >= window_start + 1000 THEN $3 ELSE window_start END,
		window_moves = CASE WHEN $3 >= window_start + 1000 THEN 1 ELSE window_moves + 1 END
	WHERE id = $4 AND user_id = $5
		AND position_x + $1 BETWEEN $6 AND $7
		AND position_y + $2 BETWEEN $6 AND $7
		AND ($3 >= window_start + 1000 OR window_moves < $8)
	RETURNING ` + playerColumns

	// moveToSQL moves player $4 of user $5 to ($1, $2) at now = $3, if that
	// is at most $6 from where it is on each axis, at most $7 moves per
	// window. The target's bounds need no row: MoveTo checks them first.
	// x BETWEEN p - step AND p + step holds exactly for the targets
	// p + d (in floating point) with |d| <= step, so a client that adds a
	// step of 1 to 0.1 is not refused for 1.1 - 0.1 = 1.0000000000000002.
	moveToSQL = `UPDATE gamekit_players SET
		position_x = $1,
		position_y = $2,
		window_start = CASE WHEN $3 >= window_start + 1000 THEN $3 ELSE window_start END,
		window_moves = CASE WHEN $3 >= window_start + 1000 THEN 1 ELSE window_moves + 1 END
	WHERE id = $4 AND user_id = $5
		AND $1 BETWEEN position_x - $6 AND position_x + $6
		AND $2 BETWEEN position_y - $6 AND position_y + $6
		AND ($3 >= window_start + 1000 OR window_moves < $7)
	RETURNING ` + playerColumns

	// setPositionSQL puts player $3 at ($1, $2): an admin's move, with no
	// owner, step or rate, and leaving the player's window as it is.
	setPositionSQL = `UPDATE gamekit_players SET position_x = $1, position_y = $2
	WHERE id = $3
	RETURNING ` + playerColumns

	// readSQL reads a player whose move was refused, to say why.
	readSQL = `SELECT ` + playerColumns + ` FROM gamekit_players WHERE id = $1`

	// playerColumns are what scanPlayer reads, in its order.
	playerColumns = `id, user_id, username, position_x, position_y, window_start, window_moves`
)

// windowMillis is the length of a rate-limit window, as the SQL has it.
const windowMillis = 1000
