// Package leaderboards keeps scored boards for a game: a board ranks its
// records, one per user and period, by score, with exact ranks, pages
// from the top, the records around a user and the records of a list of
// friends; it starts new periods on a schedule without any job running;
// and it takes scores from the server, or from players only where the
// host's check lets them.
//
// # Boards
//
// A [Board] has an id (a slug), an [Order] (HigherFirst, the default, or
// LowerFirst), an [Operator] for new scores ([Best], the default: keep the
// better; [Set]: replace; [Incr]: add), an optional reset schedule, and a
// ClientWritable flag. Scores and subscores are int64 within ±[MaxScore]
// (2⁵³−1), exact in the database and in a JavaScript client; a record may
// carry a JSON object of metadata.
//
// # Periods and resets
//
// Board.Reset is "" (never), "every D" (a Go duration of whole seconds,
// counted from the Unix epoch: "every 24h" resets at midnight UTC),
// "@hourly", "@daily", "@weekly", "@monthly", "@yearly", or five cron
// fields evaluated in UTC ("0 6 * * 1-5"; numbers, *, ranges, lists and
// steps, no month or day names). A period is numbered by the Unix second
// it began ([Period].ID), computed from the clock, and records are keyed
// by (board, period, user): a reset is only the next period coming up. No
// job runs, nothing can run twice or be missed across server processes,
// and the ended period stays readable by its id. [SQLStore.ResetBoard]
// ends the current period by hand, by recording the moment on the board;
// either way a reset writes one row at most, whatever the board holds.
//
// # Ranks
//
// Records are ranked by score, then subscore (both in the board's order),
// then the time of the record (earlier first; a Best submit that is no
// better does not change it), then the user id, so no two records share a
// rank. A rank is exact: one more than the count of records before it.
// Counted in SQL, on the index of (board, period, score, subscore, time,
// user), that costs in proportion to the rank, hundreds of milliseconds
// in the middle of a million; so a [SQLStore] keeps a rank cache: the
// order of each period it reads ranks of, in memory, built by its first
// rank read from one scan of the index (1 to 3 seconds for a million
// records) and bounded by [StoreOptions].RankCacheRecords and
// RankCacheBoards. Every submit stamps its record with a change sequence
// in the same statement, and every rank read first applies the records
// changed since the cache last looked, in one indexed query, so a rank
// is exact at the moment of the read whichever server process wrote; it
// then costs a few microseconds in memory at any depth. Pages of the top
// are keyset pages on the index and cost the same at any depth.
//
// # Submits
//
// [SQLStore.Submit] is the server's write: one INSERT ... SELECT ... ON
// CONFLICT DO UPDATE that applies the operator (with the condition of
// Best in its WHERE), so it is atomic per (board, period, user):
// concurrent submits are applied one after the other, none lost, none
// twice. The statement checks the version of the board the store cached,
// so a submit never applies an operator or a period that an admin just
// changed. The record is read first, and a score the operator refuses (a
// Best score no better than the record: most of them, on a board played
// for a while) costs that read and writes nothing; on PostgreSQL the read
// is in the same statement, one round trip either way. Players submit through the HTTP API only to ClientWritable
// boards, only for themselves, and only through
// [HandlerOptions].CheckSubmit, the host's check of bounds and rate.
//
// # Events
//
// A store with a gamekit.Publisher announces a committed submit as a
// [Change]: [EventRecord] on the board's channel, "leaderboard.{id}"
// ([Channel]), when the record is, or was, among the first
// [StoreOptions].TopN (10); [EventRank] on the user's private channel,
// "user.{id}", when the submit changed the user's own rank within
// [StoreOptions].RankDepth (1000). Deciding costs a read of the record
// before the write and two counts of at most max(TopN, RankDepth) index
// entries after it; a store with no Publisher does none of that. Players
// whose rank changed because another passed them are not told on their
// own channel (that would be a message to every record between the two
// ranks); the board's channel shows the top's changes to everyone.
//
// # HTTP and realtime
//
// [Handler] serves /leaderboards/: anyone reads boards and records, an
// admin creates, changes, resets and deletes boards and submits for
// anyone. [RegisterRealtime] makes the realtime hub serve the boards'
// channels and the read verbs of the route "leaderboard".
//
// # Storage
//
// [Store] is what the handlers need; [SQLStore] implements it with bun on
// SQLite or PostgreSQL, and [Migrations] creates its tables,
// gamekit_leaderboards and gamekit_leaderboard_records. The package
// leaderboardstest holds the conformance suite a Store must pass.
package leaderboards
