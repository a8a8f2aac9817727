package gifts

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// The lease is the schedule's row in gamekit_gift_schedules: who may run
// ticks (holder, until lease_until, in term) and how far they got (last_at,
// running_tick). Every change is one statement, a conditional UPDATE,
// atomic on both databases, so no transaction spans a grant and none
// needs retrying: a statement that loses a race changes no row, and says
// so.
//
// The lease is dated by the database's clock alone (dbNow), in Unix
// milliseconds: a scheduler never compares its own clock with a time
// another wrote, so clocks that disagree cannot give two holders. A
// scheduler's own clock numbers ticks and measures how long it waits.
//
// Beside it, each scheduler keeps a heartbeat row in
// gamekit_gift_schedulers, so a scheduler that starts can tell whether
// any was alive meanwhile (a failover: every tick is granted) or none (an
// outage: the catch-up policy applies).
//
// Times of ticks (last_at, running_at, outage_*, seen_at) are the
// schedulers' clocks, written by bun as UTC text on SQLite, which compares
// in time order as long as every writer uses the same format (all writers
// are this code), and as timestamptz on PostgreSQL.

// scheduleRow is what a scheduler reads back from its schedule's row.
type scheduleRow struct {
	Holder      string     `bun:"holder"`
	Term        int64      `bun:"term"`
	LeaseUntil  int64      `bun:"lease_until"` // the database's Unix ms
	DBNow       int64      `bun:"db_now"`      // the database's Unix ms when it answered
	LastAt      time.Time  `bun:"last_at"`
	RunningTick *int64     `bun:"running_tick"`
	RunningAt   *time.Time `bun:"running_at"`
	OutageFrom  *time.Time `bun:"outage_from"`
	OutageTo    *time.Time `bun:"outage_to"`
}

// outage returns the row's outage, or none.
func (r scheduleRow) outage() outage {
	if r.OutageFrom == nil || r.OutageTo == nil {
		return outage{}
	}
	return outage{from: r.OutageFrom.UTC(), to: r.OutageTo.UTC()}
}

// leaseLeft is how long the lease has left by the database's clock, which
// the scheduler may wait by its own.
func (r scheduleRow) leaseLeft() time.Duration {
	return time.Duration(max(r.LeaseUntil-r.DBNow, 0)) * time.Millisecond
}

const rowColumns = `holder, term, lease_until, last_at, running_tick, running_at, outage_from, outage_to`

// dbTime is t as stored: UTC, to the microsecond (PostgreSQL's precision).
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// dbNow is the database's clock in Unix milliseconds, the same for the
// whole statement on both databases.
func dbNow(db *bun.DB) string {
	if db.Dialect().Name() == dialect.PG {
		return `(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`
}

// lease is one scheduler's view of its schedule's row and its heartbeat.
type lease struct {
	db     *bun.DB
	now    string // dbNow(db)
	name   string
	holder string
	ttl    time.Duration
	term   int64 // the term this scheduler holds, valid while held
}

func newLease(db *bun.DB, name, holder string, ttl time.Duration) lease {
	return lease{db: db, now: dbNow(db), name: name, holder: holder, ttl: ttl}
}

// until is the SQL for the database's time plus the lease.
func (l *lease) until() string {
	return "(" + l.now + " + " + strconv.FormatInt(l.ttl.Milliseconds(), 10) + ")"
}

// create makes the schedule's row if it is not there yet, with no holder
// and no tick before now: a new schedule's first tick is the first after
// its first Start.
func (l *lease) create(ctx context.Context, now time.Time) error {
	_, err := l.db.NewRaw(`INSERT INTO gamekit_gift_schedules
		(name, holder, term, lease_until, last_at, updated_at)
		VALUES (?, '', 0, 0, ?, ?)
		ON CONFLICT (name) DO NOTHING`,
		l.name, dbTime(now), dbTime(now)).Exec(ctx)
	return err
}

// acquire takes the lease, or renews it, when this scheduler holds it or
// it has expired by the database's clock, and returns the row. held is
// false when another scheduler holds it; row then says who and for how
// long.
func (l *lease) acquire(ctx context.Context, now time.Time) (row scheduleRow, held bool, err error) {
	err = l.db.NewRaw(`UPDATE gamekit_gift_schedules
		SET term = CASE WHEN holder = ? THEN term ELSE term + 1 END,
			holder = ?, lease_until = `+l.until()+`, updated_at = ?
		WHERE name = ? AND (holder = ? OR lease_until <= `+l.now+`)
		RETURNING `+rowColumns+`, `+l.now+` AS db_now`,
		l.holder, l.holder, dbTime(now), l.name, l.holder).
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
	err = l.db.NewRaw(`SELECT `+rowColumns+`, `+l.now+` AS db_now
		FROM gamekit_gift_schedules WHERE name = ?`, l.name).Scan(ctx, &row)
	return row, err
}

// update runs an UPDATE of the row's other columns (set, with args) that
// also renews the lease for its duration from the database's now, on the
// condition that this scheduler still holds it in its term; it reports
// errLeaseLost otherwise.
func (l *lease) update(ctx context.Context, now time.Time, set string, args ...any) error {
	args = append(args, dbTime(now), l.name, l.holder, l.term)
	res, err := l.db.NewRaw(`UPDATE gamekit_gift_schedules SET `+set+`lease_until = `+l.until()+`, updated_at = ?
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
	res, err := l.db.NewRaw(`UPDATE gamekit_gift_schedules SET lease_until = 0, updated_at = ?
		WHERE name = ? AND holder = ? AND term = ?`,
		dbTime(now), l.name, l.holder, l.term).Exec(ctx)
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

// beat records that this scheduler is alive at now, for a lease's
// duration by the database's clock.
func (l *lease) beat(ctx context.Context, now time.Time) error {
	_, err := l.db.NewRaw(`INSERT INTO gamekit_gift_schedulers (schedule, holder, alive_until, seen_at)
		VALUES (?, ?, `+l.until()+`, ?)
		ON CONFLICT (schedule, holder) DO UPDATE SET alive_until = EXCLUDED.alive_until, seen_at = EXCLUDED.seen_at`,
		l.name, l.holder, dbTime(now)).Exec(ctx)
	return err
}

// leave records that this scheduler stopped at now: it counts as alive no
// longer.
func (l *lease) leave(ctx context.Context, now time.Time) error {
	_, err := l.db.NewRaw(`UPDATE gamekit_gift_schedulers SET alive_until = 0, seen_at = ?
		WHERE schedule = ? AND holder = ?`, dbTime(now), l.name, l.holder).Exec(ctx)
	return err
}

// lastSeen reports whether a scheduler other than this one is alive now
// by the database's clock — its heartbeat or its lease unexpired — (self
// counts this scheduler's own row too, left by a former run of it with
// the same Holder) and, if none is, the last sign of life of any: the
// latest heartbeat, nil if there is none.
func (l *lease) lastSeen(ctx context.Context, self bool) (alive bool, seen *time.Time, err error) {
	other, args := " AND holder <> ?", []any{l.name, l.holder, l.name, l.holder, l.name}
	if self {
		other, args = "", []any{l.name, l.name, l.name}
	}
	var r struct {
		Alive int64      `bun:"alive"`
		Seen  *time.Time `bun:"seen"`
	}
	err = l.db.NewRaw(`SELECT
		(SELECT COUNT(*) FROM gamekit_gift_schedulers
			WHERE schedule = ? AND alive_until > `+l.now+other+`)
		+ (SELECT COUNT(*) FROM gamekit_gift_schedules
			WHERE name = ? AND lease_until > `+l.now+other+`) AS alive,
		(SELECT seen_at FROM gamekit_gift_schedulers WHERE schedule = ?
			ORDER BY seen_at DESC LIMIT 1) AS seen`, args...).Scan(ctx, &r)
	return r.Alive > 0, r.Seen, err
}

// outage records that no scheduler ran from from (nil: since the last
// tick done) to to. An outage still ahead of the last tick done, which no
// scheduler has granted past yet, grows to include the new one: the time
// between them had schedulers alive yet granting nothing, and is taken as
// down too rather than granted all at once.
func (l *lease) outage(ctx context.Context, from *time.Time, to time.Time) error {
	var f any
	if from != nil {
		f = dbTime(*from)
	}
	_, err := l.db.NewRaw(`UPDATE gamekit_gift_schedules SET
		outage_from = CASE WHEN outage_to IS NOT NULL AND outage_to > last_at AND outage_from IS NOT NULL
			THEN outage_from ELSE COALESCE(?, last_at) END,
		outage_to = ?
		WHERE name = ?`, f, dbTime(to), l.name).Exec(ctx)
	return err
}

// sweep deletes the heartbeats of schedulers that are no longer alive:
// this one is, so its own heartbeat will be the later sign of life.
func (l *lease) sweep(ctx context.Context) error {
	_, err := l.db.NewRaw(`DELETE FROM gamekit_gift_schedulers
		WHERE schedule = ? AND holder <> ? AND alive_until <= `+l.now,
		l.name, l.holder).Exec(ctx)
	return err
}
