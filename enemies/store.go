package enemies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// Channel is where a store announces committed changes of monsters; the
// realtime hub delivers it to subscribed clients.
const Channel = "monsters"

// The names of the events a store publishes on Channel. The Data of
// created and updated is the Monster (its JSON, as the API gives it); the
// Data of deleted is {"id": N}.
const (
	EventCreated = "created"
	EventUpdated = "updated"
	EventDeleted = "deleted"
)

// Store is what the package's handlers need from storage. SQLStore is the
// implementation; a host may wrap it (caching, metrics) or bring its own.
type Store interface {
	CreateMonster(ctx context.Context, m *Monster) error
	Monster(ctx context.Context, id int64) (Monster, error)
	Monsters(ctx context.Context, opts ListOptions) ([]Monster, error)
	CountMonsters(ctx context.Context, opts ListOptions) (int, error)
	SetHealth(ctx context.Context, id int64, healthPoints int) (Monster, error)
	Fire(ctx context.Context, id int64, transition string, args Args, by int64) (Monster, error)
	DeleteMonster(ctx context.Context, id int64) error

	History(ctx context.Context, opts HistoryOptions) ([]HistoryEntry, error)
	CountHistory(ctx context.Context, opts HistoryOptions) (int, error)
}

// ListOptions select, order and page a list of monsters.
type ListOptions struct {
	// State, when not 0, keeps only the monsters in this state.
	State State
	// Sort is a column, "-" first for descending: "id" (the default),
	// "health_points" or "state", each then by id.
	Sort string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips rows.
	Limit, Offset int
}

// StoreOptions configure a SQLStore; nil means defaults.
type StoreOptions struct {
	// Publisher announces each committed change on Channel. Defaults to
	// gamekit.Discard.
	Publisher gamekit.Publisher
	// Logger receives the announcements that could not be published.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock that dates history entries. Defaults to time.Now.
	Now func() time.Time
}

// SQLStore is the Store on a bun database, SQLite or PostgreSQL.
type SQLStore struct {
	db        bun.IDB
	publisher gamekit.Publisher
	logger    *slog.Logger
	now       func() time.Time

	// The statements of a transition, the hot path, prepared once.
	loadStmt, saveStmt, recordStmt *storage.Statement
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store working on db, which may be a *bun.DB or a
// bun.Tx. A store is safe for concurrent use: make one per database and
// share it, since it prepares the statements of a transition once, on
// first use, and keeps them as long as db.
//
// On a *bun.DB each writing method is one transaction of its own and
// announces its change through opts.Publisher once that transaction has
// committed, never before and never for a change that failed or rolled
// back. On a bun.Tx the methods join the caller's transaction and announce
// once it commits; the transaction must be begun by storage.RunInTx, which
// knows when it commits (else the method fails with storage.ErrForeignTx).
//
// It returns an error only for options it cannot use; today every option
// has a usable zero value.
func NewSQLStore(db bun.IDB, opts *StoreOptions) (*SQLStore, error) {
	var o StoreOptions
	if opts != nil {
		o = *opts
	}
	s := &SQLStore{db: db, publisher: o.Publisher, logger: o.Logger, now: o.Now}
	s.loadStmt, s.saveStmt, s.recordStmt = storage.NewStatement(loadSQL), storage.NewStatement(saveSQL), storage.NewStatement(recordSQL)
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.publisher == nil {
		s.publisher = gamekit.Discard
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// CreateMonster validates m, stores it, and sets its ID and Version. A zero
// State means Wandering; HealthPoints is stored as given (NewMonster has
// the defaults). Automatic transitions that apply to the new monster fire
// in the same transaction and are recorded, as after any other change.
func (s *SQLStore) CreateMonster(ctx context.Context, m *Monster) error {
	if m.State == 0 {
		m.State = Wandering
	}
	if err := m.validate(); err != nil {
		return err
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	var created Monster
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		created = *m
		created.ID = 0
		steps, err := settle(ctx, &created, nil)
		if err != nil {
			return err
		}
		created.Version = 1 + int64(len(steps))
		if _, err := tx.NewInsert().Model(&created).Returning("id").Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, created.ID, 1, steps)
	})
	if err != nil {
		return wrap(err, "create monster")
	}
	*m = created
	return s.announce(ctx, EventCreated, created)
}

// Monster returns the monster with the given id.
func (s *SQLStore) Monster(ctx context.Context, id int64) (Monster, error) {
	var m Monster
	if err := s.db.NewSelect().Model(&m).Where("monster.id = ?", id).Scan(ctx); err != nil {
		return Monster{}, notFound(err, "monster")
	}
	return m, nil
}

var monsterSorts = storage.Sorts{
	"id": "monster.id ASC", "-id": "monster.id DESC",
	"health_points":  "monster.health_points ASC, monster.id ASC",
	"-health_points": "monster.health_points DESC, monster.id DESC",
	"state":          "monster.state ASC, monster.id ASC", "-state": "monster.state DESC, monster.id DESC",
}

// Monsters lists monsters, by id unless opts say otherwise.
func (s *SQLStore) Monsters(ctx context.Context, opts ListOptions) ([]Monster, error) {
	order, err := monsterSorts.Order("ordering", opts.Sort, "id")
	if err != nil {
		return nil, err
	}
	monsters, err := storage.List[Monster](ctx, s.db, opts.filter, order, opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("enemies: list monsters: %w", err)
	}
	return monsters, nil
}

// CountMonsters counts the monsters opts select.
func (s *SQLStore) CountMonsters(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[Monster](ctx, s.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("enemies: count monsters: %w", err)
	}
	return n, nil
}

func (opts ListOptions) filter(q *bun.SelectQuery) {
	if opts.State != 0 {
		q.Where("monster.state = ?", opts.State)
	}
}

// SetHealth sets a monster's health points (0 to MaxHealthPoints), fires
// the automatic transitions the new value enables (an evading monster at 5
// or fewer looks for aid) in the same transaction, records them, and
// returns the monster as saved.
//
// Setting health does not depend on what the monster was doing, so it
// never loses to a concurrent change: its UPDATE comes first and holds the
// row until the commit, and the automatic transitions are decided on the
// monster it returns.
func (s *SQLStore) SetHealth(ctx context.Context, id int64, healthPoints int) (Monster, error) {
	bad := &gamekit.InvalidError{}
	validHealth(bad, healthPoints)
	if err := bad.Err(); err != nil {
		return Monster{}, err
	}
	if err := s.prepare(ctx); err != nil {
		return Monster{}, err
	}
	var m Monster
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		m = Monster{}
		err := tx.NewUpdate().Model(&m).
			Set("health_points = ?", healthPoints).
			Set("version = version + 1").
			Where("id = ?", id).
			Returning("*").
			Scan(ctx)
		if err != nil {
			return notFound(err, "set health")
		}
		loaded := m
		steps, err := settle(ctx, &m, nil)
		if err != nil || len(steps) == 0 {
			return err
		}
		if err := s.write(ctx, tx, &m, loaded, len(steps)); err != nil {
			return err // not errStale: the row is this transaction's
		}
		return s.record(ctx, tx, m.ID, loaded.Version, steps)
	})
	if err != nil {
		return Monster{}, wrap(err, "set health")
	}
	if err := s.announce(ctx, EventUpdated, m); err != nil {
		return Monster{}, err
	}
	return m, nil
}

// Fire fires the transition called transition on the stored monster with
// the given id, then the automatic transitions that follow, and returns
// the monster as saved. by is the host's user who fires it, recorded in
// the history (0 for none: the system).
//
// It checks args first (invalid input, see Args), then, in one
// transaction, loads the monster, checks the transition with the machine
// (an *fsm.TransitionError: unknown, not allowed from this state, or a
// guard failed), and writes the monster back only if its state and version
// are still the ones it read, with a history entry for every transition.
// Of concurrent transitions on one monster exactly one succeeds; the others
// fail with a conflict: ErrConcurrentChange, or the machine's refusal when
// they start after the winner committed.
func (s *SQLStore) Fire(ctx context.Context, id int64, transition string, args Args, by int64) (Monster, error) {
	if err := args.check(transition); err != nil {
		return Monster{}, err
	}
	if err := s.prepare(ctx); err != nil {
		return Monster{}, err
	}
	var m Monster
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		loaded, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		m = loaded
		if err := m.Fire(ctx, transition, args); err != nil {
			return err
		}
		steps, err := settle(ctx, &m, []step{{transition, loaded.State, m.State, by}})
		if err != nil {
			return err
		}
		if err := s.write(ctx, tx, &m, loaded, len(steps)); errors.Is(err, errStale) {
			return &concurrentError{op: fmt.Sprintf("transition %q from %s", transition, loaded.State)}
		} else if err != nil {
			return err
		}
		return s.record(ctx, tx, m.ID, loaded.Version, steps)
	})
	if err != nil {
		return Monster{}, wrap(err, "fire")
	}
	if err := s.announce(ctx, EventUpdated, m); err != nil {
		return Monster{}, err
	}
	return m, nil
}

// step is one transition a change fired, to be recorded.
type step struct {
	transition string
	from, to   State
	by         int64 // 0 for an automatic transition
}

// settle fires the automatic transitions that apply to m and appends them
// to steps.
func settle(ctx context.Context, m *Monster, steps []step) ([]step, error) {
	from := m.State
	fired, err := machine.Settle(ctx, m)
	for _, name := range fired {
		to := targets[name]
		steps = append(steps, step{transition: name, from: from, to: to})
		from = to
	}
	return steps, err
}

// get loads a monster for a change, in the change's transaction.
func (s *SQLStore) get(ctx context.Context, tx bun.Tx, id int64) (Monster, error) {
	row, err := s.loadStmt.QueryRow(ctx, tx, id)
	if err != nil {
		return Monster{}, err
	}
	m := Monster{}
	err = row.Scan(&m.ID, &m.State, &m.UserBeingAttacked, &m.HealthPoints, &m.Version)
	if err != nil {
		return Monster{}, notFound(err, "load monster")
	}
	return m, nil
}

// errStale is write's answer when the row is no longer the one loaded.
var errStale = errors.New("enemies: stale monster")

// write writes m back over loaded after n transitions, in one conditional
// UPDATE: only if the row still has the state and version loaded, so that
// of two concurrent changes only the first to write wins, even when the
// monster went through other states and came back (A → B → A) in between.
// Otherwise it returns errStale. The version grows by one per transition,
// so each transition has a version of its own to be recorded under.
func (s *SQLStore) write(ctx context.Context, tx bun.Tx, m *Monster, loaded Monster, n int) error {
	version := loaded.Version + int64(n)
	res, err := s.saveStmt.Exec(ctx, tx, int64(m.State), m.UserBeingAttacked, m.HealthPoints, version,
		loaded.ID, int64(loaded.State), loaded.Version)
	if err != nil {
		return err
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if rows == 0 {
		return errStale
	}
	m.Version = version
	return nil
}

// timeFormat is how a history entry's time is sent: text both databases
// read as a TIMESTAMPTZ and bun reads back, to the microsecond PostgreSQL
// keeps.
const timeFormat = "2006-01-02 15:04:05.999999-07:00"

// record adds the history entries of steps, dated now: the first under
// the version after base, the next under the one after that, and so on, as
// write numbered them.
func (s *SQLStore) record(ctx context.Context, tx bun.Tx, monsterID, base int64, steps []step) error {
	if len(steps) == 0 {
		return nil
	}
	at := s.now().UTC().Format(timeFormat)
	for i, st := range steps {
		var by *int64
		if st.by != 0 {
			by = &st.by
		}
		_, err := s.recordStmt.Exec(ctx, tx, monsterID, base+int64(i)+1, st.transition, int64(st.from), int64(st.to), by, at)
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteMonster deletes a monster. Its history stays, for analytics, but
// is no longer served by the API.
func (s *SQLStore) DeleteMonster(ctx context.Context, id int64) error {
	res, err := s.db.NewDelete().Model((*Monster)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("enemies: delete monster: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("enemies: delete monster: %w", err)
	}
	if n == 0 {
		return ErrMonsterNotFound
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
// returned: a caller told "failed" would try again a change that was made.
func (s *SQLStore) announce(ctx context.Context, name string, data any) error {
	return storage.AfterCommit(ctx, s.db, func(ctx context.Context) {
		if err := s.publisher.Publish(ctx, gamekit.Event{Channel: Channel, Name: name, Data: data}); err != nil {
			s.logger.WarnContext(ctx, "enemies: announce", "event", name, "err", err)
		}
	})
}

// notFound maps sql.ErrNoRows to ErrMonsterNotFound.
func notFound(err error, op string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrMonsterNotFound
	}
	return fmt.Errorf("enemies: %s: %w", op, err)
}

// wrap names the operation on an unexpected error; errors of gamekit's
// kinds already say what happened and pass unchanged.
func wrap(err error, op string) error {
	if err == nil || errors.Is(err, gamekit.ErrNotFound) || errors.Is(err, gamekit.ErrInvalid) ||
		errors.Is(err, gamekit.ErrConflict) {
		return err
	}
	return fmt.Errorf("enemies: %s: %w", op, err)
}
