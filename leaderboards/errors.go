package leaderboards

import (
	"fmt"

	"github.com/gamekit/gamekit"
)

// Errors of the leaderboards package; each is of one of gamekit's kinds, so
// the HTTP layer answers 404 for a board or record that does not exist,
// 403 for a player writing where only the server may, and 409 for a board
// created twice. The errors a store returns name the board
// ("leaderboards: board weekly not found") and wrap these, so errors.Is
// works with both.
//
// Refused input (a bad id, a score out of range, metadata that is not a
// JSON object) is an *gamekit.InvalidError naming the field.
var (
	// ErrBoardNotFound means no board has the id asked for.
	ErrBoardNotFound = gamekit.Errorf(gamekit.ErrNotFound, "leaderboards: board not found")

	// ErrRecordNotFound means the user has no record on the board in the
	// period asked for: they have not submitted a score in it.
	ErrRecordNotFound = gamekit.Errorf(gamekit.ErrNotFound, "leaderboards: record not found")

	// ErrBoardExists means a board with the id exists already.
	ErrBoardExists = gamekit.Errorf(gamekit.ErrConflict, "leaderboards: board exists")

	// ErrServerOnly means a player submitted to a board only the server
	// writes (one not ClientWritable), or for another user.
	ErrServerOnly = gamekit.Errorf(gamekit.ErrForbidden, "leaderboards: only the server writes this record")

	// ErrBoardChanging means a submit kept finding the board changed
	// (its schedule, operator or reset) between reading and writing; the
	// caller may try again.
	ErrBoardChanging = gamekit.Errorf(gamekit.ErrConflict, "leaderboards: board changed concurrently")
)

// boardError names the board an error is about.
type boardError struct {
	board string
	text  string
	err   error
}

func (e *boardError) Error() string { return fmt.Sprintf("leaderboards: board %s %s", e.board, e.text) }

// Unwrap makes errors.Is(err, ErrBoardNotFound) and
// errors.Is(err, gamekit.ErrNotFound) true, and so on.
func (e *boardError) Unwrap() error { return e.err }

func boardNotFound(id string) error {
	return &boardError{board: id, text: "not found", err: ErrBoardNotFound}
}

func boardExists(id string) error {
	return &boardError{board: id, text: "exists already", err: ErrBoardExists}
}

func recordNotFound(board string, user int64) error {
	return &boardError{board: board, text: fmt.Sprintf("has no record of user %d in this period", user), err: ErrRecordNotFound}
}

func boardChanging(id string) error {
	return &boardError{board: id, text: "kept changing during a submit; try again", err: ErrBoardChanging}
}
