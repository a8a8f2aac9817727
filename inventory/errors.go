package inventory

import "github.com/gamekit/gamekit"

// Errors of the inventory package; each is of one of gamekit's kinds, so
// errors.Is(err, gamekit.ErrNotFound) holds for both not-found errors.
var (
	ErrItemNotFound      = gamekit.Errorf(gamekit.ErrNotFound, "inventory: item not found")
	ErrInventoryNotFound = gamekit.Errorf(gamekit.ErrNotFound, "inventory: inventory not found")
)
