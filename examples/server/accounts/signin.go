package accounts

import (
	"context"
	"errors"
	"net/netip"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
)

// Authenticate checks a username and password and returns the user they
// belong to. ip is the client's address ("" when there is none, as for a
// command-line tool); it and the username are throttled: after too many
// failures within the window (Options), attempts for either are refused
// with a *gamekit.RateLimitError, even with the right password, until the
// window has passed.
//
// A wrong password and an unknown username both return ErrBadCredentials
// after the same bcrypt work, so neither the answer nor its timing tells
// which usernames exist. A password longer than MaxPasswordBytes never
// matches: bcrypt would compare only its first 72 bytes.
func (a *Accounts) Authenticate(ctx context.Context, username, password, ip string) (User, error) {
	keys := []throttleKey{{kind: "username", name: "user:" + username, limit: a.maxPerUser, window: a.window}}
	if ip != "" {
		keys = append(keys, throttleKey{kind: "address", name: "ip:" + addressKey(ip), limit: a.maxPerIP, window: a.window})
	}
	end, err := a.throttle.begin(ctx, keys...)
	if limited, ok := err.(*limitError); ok {
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
	return u, err
}

func (a *Accounts) checkPassword(ctx context.Context, username, password string) (User, error) {
	row, err := a.userRow(ctx, "u.username = ?", username)
	found := err == nil
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return User{}, err
	}
	hash := a.dummyHash
	if found {
		hash = []byte(row.PasswordHash)
	}
	match := compareHashAndPassword(hash, []byte(password)) == nil
	if !found || !match || len(password) > MaxPasswordBytes {
		return User{}, ErrBadCredentials
	}
	return row.user(), nil
}

// compareHashAndPassword is bcrypt's, as a variable so a test can count
// that every sign-in pays for exactly one comparison.
var compareHashAndPassword = bcrypt.CompareHashAndPassword

// addressKey is the throttling key of a client address: the address itself,
// except that an IPv6 address counts by its /64 prefix, since one client is
// usually given a whole /64 and could otherwise try from a new address each
// time. Anything that is not an IP address is used as it is.
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}
