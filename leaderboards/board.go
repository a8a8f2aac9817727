package leaderboards

import (
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// Order says which scores rank first on a board.
type Order string

// The orders of a board.
const (
	// HigherFirst ranks the highest score first: points, kills. It is the
	// default.
	HigherFirst Order = "desc"
	// LowerFirst ranks the lowest score first: lap times, moves to solve.
	LowerFirst Order = "asc"
)

// Operator says what a submitted score does to the record a user has in
// the current period.
type Operator string

// The operators of a board.
const (
	// Best keeps the better of the record and the new score (the better
	// subscore breaks an equal score); a submit that is no better changes
	// nothing, not even the record's time. It is the default.
	Best Operator = "best"
	// Set replaces the record with the new score.
	Set Operator = "set"
	// Incr adds the new score, and subscore, to the record's: a count of
	// wins, moves made today.
	Incr Operator = "incr"
)

// MaxScore is the largest magnitude a score or subscore may have, and an
// Incr may reach: 2⁵³−1, the largest integer a JavaScript client reads
// exactly, and far enough from int64's bounds that no sum overflows in
// the database.
const MaxScore int64 = 1<<53 - 1

// MaxMetadataBytes is the most JSON a record's metadata may hold.
const MaxMetadataBytes = 2048

// boardID is what a board's id may be: a slug, so it can stand in a URL
// and a channel name as it is.
var boardID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Board is a leaderboard: how it ranks, what a new score does, and when
// it starts a new period. The JSON is
// {"id":"weekly","order":"desc","operator":"best","reset":"@weekly",
// "client_writable":false,"created_at":"..."}.
type Board struct {
	bun.BaseModel `bun:"table:gamekit_leaderboards,alias:board" json:"-"`

	// ID names the board: 1 to 64 of a-z, 0-9, "_" and "-", beginning
	// with a letter or digit ("weekly", "moves-today").
	ID string `bun:"id,pk" json:"id"`
	// Order is HigherFirst (the default) or LowerFirst. It cannot change
	// once the board exists: records are stored in the board's order.
	Order Order `bun:"sort_order" json:"order"`
	// Operator is Best (the default), Set or Incr.
	Operator Operator `bun:"operator" json:"operator"`
	// Reset is when a new period starts: "" never (one period, unless an
	// admin resets the board), "every D" for a Go duration of whole
	// seconds counted from the Unix epoch ("every 24h" resets at midnight
	// UTC), "@hourly", "@daily", "@weekly" (Sunday), "@monthly",
	// "@yearly", or five cron fields in UTC ("0 6 * * 1-5").
	Reset string `bun:"reset_schedule" json:"reset"`
	// ClientWritable lets players submit their own scores through the
	// HTTP API, each checked by the host's HandlerOptions.CheckSubmit.
	// Otherwise only the server (and an admin) writes the board.
	ClientWritable bool `bun:"client_writable" json:"client_writable"`
	// ResetAt is when an admin last reset the board by hand (Unix
	// seconds, 0 for never): the period that was current then ended.
	ResetAt int64 `bun:"reset_at" json:"-"`
	// Version changes with every change of the board, so a store that
	// caches boards finds out, in the statement that writes a record, that
	// its copy is stale.
	Version int64 `bun:"version" json:"-"`
	// CreatedAt is set by the store.
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// BoardChange is a change to a board: each field that is not nil.
// A board's Order cannot change.
type BoardChange struct {
	Operator       *Operator
	Reset          *string
	ClientWritable *bool
}

// Period is one period of a board: records are kept per period, and a
// board's records of past periods stay readable by their ID.
type Period struct {
	// ID numbers the period: the Unix second it began (0 for a board that
	// never reset). Pass it to read a past period.
	ID int64 `json:"id"`
	// Start is when it began; End when the next begins, or nil for a board
	// whose period ends only when an admin resets it.
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end"`
}

// period returns the period of b holding t.
func (b *Board) period(t time.Time) (Period, error) {
	sched, err := parseSchedule(b.Reset)
	if err != nil {
		return Period{}, err
	}
	start := sched.start(t).Unix()
	p := Period{ID: max(start, b.ResetAt)}
	p.Start = time.Unix(p.ID, 0).UTC()
	if next := sched.next(t); !next.IsZero() {
		p.End = &next
	}
	return p, nil
}

// sign is what a score is multiplied by to be stored: records are kept in
// ascending order of their stored key on every board, so one index serves
// both orders and every comparison is "less is better".
func (b *Board) sign() int64 {
	if b.Order == LowerFirst {
		return 1
	}
	return -1
}

// validate reports every problem with a board to be created, and fills in
// the defaults.
func (b *Board) validate() error {
	bad := &gamekit.InvalidError{}
	if !boardID.MatchString(b.ID) {
		bad.Add("id", "Enter a slug of 1 to 64 lowercase letters, digits, \"_\" or \"-\", beginning with a letter or digit.")
	}
	if b.Order == "" {
		b.Order = HigherFirst
	}
	if b.Order != HigherFirst && b.Order != LowerFirst {
		bad.Add("order", `"`+string(b.Order)+`" is not a valid choice: "desc" or "asc".`)
	}
	validOperator(bad, &b.Operator)
	validReset(bad, b.Reset)
	return bad.Err()
}

func validOperator(bad *gamekit.InvalidError, op *Operator) {
	if *op == "" {
		*op = Best
	}
	switch *op {
	case Best, Set, Incr:
	default:
		bad.Add("operator", `"`+string(*op)+`" is not a valid choice: "best", "set" or "incr".`)
	}
}

func validReset(bad *gamekit.InvalidError, reset string) {
	if len(reset) > 100 {
		bad.Add("reset", "Ensure this field has no more than 100 characters.")
	} else if _, err := parseSchedule(reset); err != nil {
		bad.Add("reset", "Invalid schedule "+err.Error()+".")
	}
}
