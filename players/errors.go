package players

import (
	"fmt"

	"github.com/gamekit/gamekit"
)

// Errors of the players package; each is of one of gamekit's kinds, so the
// HTTP layer answers 404 for a player that does not exist, 403 for a move
// of another user's player and 409 for a move that kept losing to
// concurrent ones. The errors a store returns name the player
// ("players: player 7 not found") and wrap these, so errors.Is works with
// both.
//
// A move outside the rules is an *gamekit.InvalidError naming the fields
// the caller gave (dx and dy for Move, position_x and position_y for
// MoveTo), and a move over the rate limit wraps a
// *gamekit.RateLimitError saying when the player may move again.
var (
	// ErrPlayerNotFound means no player has the id asked for: it never
	// existed or was deleted.
	ErrPlayerNotFound = gamekit.Errorf(gamekit.ErrNotFound, "players: player not found")

	// ErrNotOwner means a user tried to move a player of another user's.
	ErrNotOwner = gamekit.Errorf(gamekit.ErrForbidden, "players: only its owner may move a player")

	// ErrConcurrentMove means a move was refused while the player changed,
	// and it was refused again on every one of a few tries, though the
	// player as read each time allowed it. Reading the player again shows
	// where it is; the caller may try again.
	ErrConcurrentMove = gamekit.Errorf(gamekit.ErrConflict, "players: player changed concurrently")
)

// playerError names the player an error is about.
type playerError struct {
	id   int64
	text string // "not found"
	err  error  // one of the errors above
}

func (e *playerError) Error() string { return fmt.Sprintf("players: player %d %s", e.id, e.text) }

// Unwrap makes errors.Is(err, ErrPlayerNotFound) and
// errors.Is(err, gamekit.ErrNotFound) true, and so on.
func (e *playerError) Unwrap() error { return e.err }

func notFoundError(id int64) error {
	return &playerError{id: id, text: "not found", err: ErrPlayerNotFound}
}

func notOwnerError(id int64) error {
	return &playerError{id: id, text: "belongs to another user: only its owner may move it", err: ErrNotOwner}
}

func concurrentError(id int64) error {
	return &playerError{id: id, text: "kept changing concurrently; read it again and retry", err: ErrConcurrentMove}
}

// rateError wraps the *gamekit.RateLimitError of a move over the limit
// with a message that names the player and the limit.
type rateError struct {
	id    int64
	rate  int
	limit *gamekit.RateLimitError
}

func (e *rateError) Error() string {
	return fmt.Sprintf("players: player %d moved %d times this second, the most allowed; retry in %s",
		e.id, e.rate, e.limit.RetryAfter)
}

// Unwrap makes errors.As(err, new(*gamekit.RateLimitError)) and
// errors.Is(err, gamekit.ErrRateLimited) true.
func (e *rateError) Unwrap() error { return e.limit }
