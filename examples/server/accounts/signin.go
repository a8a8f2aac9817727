package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// Authenticate checks a username and password and returns the user they
// belong to. client is where the attempt comes from: rest.ClientKey of the
// request, or an address, which counts as rest.AddressKey does (an IPv6
// address by its /64); "" when there is none, as for a command-line tool. Failed attempts are throttled so
// that an attacker cannot lock a user out (see the package documentation,
// and Options for the limits); a throttled attempt is refused with a
// *gamekit.RateLimitError, even with the right password, and logged as a
// warning naming the username and the client:
//
//   - the username from this client has failed MaxFailuresPerClient times
//     within FailureWindow: the guesser is slowed, nobody else is;
//   - the username has failed MaxFailuresPerUsername times within
//     UsernameFailureWindow, from anywhere, and this client has not signed
//     in as the user within KnownClientLifetime;
//   - this client address has failed MaxFailuresPerIP times within
//     FailureWindow, for any usernames, and has not signed in as this user
//     within KnownClientLifetime.
//
// A wrong password and an unknown username both return ErrBadCredentials
// after the same bcrypt work, so neither the answer nor its timing tells
// which usernames exist. A password longer than MaxPasswordBytes never
// matches: bcrypt would compare only its first 72 bytes.
func (a *Accounts) Authenticate(ctx context.Context, username, password, client string) (User, error) {
	client = rest.AddressKey(client)
	known := a.known.has(username, client, a.now())
	userKey := throttleKey{kind: "username", name: "user:" + username,
		limit: a.maxPerUser, window: a.userWindow, countOnly: known}
	keys := []throttleKey{
		// Length-prefixed: neither part can fake the boundary.
		{kind: "client", name: fmt.Sprintf("pair:%d:%s:%s", len(client), client, username),
			limit: a.maxPerClient, window: a.window},
		userKey,
	}
	if client != "" {
		addressKey := a.addressKey(client)
		addressKey.countOnly = known
		keys = append(keys, addressKey)
	}
	end, err := a.throttle.begin(ctx, keys...)
	if limited, ok := err.(*limitError); ok {
		a.logger.WarnContext(ctx, "accounts: sign-in throttled", "username", username, "client", client,
			"limit", limited.key.kind, "retry_after", limited.retryAfter)
		return User{}, &gamekit.RateLimitError{RetryAfter: limited.retryAfter}
	}
	if err != nil {
		return User{}, wrap(err, "sign in")
	}
	var u User
	// Deferred, so the attempt ends even if the check panics. Only wrong
	// credentials count; a database error says nothing about the guess.
	defer func() { end(errors.Is(err, ErrBadCredentials)) }()
	u, err = a.checkPassword(ctx, username, password)
	if err != nil {
		return User{}, err
	}
	a.known.add(username, client, a.now())
	if known && a.throttle.check(userKey) != nil {
		a.logger.WarnContext(ctx, "accounts: throttled username signed in from a known client",
			"username", username, "client", client)
	}
	return u, nil
}

// addressKey is the limit of failed sign-ins from one client, for any
// usernames (Options.MaxFailuresPerIP).
func (a *Accounts) addressKey(client string) throttleKey {
	return throttleKey{kind: "address", name: "ip:" + client, limit: a.maxPerIP, window: a.window}
}

func (a *Accounts) checkPassword(ctx context.Context, username, password string) (User, error) {
	// A username no database column can hold (a NUL, invalid UTF-8) names
	// nobody: it is looked up nowhere, but costs the same bcrypt and counts
	// as the same failure as any other unknown name.
	var row userRow
	err := ErrUserNotFound
	if rest.CheckText("username", username) == nil {
		row, err = a.userRow(ctx, "u.username = ?", username)
	}
	found := err == nil
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return User{}, err
	}
	hash := a.dummyHash
	if found {
		hash = []byte(row.PasswordHash)
	}
	match := a.compare(hash, []byte(password)) == nil
	if !found || !match || len(password) > MaxPasswordBytes {
		return User{}, ErrBadCredentials
	}
	return row.user(), nil
}
