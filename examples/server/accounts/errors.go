package accounts

import "github.com/gamekit/gamekit"

// Errors of the accounts package, each of one of gamekit's kinds so the
// HTTP layer (rest.WriteError) picks the status.
//
// The unauthenticated and forbidden ones carry no "accounts:" prefix, unlike
// other gamekit errors, because their text is what a client reads as the
// "detail" of a 401 or 403: the wording is Django REST framework's where it
// has one, so a client written for the tutorial sees what it expects.
var (
	// ErrUserNotFound is of kind gamekit.ErrNotFound.
	ErrUserNotFound = gamekit.Errorf(gamekit.ErrNotFound, "accounts: user not found")

	// ErrBadCredentials answers a wrong password and an unknown username
	// alike, so a caller cannot tell which usernames exist.
	ErrBadCredentials = gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid username/password.")

	// ErrInvalidToken is a token that was never issued or has been revoked.
	ErrInvalidToken = gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid token.")

	// ErrTokenExpired is a token past its expiry; it has been deleted, and
	// the client must sign in again.
	ErrTokenExpired = gamekit.Errorf(gamekit.ErrUnauthenticated, "Token has expired.")

	// ErrRegistrationDisabled is of kind gamekit.ErrForbidden: the host
	// turned registration off (Options.DisableRegistration), and retrying
	// will not help.
	ErrRegistrationDisabled = gamekit.Errorf(gamekit.ErrForbidden, "Registration is disabled on this server.")
)
