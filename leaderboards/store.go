package leaderboards

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// ChannelPrefix and a board's id name the board's realtime channel
// ("leaderboard.weekly"), where changes in its top records are announced.
const ChannelPrefix = "leaderboard."

// Channel returns the realtime channel of board id.
func Channel(id string) string { return ChannelPrefix + id }

// UserChannelPrefix and a user id name the user's private channel
// ("user.7"), where a player is told their own rank changed. The realtime
// hub lets only that user subscribe to it.
const UserChannelPrefix = "user."

// The names of the events a store publishes, each with a Change as Data:
// EventRecord on the board's Channel when a record changed in, into or
// out of the top StoreOptions.TopN; EventRank on the user's channel when a
// submit changed the user's own rank.
const (
	EventRecord = "record"
	EventRank   = "rank"
)

// Change is the Data of EventRecord and EventRank: a record as it is
// after a submit, with its new rank, and the rank it had before.
type Change struct {
	Board  string `json:"board"`
	Period int64  `json:"period"`
	Record Record `json:"record"`
	// PreviousRank is the rank the record had before the submit, 0 when
	// the user had no record in the period. Either rank is 0 too when it
	// was beyond the depth counted (StoreOptions.RankDepth and TopN).
	PreviousRank int64 `json:"previous_rank"`
}

// The defaults of the options.
const (
	// DefaultTopN is how many of a board's first records are watched for
	// changes announced on its channel.
	DefaultTopN = 10
	// DefaultRankDepth is how deep a rank is counted for rank events.
	DefaultRankDepth = 1000
	// DefaultLimit is the records of a page of Top when none is asked
	// for; MaxLimit is the most a page of Top holds.
	DefaultLimit = 100
	MaxLimit     = 1000
	// DefaultAround is how many records above and below a user Around
	// reads when asked for none; MaxAround is the most.
	DefaultAround = 5
	MaxAround     = 100
	// MaxUsers is the most users Records reads at once.
	MaxUsers = 100
	// DefaultRankCacheRecords and DefaultRankCacheBoards bound a store's
	// rank cache (StoreOptions).
	DefaultRankCacheRecords = 1_000_000
	DefaultRankCacheBoards  = 100
)

// Store is what the package's handlers need from storage. SQLStore is the
// implementation; a host may wrap it (caching, metrics) or bring its own.
//
// A period argument of nil means the board's current period; otherwise
// it is a Period.ID, current or past.
type Store interface {
	CreateBoard(ctx context.Context, b *Board) error
	Board(ctx context.Context, id string) (Board, error)
	Boards(ctx context.Context, opts ListOptions) ([]Board, error)
	CountBoards(ctx context.Context, opts ListOptions) (int, error)
	UpdateBoard(ctx context.Context, id string, change BoardChange) (Board, error)
	// ResetBoard ends the board's current period now; the records of the
	// ended period stay readable by its id.
	ResetBoard(ctx context.Context, id string) (Board, error)
	DeleteBoard(ctx context.Context, id string) error

	// Submit applies a score to the user's record in the board's current
	// period, by the board's operator. It is the server's write: callers
	// check who may submit (see Handler).
	Submit(ctx context.Context, board string, userID int64, username string, score, subscore int64, metadata json.RawMessage) (Record, error)

	// Top reads the board's records from the best, a page at a time.
	Top(ctx context.Context, board string, opts TopOptions) (Page, error)
	// Around reads a user's record with the n records above and below it.
	Around(ctx context.Context, board string, userID int64, n int, period *int64) (Page, error)
	// Record reads a user's record with its rank.
	Record(ctx context.Context, board string, userID int64, period *int64) (Record, error)
	// Records reads the records of several users (friends), best first;
	// users without a record are left out.
	Records(ctx context.Context, board string, userIDs []int64, period *int64) ([]Record, error)
}

// ListOptions select and page a list of boards, by id.
type ListOptions struct {
	// Search keeps the boards whose id contains it.
	Search string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips boards.
	Limit, Offset int
}

// TopOptions choose a page of Top.
type TopOptions struct {
	// Period is the period to read: nil for the current one.
	Period *int64
	// Cursor continues from a previous page (its Page.Next); it names its
	// period, which then wins over Period.
	Cursor string
	// Limit is the most records the page holds, from 1 to MaxLimit.
	// Defaults to DefaultLimit.
	Limit int
}

// Page is a run of a board's records in rank order.
type Page struct {
	Period  Period   `json:"period"`
	Records []Record `json:"records"`
	// Next is the cursor of the records after these (TopOptions.Cursor),
	// "" when there are none.
	Next string `json:"-"`
}

// StoreOptions configure a SQLStore; nil means defaults.
type StoreOptions struct {
	// Publisher announces changes after they commit (see EventRecord and
	// EventRank). Defaults to none: a store with no Publisher does no
	// work for announcements.
	Publisher gamekit.Publisher
	// Logger receives the announcements that could not be published.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock that picks the current period and dates records.
	// Defaults to time.Now. Server processes sharing a database should
	// have clocks that agree: a submit lands in the period its process's
	// clock says.
	Now func() time.Time
	// TopN is how many first records of a board are watched: a submit that
	// changes one of them, or brings a record among them, is announced on
	// the board's channel. Defaults to DefaultTopN (10).
	TopN int
	// RankDepth is how deep a rank is counted for EventRank: a submit that
	// changes the rank of a record within the first RankDepth (before or
	// after) tells its user. Counting costs an index walk over up to
	// RankDepth records, twice per submit, so deeper ranks are not
	// announced. Defaults to DefaultRankDepth (1000); negative turns rank
	// events off.
	RankDepth int
	// RankCacheRecords bounds the records the store keeps in memory to
	// answer ranks (Record, Records, Around) in microseconds, rather than
	// by counting the records before one, which costs in proportion to
	// the rank. A record costs about 110 bytes, so the default about
	// 110 MB; a period with more records is counted in SQL. Defaults to
	// DefaultRankCacheRecords (1,000,000); negative turns the cache off.
	// A store on a transaction or connection has no cache.
	RankCacheRecords int
	// RankCacheBoards bounds the periods of boards whose ranks the store
	// keeps, the least recently read dropped first. Defaults to
	// DefaultRankCacheBoards (100).
	RankCacheBoards int
}

// SQLStore is the Store on a bun database, SQLite or PostgreSQL.
type SQLStore struct {
	db         bun.IDB
	publisher  gamekit.Publisher
	publishing bool
	logger     *slog.Logger
	now        func() time.Time
	topN       int
	rankDepth  int

	// boards caches the boards submits go to; the submit statement checks
	// the cached version, so a stale copy costs a retry, never a wrong
	// write.
	mu     sync.RWMutex
	boards map[string]Board

	// ranks is the rank cache (rankcache.go), nil on a transaction or
	// connection, whose store lives no longer than it, or when turned off.
	rankCache *rankCache
	pg        bool

	best, set, incr, current, record, rank, rankWithin, after, before *storage.Statement
	keys, watermark, changes                                          *storage.Statement
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store working on db, which may be a *bun.DB, a
// bun.Tx or a bun.Conn. A store is safe for concurrent use: make one per
// database and share it, since it prepares the statements of submits and
// reads once, on first use, and caches boards.
//
// It returns a *gamekit.OptionError for a negative TopN or a TopN or
// RankDepth over a million. On a bun.Tx the writing methods join the
// caller's transaction and announce once it commits; the transaction must
// be begun by storage.RunInTx (else they fail with storage.ErrForeignTx).
func NewSQLStore(db bun.IDB, opts *StoreOptions) (*SQLStore, error) {
	var o StoreOptions
	if opts != nil {
		o = *opts
	}
	switch db.(type) {
	case *bun.DB, bun.Conn, *bun.Conn, bun.Tx, *bun.Tx:
	default:
		return nil, &gamekit.OptionError{Option: "leaderboards: NewSQLStore's db", Value: fmt.Sprintf("a %T", db), Want: "a *bun.DB, a bun.Tx or a bun.Conn"}
	}
	if o.TopN < 0 || o.TopN > 1_000_000 {
		return nil, &gamekit.OptionError{Option: "leaderboards: StoreOptions.TopN", Value: o.TopN, Want: "a number of records up to 1000000, or 0 for the default"}
	}
	if o.RankDepth > 1_000_000 {
		return nil, &gamekit.OptionError{Option: "leaderboards: StoreOptions.RankDepth", Value: o.RankDepth, Want: "a number of records up to 1000000, 0 for the default or -1 for none"}
	}
	if o.RankCacheBoards < 0 {
		return nil, &gamekit.OptionError{Option: "leaderboards: StoreOptions.RankCacheBoards", Value: o.RankCacheBoards, Want: "a number of periods, or 0 for the default"}
	}
	pg := db.Dialect().Name() == dialect.PG
	stmt := func(text string) *storage.Statement { return storage.NewStatement(dialectSQL(text, pg)) }
	s := &SQLStore{db: db, publisher: o.Publisher, publishing: o.Publisher != nil, logger: o.Logger, now: o.Now,
		topN: o.TopN, rankDepth: o.RankDepth, boards: map[string]Board{}, pg: pg,
		best: stmt(submitSQL(replaceScore, bestCond, pg)), set: stmt(submitSQL(replaceScore, "", pg)),
		incr: stmt(submitSQL(addScore, incrCond, pg)), current: stmt(currentSQL),
		record: stmt(recordSQL), rank: stmt(rankSQL), rankWithin: stmt(rankWithinSQL),
		after: stmt(afterSQL), before: stmt(beforeSQL),
		keys: stmt(keysSQL), watermark: stmt(watermarkSQL), changes: stmt(changesSQL)}
	if _, isDB := db.(*bun.DB); isDB && o.RankCacheRecords >= 0 {
		records, boards := o.RankCacheRecords, o.RankCacheBoards
		if records == 0 {
			records = DefaultRankCacheRecords
		}
		if boards == 0 {
			boards = DefaultRankCacheBoards
		}
		s.rankCache = newRankCache(records, boards)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.topN == 0 {
		s.topN = DefaultTopN
	}
	switch {
	case s.rankDepth == 0:
		s.rankDepth = DefaultRankDepth
	case s.rankDepth < 0:
		s.rankDepth = 0
	}
	return s, nil
}

// CreateBoard validates b, fills in its defaults (HigherFirst, Best) and
// stores it; a board with the same id is ErrBoardExists.
func (s *SQLStore) CreateBoard(ctx context.Context, b *Board) error {
	created := *b
	if err := created.validate(); err != nil {
		return err
	}
	created.ResetAt, created.Version = 0, 1
	created.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	if _, err := s.db.NewInsert().Model(&created).Exec(ctx); err != nil {
		if storage.IsUniqueViolation(err) {
			return boardExists(b.ID)
		}
		return fmt.Errorf("leaderboards: create board: %w", err)
	}
	*b = created
	return nil
}

// Board returns the board with the given id.
func (s *SQLStore) Board(ctx context.Context, id string) (Board, error) {
	var b Board
	if err := s.db.NewSelect().Model(&b).Where("board.id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			s.forget(id)
			return Board{}, boardNotFound(id)
		}
		return Board{}, fmt.Errorf("leaderboards: board: %w", err)
	}
	b.CreatedAt = b.CreatedAt.UTC()
	s.remember(b)
	return b, nil
}

// Boards lists boards by id.
func (s *SQLStore) Boards(ctx context.Context, opts ListOptions) ([]Board, error) {
	boards, err := storage.List[Board](ctx, s.db, opts.filter, "board.id ASC", opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("leaderboards: list boards: %w", err)
	}
	for i := range boards {
		boards[i].CreatedAt = boards[i].CreatedAt.UTC()
	}
	return boards, nil
}

// CountBoards counts the boards opts select.
func (s *SQLStore) CountBoards(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[Board](ctx, s.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("leaderboards: count boards: %w", err)
	}
	return n, nil
}

func (opts ListOptions) filter(q *bun.SelectQuery) {
	storage.Search(q, "board.id", opts.Search)
}

// UpdateBoard changes a board's operator, reset schedule or
// writability. Records already stored stay as they are; a new schedule
// picks the current period from now on.
func (s *SQLStore) UpdateBoard(ctx context.Context, id string, change BoardChange) (Board, error) {
	bad := &gamekit.InvalidError{}
	if change.Operator != nil {
		validOperator(bad, change.Operator)
	}
	if change.Reset != nil {
		validReset(bad, *change.Reset)
	}
	if err := bad.Err(); err != nil {
		return Board{}, err
	}
	b := Board{ID: id}
	q := s.db.NewUpdate().Model(&b).Where("id = ?", id).Set("version = version + 1").Returning("*")
	if change.Operator != nil {
		q.Set("operator = ?", *change.Operator)
	}
	if change.Reset != nil {
		q.Set("reset_schedule = ?", *change.Reset)
	}
	if change.ClientWritable != nil {
		q.Set("client_writable = ?", *change.ClientWritable)
	}
	if err := q.Scan(ctx); err != nil {
		return Board{}, s.boardFailed(err, id, "update board")
	}
	b.CreatedAt = b.CreatedAt.UTC()
	s.remember(b)
	return b, nil
}

// ResetBoard ends the current period of a board now: the next submit
// starts a new one, whose id is the Unix second of the reset (one more
// than the current period's id if that is later). Nothing is deleted or
// rewritten, so a reset costs one row's update whatever the board holds,
// and the ended period stays readable.
func (s *SQLStore) ResetBoard(ctx context.Context, id string) (Board, error) {
	b, err := s.Board(ctx, id)
	if err != nil {
		return Board{}, err
	}
	p, err := b.period(s.now())
	if err != nil {
		return Board{}, err
	}
	at := max(s.now().Unix(), p.ID+1)
	q := s.db.NewUpdate().Model(&b).Where("id = ? AND version = ?", id, b.Version).
		Set("reset_at = ?", at).Set("version = version + 1").Returning("*")
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Board{}, boardChanging(id)
		}
		return Board{}, s.boardFailed(err, id, "reset board")
	}
	b.CreatedAt = b.CreatedAt.UTC()
	s.remember(b)
	return b, nil
}

// DeleteBoard deletes a board and every record of it, of every period.
func (s *SQLStore) DeleteBoard(ctx context.Context, id string) error {
	res, err := s.db.NewDelete().Model((*Board)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("leaderboards: delete board: %w", err)
	}
	s.forget(id)
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("leaderboards: delete board: %w", err)
	} else if n == 0 {
		return boardNotFound(id)
	}
	return nil
}

func (s *SQLStore) boardFailed(err error, id, op string) error {
	if errors.Is(err, sql.ErrNoRows) {
		s.forget(id)
		return boardNotFound(id)
	}
	return fmt.Errorf("leaderboards: %s: %w", op, err)
}

func (s *SQLStore) remember(b Board) {
	s.mu.Lock()
	s.boards[b.ID] = b // the newest read wins: a stale one costs a submit a retry
	s.mu.Unlock()
}

func (s *SQLStore) forget(id string) {
	s.mu.Lock()
	delete(s.boards, id)
	s.mu.Unlock()
	if s.rankCache != nil {
		s.rankCache.forget(id)
	}
}

// cached returns the board from the cache, reading it on a miss.
func (s *SQLStore) cached(ctx context.Context, id string) (Board, error) {
	s.mu.RLock()
	b, ok := s.boards[id]
	s.mu.RUnlock()
	if ok {
		return b, nil
	}
	return s.Board(ctx, id)
}

// maxSubmitAttempts bounds how often a submit is tried again after finding
// its copy of the board stale.
const maxSubmitAttempts = 5

// Submit applies score and subscore to the user's record on board in the
// current period, by the board's operator, and returns the record as
// stored (its Rank is 0: counting it costs; see Record). It is one
// statement on PostgreSQL; on SQLite a Best submit is a read, and a
// write when the score is better.
// metadata, a JSON object of at most MaxMetadataBytes, replaces the
// record's when the record changes; nil keeps it ({} for a new record).
// username, when not empty, replaces the name stored with the record for
// display.
//
// A Best submit that is no better than the record writes nothing and
// returns the record as it is. An Incr that would take the score or
// subscore beyond ±MaxScore is an *gamekit.InvalidError, and so are a
// score out of range, bad metadata and a user id below 1. A missing board
// is ErrBoardNotFound.
//
// Submits are atomic per (board, period, user): concurrent ones are
// applied one after the other by the database, none lost, none twice.
//
// With a Publisher, a change is announced after it commits (see
// EventRecord, EventRank), which costs a read of the record before the
// write and two counts of at most max(TopN, RankDepth) index entries
// after it.
func (s *SQLStore) Submit(ctx context.Context, board string, userID int64, username string, score, subscore int64, metadata json.RawMessage) (Record, error) {
	meta, err := validSubmit(userID, username, score, subscore, metadata)
	if err != nil {
		return Record{}, err
	}
	var metaArg, nameArg any
	if meta != nil {
		metaArg = *meta
	}
	if username != "" {
		nameArg = username
	}
	for attempt := range maxSubmitAttempts {
		var b Board
		if attempt == 0 {
			b, err = s.cached(ctx, board)
		} else {
			b, err = s.Board(ctx, board)
		}
		if err != nil {
			return Record{}, err
		}
		p, err := b.period(s.now())
		if err != nil {
			return Record{}, fmt.Errorf("leaderboards: submit: board %s: %w", board, err)
		}
		var old *Record
		if s.publishing {
			if r, err := s.read(ctx, b, p.ID, userID); err == nil {
				old = &r
			} else if !errors.Is(err, ErrRecordNotFound) {
				return Record{}, err
			}
		}
		sign := b.sign()
		args := []any{b.ID, b.Version, p.ID, userID, nameArg, score * sign, subscore * sign, metaArg, s.now().UnixMicro()}
		var stmt *storage.Statement
		var keeps func(Record) bool // whether Best leaves a record as it is
		switch b.Operator {
		case Best:
			stmt = s.best
			keeps = func(r Record) bool { return !improves(score*sign, subscore*sign, r, sign) }
		case Set:
			stmt = s.set
		case Incr:
			stmt, args = s.incr, append(args, MaxScore)
		}
		rec, written, found, err := s.upsert(ctx, stmt, sign, args, keeps)
		if errors.Is(err, sql.ErrNoRows) {
			continue // the board changed or went: read it again
		}
		if err != nil {
			return Record{}, fmt.Errorf("leaderboards: submit: %w", err)
		}
		if written {
			if err := s.announce(ctx, b, p, old, rec); err != nil {
				return Record{}, err
			}
			return rec, nil
		}
		// Nothing written on a current board: the operator refused the
		// score.
		if b.Operator == Incr {
			return Record{}, &gamekit.InvalidError{Fields: map[string][]string{
				"score": {"Ensure the record stays between -" + fmt.Sprint(MaxScore) + " and " + fmt.Sprint(MaxScore) + "."}}}
		}
		if found && keeps != nil && keeps(rec) {
			return rec, nil
		}
		// The record read is older than the one that refused the score (a
		// concurrent submit's, after the read's snapshot), or gone.
		rec, err = s.read(ctx, b, p.ID, userID)
		if errors.Is(err, ErrRecordNotFound) {
			continue // deleted in between
		}
		return rec, err
	}
	if _, err := s.Board(ctx, board); err != nil {
		return Record{}, err
	}
	return Record{}, boardChanging(board)
}

// upsert runs a submit statement, stmt with args. It returns the record
// written, or, when nothing was written on a board still at the version
// in args, the record as read (found false when there is none);
// sql.ErrNoRows when the board changed or went. On PostgreSQL that is one
// statement (pgSubmit), which writes only if the operator changes the
// record as read. On SQLite, given keeps (Best's test of whether a record
// stays as it is), it reads currentSQL first, outside the write turn, and
// runs the upsert only when the record would change; without keeps it
// reads after an upsert that wrote nothing.
func (s *SQLStore) upsert(ctx context.Context, stmt *storage.Statement, sign int64, args []any, keeps func(Record) bool) (rec Record, written, found bool, err error) {
	if !s.pg && keeps != nil {
		if rec, _, found, err = s.readCurrent(ctx, sign, args); err != nil || found && keeps(rec) {
			return rec, false, found, err
		}
	}
	row, err := stmt.QueryRow(ctx, s.db, args...)
	if err != nil {
		return Record{}, false, false, err
	}
	if s.pg {
		return scanSubmitted(row, sign)
	}
	rec, err = scanRecord(row, sign)
	if !errors.Is(err, sql.ErrNoRows) {
		return rec, err == nil, err == nil, err
	}
	return s.readCurrent(ctx, sign, args)
}

// readCurrent runs currentSQL for the submit of args.
func (s *SQLStore) readCurrent(ctx context.Context, sign int64, args []any) (rec Record, written, found bool, err error) {
	row, err := s.current.QueryRow(ctx, s.db, args[:4]...)
	if err != nil {
		return Record{}, false, false, err
	}
	return scanSubmitted(row, sign)
}

// scanSubmitted reads a row of pgSubmit or currentSQL: whether the submit
// wrote, and the record, if any.
func scanSubmitted(row scanner, sign int64) (rec Record, written, found bool, err error) {
	var user, score, subscore, at sql.NullInt64
	var name, meta sql.NullString
	if err := row.Scan(&written, &user, &name, &score, &subscore, &meta, &at); err != nil {
		return Record{}, false, false, err
	}
	if !user.Valid {
		return Record{}, written, false, nil
	}
	return Record{UserID: user.Int64, Username: name.String, Score: score.Int64 * sign, Subscore: subscore.Int64 * sign,
		Metadata: json.RawMessage(meta.String), UpdatedAt: time.UnixMicro(at.Int64).UTC()}, written, true, nil
}

// improves reports whether a Best submit of the stored score and subscore
// (multiplied by the sign) would replace rec: bestCond.
func improves(score, subscore int64, rec Record, sign int64) bool {
	rs, rsub := rec.Score*sign, rec.Subscore*sign
	return score < rs || score == rs && subscore < rsub
}

// announce publishes a submit's change, once it is committed, on the
// board's channel when it touches the top TopN and on the user's channel
// when the user's rank changed within RankDepth.
func (s *SQLStore) announce(ctx context.Context, b Board, p Period, old *Record, rec Record) error {
	if !s.publishing {
		return nil
	}
	depth := max(s.topN, s.rankDepth)
	sign := b.sign()
	newRank, err := s.rankAtMost(ctx, b.ID, p.ID, rec.key(sign), rec.UserID, depth)
	if err != nil {
		return err
	}
	var oldRank int64
	if old != nil {
		if oldRank, err = s.rankAtMost(ctx, b.ID, p.ID, old.key(sign), rec.UserID, depth); err != nil {
			return err
		}
	}
	rec.Rank = newRank
	change := Change{Board: b.ID, Period: p.ID, Record: rec, PreviousRank: oldRank}
	within := func(rank int64, n int) bool { return rank > 0 && rank <= int64(n) }
	var events []gamekit.Event
	if within(newRank, s.topN) || within(oldRank, s.topN) {
		events = append(events, gamekit.Event{Channel: Channel(b.ID), Name: EventRecord, Data: change})
	}
	if newRank != oldRank && (within(newRank, s.rankDepth) || within(oldRank, s.rankDepth)) {
		events = append(events, gamekit.Event{Channel: UserChannelPrefix + fmt.Sprint(rec.UserID), Name: EventRank, Data: change})
	}
	if len(events) == 0 {
		return nil
	}
	return storage.AfterCommit(ctx, s.db, func(ctx context.Context) {
		for _, e := range events {
			if err := s.publisher.Publish(ctx, e); err != nil {
				s.logger.WarnContext(ctx, "leaderboards: announce", "channel", e.Channel, "event", e.Name, "err", err)
			}
		}
	})
}

// rankAtMost returns the rank key would have among the records of the
// period other than user's, or 0 when it is beyond limit.
func (s *SQLStore) rankAtMost(ctx context.Context, board string, period int64, k key, user int64, limit int) (int64, error) {
	if limit <= 0 {
		return 0, nil
	}
	row, err := s.rankWithin.QueryRow(ctx, s.db, board, period, k.score, k.subscore, k.at, k.user, user, limit)
	if err != nil {
		return 0, fmt.Errorf("leaderboards: rank: %w", err)
	}
	var n int64
	if err := row.Scan(&n); err != nil {
		return 0, fmt.Errorf("leaderboards: rank: %w", err)
	}
	if n >= int64(limit) {
		return 0, nil
	}
	return n + 1, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanRecord reads the recordColumns of row, turning the stored key back
// into the score.
func scanRecord(row scanner, sign int64) (Record, error) {
	var r Record
	var meta string
	var at int64
	if err := row.Scan(&r.UserID, &r.Username, &r.Score, &r.Subscore, &meta, &at); err != nil {
		return Record{}, err
	}
	r.Score *= sign
	r.Subscore *= sign
	r.Metadata = json.RawMessage(meta)
	r.UpdatedAt = time.UnixMicro(at).UTC()
	return r, nil
}
