package players

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// MaxUsernameLength is the longest username a player row keeps, in
// characters: Django's, so a host migrating from the tutorial fits.
const MaxUsernameLength = 150

// Player is a user's character in the game world: who owns it and where it
// is. A user may own several. The JSON is the tutorial's:
// {"id":1,"user":1,"position_x":0,"position_y":0}.
type Player struct {
	bun.BaseModel `bun:"table:gamekit_players,alias:player" json:"-"`

	ID int64 `bun:",pk,autoincrement" json:"id"`
	// UserID is the host's user who owns the player and alone may move it.
	// gamekit does not own users, so no foreign key checks it.
	UserID int64 `bun:"user_id" json:"user"`
	// Username is the owner's username, set by the host, so the admin can
	// find players by it (ListOptions.Search). The API does not show it.
	Username string `bun:"username" json:"-"`
	// X and Y are the position, each within the store's bounds.
	X float64 `bun:"position_x" json:"position_x"`
	Y float64 `bun:"position_y" json:"position_y"`

	// WindowStart and WindowMoves are the state of the player's rate limit,
	// kept in its row so that every server process enforces the same limit:
	// the start of its current one-second window in Unix milliseconds (0
	// before the first move) and the moves made in it. Only moves change
	// them; CreatePlayer starts them at 0 whatever they hold.
	WindowStart int64 `bun:"window_start" json:"-"`
	WindowMoves int   `bun:"window_moves" json:"-"`
}

// Position is the Data of an EventUpdated: only what a move changes, as
// SwampDragon published only a model's published fields, so that a
// position costs every subscriber a few bytes.
type Position struct {
	ID int64   `json:"id"`
	X  float64 `json:"position_x"`
	Y  float64 `json:"position_y"`
}

// position is what p publishes when it moves.
func (p Player) position() Position { return Position{ID: p.ID, X: p.X, Y: p.Y} }

// validate reports every problem with a player to be created.
func (p *Player) validate(bound float64) error {
	bad := &gamekit.InvalidError{}
	if p.UserID < 1 {
		bad.Add("user", "Ensure this value is greater than or equal to 1.")
	}
	switch {
	case utf8.RuneCountInString(p.Username) > MaxUsernameLength:
		bad.Add("username", "Ensure this field has no more than 150 characters.")
	case !utf8.ValidString(p.Username):
		bad.Add("username", "Enter valid UTF-8 text.")
	case strings.ContainsRune(p.Username, 0):
		// PostgreSQL cannot store NUL in text.
		bad.Add("username", "Null characters are not allowed.")
	}
	validPosition(bad, "position_x", p.X, bound)
	validPosition(bad, "position_y", p.Y, bound)
	return bad.Err()
}

// validPosition checks that a coordinate is a number within ±bound.
func validPosition(bad *gamekit.InvalidError, field string, v, bound float64) {
	switch {
	case !finite(v):
		bad.Add(field, "A valid finite number is required.")
	case v < -bound || v > bound:
		bad.Add(field, "Ensure this value is between "+num(-bound)+" and "+num(bound)+".")
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// num writes v as briefly as it reads back: 1, 1.5, 1000.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
