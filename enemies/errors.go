package enemies

import (
	"github.com/gamekit/gamekit"
)

// Errors of the enemies package; each is of one of gamekit's kinds, so the
// HTTP layer answers 404 for a monster that does not exist and 409 for a
// change that lost to another one.
//
// A transition the monster's state or data refuse is an
// *fsm.TransitionError[State] instead, wrapping fsm.ErrNotAllowed or
// fsm.ErrGuardFailed (both of kind gamekit.ErrConflict), or
// fsm.ErrUnknownTransition (gamekit.ErrNotFound).
var (
	ErrMonsterNotFound = gamekit.Errorf(gamekit.ErrNotFound, "enemies: monster not found")

	// ErrConcurrentChange means the monster changed between the moment a
	// store read it and the moment it wrote it back: another transition
	// or health change won. The losing change is not saved; reading the
	// monster again shows what happened, and the caller may try again.
	ErrConcurrentChange = gamekit.Errorf(gamekit.ErrConflict, "enemies: monster changed concurrently")
)

// concurrentError is ErrConcurrentChange with the change that lost, so the
// 409 a client sees names the transition and the state it was tried from.
type concurrentError struct {
	op string // `transition "evade" from attacking`, "health change"
}

func (e *concurrentError) Error() string {
	return "enemies: " + e.op + ": the monster changed concurrently; read it again and retry"
}

// Unwrap makes errors.Is(err, ErrConcurrentChange) and
// errors.Is(err, gamekit.ErrConflict) true.
func (e *concurrentError) Unwrap() error { return ErrConcurrentChange }
