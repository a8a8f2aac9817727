package fsm

import (
	"fmt"

	"github.com/gamekit/gamekit"
)

// The reasons a transition cannot fire. A *TransitionError wraps one of them,
// so errors.Is tells them apart, and each wraps a gamekit kind, so the HTTP
// layer answers 404 for a transition that does not exist and 409 for one
// that the object's state or data refuse.
var (
	ErrUnknownTransition = gamekit.Errorf(gamekit.ErrNotFound, "fsm: unknown transition")
	ErrNotAllowed        = gamekit.Errorf(gamekit.ErrConflict, "fsm: transition not allowed from this state")
	ErrGuardFailed       = gamekit.Errorf(gamekit.ErrConflict, "fsm: guard failed")
)

// ErrDefinition is wrapped by every error from New. It is of kind
// gamekit.ErrInvalid, though it means a programming error: a host should
// fail at start-up, not answer a request with it.
var ErrDefinition = gamekit.Errorf(gamekit.ErrInvalid, "fsm: invalid definition")

// TransitionError says which transition could not fire, from which state,
// and why, so a caller can tell a player "you need a key" rather than
// "conflict". Err is ErrUnknownTransition, ErrNotAllowed, ErrGuardFailed, or
// the error the transition's action returned.
type TransitionError[S comparable] struct {
	Transition string
	State      S      // the object's state, unchanged by the failed attempt
	Guard      string // the guard that failed, when Err is ErrGuardFailed
	Err        error

	stateName string // State named by Definition.StateName
}

// Error says which transition failed, from which state, and why.
func (e *TransitionError[S]) Error() string {
	switch e.Err {
	case ErrUnknownTransition:
		return fmt.Sprintf("fsm: unknown transition %q", e.Transition)
	case ErrNotAllowed:
		return fmt.Sprintf("fsm: transition %q not allowed from %s", e.Transition, e.stateName)
	case ErrGuardFailed:
		return fmt.Sprintf("fsm: transition %q from %s: guard %q failed", e.Transition, e.stateName, e.Guard)
	}
	return fmt.Sprintf("fsm: transition %q from %s: %v", e.Transition, e.stateName, e.Err)
}

// Unwrap returns Err, so errors.Is sees the reason and its gamekit kind.
func (e *TransitionError[S]) Unwrap() error { return e.Err }
