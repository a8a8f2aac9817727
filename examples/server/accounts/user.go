package accounts

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// Limits on usernames and passwords, as Django's defaults set them, except
// MaxPasswordBytes, which is bcrypt's.
const (
	// MaxUsernameLength is the longest username, in characters.
	MaxUsernameLength = 150
	// MinPasswordLength is the shortest password, in characters.
	MinPasswordLength = 8
	// MaxPasswordBytes is the longest password in bytes of UTF-8: bcrypt
	// ignores everything after the 72nd byte, so a longer password is
	// refused rather than silently shortened (its tail would protect
	// nothing, and the user would not know).
	MaxPasswordBytes = 72
)

// User is an account as callers see it. The password hash stays inside the
// package: nothing outside needs it, and what is never returned cannot leak
// into a log line or a JSON response.
type User struct {
	ID       int64
	Username string
	// Admin users may do what the API and the admin pages reserve for
	// staff; it becomes gamekit.Identity.Admin.
	Admin     bool
	CreatedAt time.Time
}

// Identity is who u is to gamekit's packages.
func (u User) Identity() gamekit.Identity {
	return gamekit.Identity{UserID: u.ID, Username: u.Username, Admin: u.Admin}
}

// userRow is a user as stored.
type userRow struct {
	bun.BaseModel `bun:"table:gamekit_users,alias:u"`

	ID           int64 `bun:",pk,autoincrement"`
	Username     string
	PasswordHash string
	Admin        bool
	CreatedAt    time.Time
}

func (r *userRow) user() User {
	return User{ID: r.ID, Username: r.Username, Admin: r.Admin, CreatedAt: r.CreatedAt.UTC()}
}

// validUsername applies Django's rules: 1 to 150 letters, digits and
// @ . + - _ (letters and digits in any script, as Django's default
// UnicodeUsernameValidator allows). Usernames are compared exactly as
// written, so "alice" and "Alice" are two users.
func validUsername(bad *gamekit.InvalidError, username string) {
	switch {
	case username == "":
		bad.Add("username", "This field may not be blank.")
	case !utf8.ValidString(username):
		bad.Add("username", usernameChars)
	case utf8.RuneCountInString(username) > MaxUsernameLength:
		bad.Add("username", fmt.Sprintf("Ensure this field has no more than %d characters.", MaxUsernameLength))
	case strings.IndexFunc(username, notUsernameRune) >= 0:
		bad.Add("username", usernameChars)
	}
}

const usernameChars = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."

func notUsernameRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("@.+-_", r)
}

// validPassword applies Django's length and numeric rules and bcrypt's
// byte limit.
func validPassword(bad *gamekit.InvalidError, password string) {
	switch {
	case password == "":
		bad.Add("password", "This field may not be blank.")
		return
	case len(password) > MaxPasswordBytes:
		bad.Add("password", fmt.Sprintf(
			"This password is too long. It must be at most %d bytes (%d here; letters outside ASCII take 2 to 4 bytes each).",
			MaxPasswordBytes, len(password)))
		return
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		bad.Add("password", fmt.Sprintf(
			"This password is too short. It must contain at least %d characters.", MinPasswordLength))
	}
	if strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		bad.Add("password", "This password is entirely numeric.")
	}
}
