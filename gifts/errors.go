package gifts

import (
	"errors"

	"github.com/gamekit/gamekit"
)

// Errors of the gifts package. Both are of kind gamekit.ErrConflict: the
// scheduler is not in a state where Start makes sense.
var (
	// ErrStarted is returned by Start on a scheduler already running.
	ErrStarted = gamekit.Errorf(gamekit.ErrConflict, "gifts: scheduler already started")
	// ErrStopped is returned by Start on a scheduler that was stopped: a
	// scheduler runs once; a host that wants to run again makes a new one.
	ErrStopped = gamekit.Errorf(gamekit.ErrConflict, "gifts: scheduler stopped")
)

// errLeaseLost stops a tick whose scheduler found, when it renewed or
// recorded progress, that another scheduler had taken the lease. It is
// logged, never returned: the new holder completes the tick.
var errLeaseLost = errors.New("gifts: lease taken by another scheduler")
