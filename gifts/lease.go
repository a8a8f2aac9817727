package gifts

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// The lease is the schedule's row in gamekit_gift_schedules: who may run
// ticks (holder, until expires_at, in term) and how far they got (last_at,
// running_tick). Every change is one statement, a conditional UPDATE,
// atomic on both databases, so no transaction spans a grant and none
// needs retrying: a statement that loses a race changes no row, and says
// so.
//
// Times are written by bun as UTC text on SQLite, which compares in time
// order as long as every writer uses the same format (all writers are this
// code), and as timestamptz on PostgreSQL.

// scheduleRow is what a scheduler reads back from its schedule's row.
type scheduleRow struct {
	Holder      string     `bun:"holder"`
	Term        int64      `bun:"term"`
	ExpiresAt   time.Time  `bun:"expires_at"`
	LastAt      time.Time  `bun:"last_at"`
	RunningTick *int64     `bun:"running_tick"`
	RunningAt   *time.Time `bun:"running_at"`
}

// never is an expiry every clock has passed: a released lease.
var never = time.Unix(0, 0).UTC()

// dbTime is t as stored: UTC, to the microsecond (PostgreSQL's precision).
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// lease is one scheduler's view of its schedule's row.
type lease struct {
	db     *bun.DB
	name   string
	holder string
	ttl    time.Duration
	term   int64 // the term this scheduler holds, valid while held
}

// create makes the schedule's row if it is not there yet, with no holder
// and no tick before now: a new schedule's first tick is the first after
// its first Start.
func (l *lease) create(ctx context.Context, now time.Time) error {
	_, err := l.db.NewRaw(`INSERT INTO gamekit_gift_schedules
		(name, holder, term, expires_at, last_at, updated_at)
		VALUES (?, '', 0, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`,
		l.name, never, dbTime(now), dbTime(now)).Exec(ctx)
	return err
}

// acquire takes the lease, or renews it, when this scheduler holds it or
// it has expired, and returns the row. held is false when another
// scheduler holds it; row then says who and until when.
func (l *lease) acquire(ctx context.Context, now time.Time) (row scheduleRow, held bool, err error) {
	err = l.db.NewRaw(`UPDATE gamekit_gift_schedules
		SET term = CASE WHEN holder = ? THEN term ELSE term + 1 END,
			holder = ?, expires_at = ?, updated_at = ?
		WHERE name = ? AND (holder = ? OR expires_at <= ?)
		RETURNING holder, term, expires_at, last_at, running_tick, running_at`,
		l.holder, l.holder, dbTime(now.Add(l.ttl)), dbTime(now), l.name, l.holder, dbTime(now)).
		Scan(ctx, &row)
	if err == nil {
		l.term = row.Term
		return row, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return row, false, err
	}
	row, err = l.read(ctx)
	return row, false, err
}

// read returns the row as it is.
func (l *lease) read(ctx context.Context) (row scheduleRow, err error) {
	err = l.db.NewRaw(`SELECT holder, term, expires_at, last_at, running_tick, running_at
		FROM gamekit_gift_schedules WHERE name = ?`, l.name).Scan(ctx, &row)
	return row, err
}

// update runs an UPDATE of the row's other columns (set, with args) that
// also renews the lease until now plus its duration, on the condition that
// this scheduler still holds it in its term; it reports errLeaseLost
// otherwise.
func (l *lease) update(ctx context.Context, now time.Time, set string, args ...any) error {
	args = append(args, dbTime(now.Add(l.ttl)), dbTime(now), l.name, l.holder, l.term)
	res, err := l.db.NewRaw(`UPDATE gamekit_gift_schedules SET `+set+`expires_at = ?, updated_at = ?
		WHERE name = ? AND holder = ? AND term = ?`, args...).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errLeaseLost
	}
	return nil
}

// renew extends the lease.
func (l *lease) renew(ctx context.Context, now time.Time) error {
	return l.update(ctx, now, "")
}

// begin renews the lease and records tk as started: if this scheduler
// stops before complete, whoever holds the lease next completes tk first.
func (l *lease) begin(ctx context.Context, now time.Time, tk tick) error {
	return l.update(ctx, now, "running_tick = ?, running_at = ?, ", tk.n, dbTime(tk.at))
}

// complete renews the lease and records tk as done.
func (l *lease) complete(ctx context.Context, now time.Time, tk tick) error {
	return l.update(ctx, now, "last_tick = ?, last_at = ?, running_tick = NULL, running_at = NULL, ", tk.n, dbTime(tk.at))
}

// release gives the lease up, so another scheduler takes the next tick at
// once instead of waiting for the lease to expire.
func (l *lease) release(ctx context.Context, now time.Time) error {
	res, err := l.db.NewRaw(`UPDATE gamekit_gift_schedules SET expires_at = ?, updated_at = ?
		WHERE name = ? AND holder = ? AND term = ?`,
		never, dbTime(now), l.name, l.holder, l.term).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errLeaseLost
	}
	return nil
}
