package players

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// Channel is where a store announces committed changes of players; the
// realtime hub delivers it to subscribed clients.
const Channel = "players"

// The names of the events a store publishes on Channel. The Data of
// created is the Player (its JSON, as the API gives it); the Data of
// updated is a Position, only what a move changes; the Data of deleted is
// {"id": N}.
const (
	EventCreated = "created"
	EventUpdated = "updated"
	EventDeleted = "deleted"
)

// Store is what the package's handlers need from storage. SQLStore is the
// implementation; a host may wrap it (caching, metrics) or bring its own,
// which must enforce the same rules of movement.
type Store interface {
	CreatePlayer(ctx context.Context, p *Player) error
	Player(ctx context.Context, id int64) (Player, error)
	Players(ctx context.Context, opts ListOptions) ([]Player, error)
	CountPlayers(ctx context.Context, opts ListOptions) (int, error)
	// Move and MoveTo are a player's own moves, by user by, checked
	// against every rule; SetPosition is an admin's, checked only against
	// the bounds.
	Move(ctx context.Context, id, by int64, dx, dy float64) (Player, error)
	MoveTo(ctx context.Context, id, by int64, x, y float64) (Player, error)
	SetPosition(ctx context.Context, id int64, x, y float64) (Player, error)
	DeletePlayer(ctx context.Context, id int64) error
}

// The defaults of StoreOptions, the rules of movement of the tutorial's
// demo: a step of 1, a world of ±1000 on each axis, 10 moves per second.
const (
	DefaultStep  = 1.0
	DefaultBound = 1000.0
	DefaultRate  = 10
)

// ListOptions select, order and page a list of players.
type ListOptions struct {
	// UserID, when not 0, keeps only this user's players.
	UserID int64
	// Search keeps the players whose username contains it, ignoring ASCII
	// case: the admin finds a user's players by name.
	Search string
	// Sort is a column, "-" first for descending: "id" (the default),
	// "user", "username", "position_x" or "position_y", each then by id.
	// Any other value is invalid input.
	Sort string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips rows.
	Limit, Offset int
}

// StoreOptions configure a SQLStore; nil means defaults. The rules apply
// to each player on its own: every player may make Rate moves a second.
type StoreOptions struct {
	// Publisher announces each committed change on Channel. Defaults to
	// gamekit.Discard.
	Publisher gamekit.Publisher
	// Logger receives the announcements that could not be published.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock of the rate limit. Defaults to time.Now. Server
	// processes sharing a database should have clocks that agree: a window
	// is dated by the clock of the process that opened it.
	Now func() time.Time
	// Step is the most a move changes each coordinate, either way.
	// Defaults to DefaultStep (1).
	Step float64
	// Bound keeps positions within [-Bound, Bound] on each axis. Defaults
	// to DefaultBound (1000).
	Bound float64
	// Rate is how many moves a player may make in each one-second window,
	// a window opening at the first move after the previous one ended.
	// Defaults to DefaultRate (10).
	Rate int
}

// SQLStore is the Store on a bun database, SQLite or PostgreSQL.
type SQLStore struct {
	db        bun.IDB
	publisher gamekit.Publisher
	logger    *slog.Logger
	now       func() time.Time
	step      float64
	bound     float64
	rate      int

	// The statements of a move, the hot path, prepared once on a *bun.DB.
	move, moveTo, setPosition, read *storage.Statement
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store working on db, which may be a *bun.DB, a
// bun.Tx or a bun.Conn. A store is safe for concurrent use: make one per
// database and share it, since it prepares the statements of a move once,
// on first use, and keeps them as long as db.
//
// It returns an error when opts break the rules of movement: a Step or
// Bound that is negative, NaN or infinite, or a negative Rate. (Zero means
// the default.) Options are checked once, here, so a server fails at start
// rather than on the first move.
//
// Each writing method is one statement, so on a *bun.DB it commits at once
// and announces its change through opts.Publisher after that, never before
// and never for a change that failed. On a bun.Tx the methods join the
// caller's transaction and announce once it commits, and never if it rolls
// back; the transaction must be begun by storage.RunInTx, which knows when
// it commits (else the method fails with storage.ErrForeignTx).
func NewSQLStore(db bun.IDB, opts *StoreOptions) (*SQLStore, error) {
	var o StoreOptions
	if opts != nil {
		o = *opts
	}
	for _, v := range []struct {
		name  string
		value float64
	}{{"Step", o.Step}, {"Bound", o.Bound}} {
		if v.value < 0 || !finite(v.value) {
			return nil, &gamekit.OptionError{Option: "players: StoreOptions." + v.name, Value: v.value, Want: "a positive finite number, or 0 for the default"}
		}
	}
	if o.Rate < 0 || o.Rate > math.MaxInt32 {
		return nil, &gamekit.OptionError{Option: "players: StoreOptions.Rate", Value: o.Rate, Want: "a positive number of moves, or 0 for the default"}
	}
	s := &SQLStore{db: db, publisher: o.Publisher, logger: o.Logger, now: o.Now, step: o.Step, bound: o.Bound, rate: o.Rate,
		move: storage.NewStatement(moveSQL), moveTo: storage.NewStatement(moveToSQL),
		setPosition: storage.NewStatement(setPositionSQL), read: storage.NewStatement(readSQL)}
	switch db.(type) {
	case *bun.DB, bun.Conn, *bun.Conn, bun.Tx, *bun.Tx:
	default:
		return nil, &gamekit.OptionError{Option: "players: NewSQLStore's db", Value: fmt.Sprintf("a %T", db), Want: "a *bun.DB, a bun.Tx or a bun.Conn"}
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.publisher == nil {
		s.publisher = gamekit.Discard
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.step == 0 {
		s.step = DefaultStep
	}
	if s.bound == 0 {
		s.bound = DefaultBound
	}
	if s.rate == 0 {
		s.rate = DefaultRate
	}
	return s, nil
}

// CreatePlayer validates p (an owner, a username of at most
// MaxUsernameLength characters, a finite position within the bounds),
// stores it, and sets its ID.
func (s *SQLStore) CreatePlayer(ctx context.Context, p *Player) error {
	if err := p.validate(s.bound); err != nil {
		return err
	}
	created := *p
	created.ID, created.WindowStart, created.WindowMoves = 0, 0, 0
	if _, err := s.db.NewInsert().Model(&created).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("players: create player: %w", err)
	}
	*p = created
	return s.announce(ctx, EventCreated, created)
}

// Player returns the player with the given id.
func (s *SQLStore) Player(ctx context.Context, id int64) (Player, error) {
	var p Player
	if err := s.db.NewSelect().Model(&p).Where("player.id = ?", id).Scan(ctx); err != nil {
		return Player{}, notFound(err, id, "player")
	}
	return p, nil
}

var playerSorts = storage.Sorts{
	"id": "player.id ASC", "-id": "player.id DESC",
	"user": "player.user_id ASC, player.id ASC", "-user": "player.user_id DESC, player.id DESC",
	"username": "player.username ASC, player.id ASC", "-username": "player.username DESC, player.id DESC",
	"position_x": "player.position_x ASC, player.id ASC", "-position_x": "player.position_x DESC, player.id DESC",
	"position_y": "player.position_y ASC, player.id ASC", "-position_y": "player.position_y DESC, player.id DESC",
}

// Players lists players, by id unless opts say otherwise.
func (s *SQLStore) Players(ctx context.Context, opts ListOptions) ([]Player, error) {
	order, err := playerSorts.Order("ordering", opts.Sort, "id")
	if err != nil {
		return nil, err
	}
	players, err := storage.List[Player](ctx, s.db, opts.filter, order, opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("players: list players: %w", err)
	}
	return players, nil
}

// CountPlayers counts the players opts select.
func (s *SQLStore) CountPlayers(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[Player](ctx, s.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("players: count players: %w", err)
	}
	return n, nil
}

func (opts ListOptions) filter(q *bun.SelectQuery) {
	if opts.UserID != 0 {
		q.Where("player.user_id = ?", opts.UserID)
	}
	storage.Search(q, "player.username", opts.Search)
}

// DeletePlayer deletes a player, for the admin or a host deleting its
// user (there is no foreign key to do it for the host), and announces it so
// that clients drop the player from their view.
func (s *SQLStore) DeletePlayer(ctx context.Context, id int64) error {
	res, err := s.db.NewDelete().Model((*Player)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("players: delete player: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("players: delete player: %w", err)
	}
	if n == 0 {
		return notFoundError(id)
	}
	return s.announce(ctx, EventDeleted, deleted{ID: id})
}

// deleted is the Data of EventDeleted.
type deleted struct {
	ID int64 `json:"id"`
}

// announce publishes a change once it is committed: at once on the
// store's *bun.DB, after the caller's transaction on a bun.Tx (see
// storage.AfterCommit, whose ErrForeignTx it returns). The change stands
// whatever the publisher says, so a failure to publish is logged, not
// returned: a caller told "failed" would try again a move that was made.
func (s *SQLStore) announce(ctx context.Context, name string, data any) error {
	return storage.AfterCommit(ctx, s.db, func(ctx context.Context) {
		if err := s.publisher.Publish(ctx, gamekit.Event{Channel: Channel, Name: name, Data: data}); err != nil {
			s.logger.WarnContext(ctx, "players: announce", "event", name, "err", err)
		}
	})
}

// scanPlayer reads the playerColumns of row.
func scanPlayer(row *sql.Row) (Player, error) {
	var p Player
	err := row.Scan(&p.ID, &p.UserID, &p.Username, &p.X, &p.Y, &p.WindowStart, &p.WindowMoves)
	return p, err
}

// notFound maps sql.ErrNoRows to the player's not-found error.
func notFound(err error, id int64, op string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFoundError(id)
	}
	return fmt.Errorf("players: %s: %w", op, err)
}
