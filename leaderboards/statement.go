package leaderboards

// The statements of records, in SQL both databases run as written ($N
// parameters, which SQLite binds by number too; CASTs so PostgreSQL knows
// each parameter's type wherever it stands).
//
// Records are stored in one order on every board: rank_score and
// rank_subscore are the score and subscore multiplied by the board's sign
// (-1 where higher is better), so less is better everywhere and one index,
// (board_id, period, rank_score, rank_subscore, updated_at, user_id),
// serves ranks, pages and counts on boards of either order.
//
// A submit is one INSERT ... SELECT ... ON CONFLICT DO UPDATE: atomic per
// (board, period, user) on both databases, so concurrent submits neither
// lose one another nor count twice. Its SELECT reads the board row with
// the version the store's cached copy has, so a submit that computed its
// period or operator from a stale copy writes nothing, and the store reads
// the board again; the WHERE of DO UPDATE is the operator's condition.
const (
	// $1 board, $2 board version, $3 period, $4 user, $5 username (NULL: keep),
	// $6 rank_score, $7 rank_subscore, $8 metadata (NULL: keep), $9 now
	// (Unix µs); incrSQL has $10, MaxScore.
	insertHead = `INSERT INTO gamekit_leaderboard_records AS r
		(board_id, period, user_id, username, rank_score, rank_subscore, metadata, updated_at)
	SELECT id, CAST($3 AS BIGINT), CAST($4 AS BIGINT), COALESCE(CAST($5 AS VARCHAR(150)), ''), CAST($6 AS BIGINT), CAST($7 AS BIGINT),
		COALESCE(CAST($8 AS TEXT), '{}'), CAST($9 AS BIGINT)
	FROM gamekit_leaderboards WHERE id = $1 AND version = $2
	ON CONFLICT (board_id, period, user_id) DO UPDATE SET
		username = CASE WHEN CAST($5 AS VARCHAR(150)) IS NULL THEN r.username ELSE excluded.username END,
		metadata = CASE WHEN CAST($8 AS TEXT) IS NULL THEN r.metadata ELSE excluded.metadata END,
		updated_at = excluded.updated_at,`

	recordReturning = ` RETURNING ` + recordColumns

	// bestSQL keeps the better of the two: a lower stored score, or an
	// equal one with a lower stored subscore.
	bestSQL = insertHead + `
		rank_score = excluded.rank_score, rank_subscore = excluded.rank_subscore
	WHERE excluded.rank_score < r.rank_score
		OR (excluded.rank_score = r.rank_score AND excluded.rank_subscore < r.rank_subscore)` + recordReturning

	// setSQL replaces the record.
	setSQL = insertHead + `
		rank_score = excluded.rank_score, rank_subscore = excluded.rank_subscore` + recordReturning

	// incrSQL adds to the record, within ±MaxScore.
	incrSQL = insertHead + `
		rank_score = r.rank_score + excluded.rank_score, rank_subscore = r.rank_subscore + excluded.rank_subscore
	WHERE abs(r.rank_score + excluded.rank_score) <= $10
		AND abs(r.rank_subscore + excluded.rank_subscore) <= $10` + recordReturning

	// recordSQL reads user $3's record in period $2 of board $1.
	recordSQL = `SELECT ` + recordColumns + ` FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND user_id = $3`

	// rankSQL counts the records ranked before key ($3..$6): the rank is
	// one more. It walks the index from the top to the key, so it costs in
	// proportion to the rank.
	rankSQL = `SELECT COUNT(*) FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND (rank_score, rank_subscore, updated_at, user_id) < ($3, $4, $5, $6)`

	// rankWithinSQL is rankSQL counting at most $8 records and leaving out
	// user $7's: whether a record is (or was, at its old key) among the
	// first $8 costs at most $8 index entries.
	rankWithinSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND (rank_score, rank_subscore, updated_at, user_id) < ($3, $4, $5, $6)
		AND user_id <> $7
	LIMIT $8) AS better`

	// afterSQL is a page of at most $7 records after key ($3..$6), best
	// first: the top of the board from the first key, the next page from a
	// cursor, the records below a user.
	afterSQL = `SELECT ` + recordColumns + ` FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND (rank_score, rank_subscore, updated_at, user_id) > ($3, $4, $5, $6)
	ORDER BY rank_score, rank_subscore, updated_at, user_id
	LIMIT $7`

	// beforeSQL is the $7 records just before key ($3..$6), nearest first:
	// the records above a user.
	beforeSQL = `SELECT ` + recordColumns + ` FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND (rank_score, rank_subscore, updated_at, user_id) < ($3, $4, $5, $6)
	ORDER BY rank_score DESC, rank_subscore DESC, updated_at DESC, user_id DESC
	LIMIT $7`

	// recordColumns are what scanRecord reads, in its order.
	recordColumns = `user_id, username, rank_score, rank_subscore, metadata, updated_at`
)
