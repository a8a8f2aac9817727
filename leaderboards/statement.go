package leaderboards

import "strings"

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
// lose one another nor count twice. The WHERE of DO UPDATE is the
// operator's condition, checked against the newest committed version of
// the record. The board's row must still have the version the store's
// cached copy has, so a submit that computed its period or operator from
// a stale copy writes nothing, and the store reads the board again.
//
// Before it writes, a submit reads the record (currentSQL) and goes on to
// the upsert only if the operator's condition holds for the record as
// read. A Best score that is no better, most submits on a board played
// for a while, so costs a read and writes nothing, where the upsert alone
// would lock the row: on PostgreSQL that takes a transaction id, WAL and
// a commit waiting for the WAL's flush, on SQLite the write turn. The
// read is from a snapshot that a concurrent submit may have passed since,
// so it only spares the writes it refuses; DO UPDATE's condition decides
// the others. On PostgreSQL the read and the upsert are one statement
// (pgSubmit); SQLite takes no INSERT in a WITH, so there the store reads
// first for Best only, outside the write turn, and for the other
// operators, which rarely refuse, reads after an upsert that wrote
// nothing.
//
// A submit also stamps the record with its change sequence, seq, which
// the rank cache reads (rankcache.go). That one expression differs between
// the databases: the texts hold {seq} and {watermark}, which dialectSQL
// fills in, and the submits {from}, the rows the upsert's SELECT reads.
const (
	// $1 board, $2 board version, $3 period, $4 user, $5 username (NULL: keep),
	// $6 rank_score, $7 rank_subscore, $8 metadata (NULL: keep), $9 now
	// (Unix µs); Incr's statement has $10, MaxScore.
	insertHead = `INSERT INTO gamekit_leaderboard_records AS r
		(board_id, period, user_id, username, rank_score, rank_subscore, metadata, updated_at, seq)
	SELECT CAST($1 AS VARCHAR(64)), CAST($3 AS BIGINT), CAST($4 AS BIGINT), COALESCE(CAST($5 AS VARCHAR(150)), ''),
		CAST($6 AS BIGINT), CAST($7 AS BIGINT), COALESCE(CAST($8 AS TEXT), '{}'), CAST($9 AS BIGINT), {seq}
	FROM {from}
	ON CONFLICT (board_id, period, user_id) DO UPDATE SET
		username = CASE WHEN CAST($5 AS VARCHAR(150)) IS NULL THEN r.username ELSE excluded.username END,
		metadata = CASE WHEN CAST($8 AS TEXT) IS NULL THEN r.metadata ELSE excluded.metadata END,
		updated_at = excluded.updated_at, seq = excluded.seq,`

	recordReturning = ` RETURNING ` + recordColumns

	// bestCond is Best's condition on a stored record {r}: the submit has a
	// lower stored score, or an equal one with a lower stored subscore.
	bestCond = `CAST($6 AS BIGINT) < {r}.rank_score
		OR (CAST($6 AS BIGINT) = {r}.rank_score AND CAST($7 AS BIGINT) < {r}.rank_subscore)`

	// incrCond is Incr's: the sum stays within ±MaxScore.
	incrCond = `abs({r}.rank_score + CAST($6 AS BIGINT)) <= CAST($10 AS BIGINT)
		AND abs({r}.rank_subscore + CAST($7 AS BIGINT)) <= CAST($10 AS BIGINT)`

	// replaceScore and addScore are what DO UPDATE makes the score: the
	// submitted one (Best, Set) or the sum (Incr).
	replaceScore = `rank_score = excluded.rank_score, rank_subscore = excluded.rank_subscore`
	addScore     = `rank_score = r.rank_score + excluded.rank_score, rank_subscore = r.rank_subscore + excluded.rank_subscore`

	// currentSQL is what a submit decides on: a row when board $1 still
	// has version $2, holding user $4's record in period $3 if there is one
	// (else NULLs); no row when the board changed or went. Its first
	// column, false, is the "written" of a submit's answer (scanSubmitted).
	currentSQL = `SELECT FALSE, r.user_id, r.username, r.rank_score, r.rank_subscore, r.metadata, r.updated_at
	FROM gamekit_leaderboards AS b LEFT JOIN gamekit_leaderboard_records AS r
		ON r.board_id = b.id AND r.period = $3 AND r.user_id = $4
	WHERE b.id = $1 AND b.version = $2`

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

	// keysSQL is a page of the keys of at most $7 records after key
	// ($3..$6), best first, read from the rank index alone: the build of a
	// period's ranking.
	keysSQL = `SELECT user_id, rank_score, rank_subscore, updated_at FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND (rank_score, rank_subscore, updated_at, user_id) > ($3, $4, $5, $6)
	ORDER BY rank_score, rank_subscore, updated_at, user_id
	LIMIT $7`

	// watermarkSQL is where a ranking built now starts reading changes
	// (SQLite's takes board $1 and period $2, PostgreSQL's nothing).
	watermarkSQL = `SELECT {watermark}`

	// changesSQL is the keys of the records of period $2 of board $1
	// changed from seq $3 on, and a row of user 0 whose rank_score is the
	// next watermark, read in the same statement, so from one snapshot.
	changesSQL = `SELECT user_id, rank_score, rank_subscore, updated_at FROM gamekit_leaderboard_records
	WHERE board_id = $1 AND period = $2 AND seq >= $3
	UNION ALL SELECT 0, {watermark}, 0, 0`

	// recordColumns are what scanRecord reads, in its order.
	recordColumns = `user_id, username, rank_score, rank_subscore, metadata, updated_at`
)

// submitSQL is the submit statement of an operator, whose DO UPDATE sets
// set when cond ("" for always) holds: on SQLite the upsert alone, which
// reads the board's row; on PostgreSQL pgSubmit.
func submitSQL(set, cond string, pg bool) string {
	upsert := insertHead + `
		` + set
	if cond != "" {
		upsert += `
	WHERE ` + strings.ReplaceAll(cond, "{r}", "r")
	}
	upsert += recordReturning
	if !pg {
		return strings.Replace(upsert, "{from}", "gamekit_leaderboards WHERE id = $1 AND version = $2", 1)
	}
	return pgSubmit(upsert, cond)
}

// pgSubmit makes a submit one statement on PostgreSQL, one round trip
// whether it writes or not: it reads currentSQL into cur, upserts from cur
// only when cond holds for the record read (or there is none), and
// answers with the record written, or else with cur, from the same
// snapshot. The first column is true when the upsert wrote.
//
// A refused Best submit so runs no upsert at all: no row lock, no
// transaction id (txid_current() in {seq} is not evaluated for a row the
// WHERE drops), nothing in the WAL, and a read-only commit. The snapshot
// may miss a submit that committed after it, which the upsert's condition
// then sees: the store trusts a record read only when it refuses the
// score too, and reads it again otherwise.
func pgSubmit(upsert, cond string) string {
	from := "cur"
	if cond != "" {
		from += " WHERE cur.user_id IS NULL OR (" + strings.ReplaceAll(cond, "{r}", "cur") + ")"
	}
	return `WITH cur AS (` + currentSQL + `),
	up AS (` + strings.Replace(upsert, "{from}", from, 1) + `)
	SELECT TRUE, ` + recordColumns + ` FROM up
	UNION ALL SELECT * FROM cur WHERE NOT EXISTS (SELECT 1 FROM up)`
}

// The change sequence on each database. On PostgreSQL it is the id of the
// writing transaction, and the watermark the oldest transaction still
// running in the reading statement's snapshot: a transaction that commits
// later has an id at least that. On SQLite, whose writers take turns, it
// is one past the highest of the period, and so is the watermark.
const (
	pgSeq           = `txid_current()`
	pgWatermark     = `txid_snapshot_xmin(txid_current_snapshot())`
	sqliteSeq       = `(SELECT COALESCE(MAX(seq), 0) + 1 FROM gamekit_leaderboard_records WHERE board_id = $1 AND period = $3)`
	sqliteWatermark = `(SELECT COALESCE(MAX(seq), 0) + 1 FROM gamekit_leaderboard_records WHERE board_id = $1 AND period = $2)`
)

// dialectSQL fills in text's change sequence for the database: pg for
// PostgreSQL, else SQLite.
func dialectSQL(text string, pg bool) string {
	seq, watermark := sqliteSeq, sqliteWatermark
	if pg {
		seq, watermark = pgSeq, pgWatermark
	}
	return strings.NewReplacer("{seq}", seq, "{watermark}", watermark).Replace(text)
}
