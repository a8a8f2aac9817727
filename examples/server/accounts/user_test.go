package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
)

const usernameChars = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *accounts.Options
		ok   bool
	}{
		{"nil", nil, true},
		{"cheapest bcrypt", &accounts.Options{BcryptCost: bcrypt.MinCost}, true},
		{"bcrypt below min", &accounts.Options{BcryptCost: bcrypt.MinCost - 1}, false},
		{"bcrypt above max", &accounts.Options{BcryptCost: bcrypt.MaxCost + 1}, false},
		{"negative lifetime", &accounts.Options{TokenLifetime: -time.Hour}, false},
		{"negative username limit", &accounts.Options{MaxFailuresPerUsername: -1}, false},
		{"negative ip limit", &accounts.Options{MaxFailuresPerIP: -1}, false},
		{"negative window", &accounts.Options{FailureWindow: -time.Second}, false},
		{"negative client limit", &accounts.Options{MaxFailuresPerClient: -1}, false},
		{"negative username window", &accounts.Options{UsernameFailureWindow: -time.Second}, false},
		{"negative known client lifetime", &accounts.Options{KnownClientLifetime: -time.Second}, false},
		{"negative registration limit", &accounts.Options{MaxRegistrationsPerIP: -1}, false},
		{"negative registration window", &accounts.Options{RegistrationWindow: -time.Second}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Validation happens before the database is touched.
			_, err := accounts.New(nil, tc.opts)
			if got := err == nil; got != tc.ok {
				t.Errorf("New: got ok=%v (%v), want ok=%v", got, err, tc.ok)
			}
		})
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.clock.Advance(1500 * time.Nanosecond) // beyond what PostgreSQL keeps
		alice, err := e.acc.CreateUser(ctx, "alice", "correct horse", false)
		if err != nil {
			t.Fatal(err)
		}
		want := accounts.User{ID: alice.ID, Username: "alice", CreatedAt: start.Add(time.Microsecond)}
		if !reflect.DeepEqual(alice, want) {
			t.Errorf("CreateUser: got %+v, want %+v", alice, want)
		}
		admin := e.mustUser(t, "admin", "correct horse", true)
		if !admin.Admin || admin.ID == alice.ID {
			t.Errorf("admin: got %+v, want an admin with an id of its own", admin)
		}
		for _, lookup := range []func() (accounts.User, error){
			func() (accounts.User, error) { return e.acc.User(ctx, alice.ID) },
			func() (accounts.User, error) { return e.acc.UserByUsername(ctx, "alice") },
		} {
			got, err := lookup()
			if err != nil || !reflect.DeepEqual(got, alice) {
				t.Errorf("lookup: got %+v, %v, want %+v", got, err, alice)
			}
		}
		if _, err := e.acc.User(ctx, alice.ID+100); !errors.Is(err, accounts.ErrUserNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("User(missing): got %v, want %v", err, accounts.ErrUserNotFound)
		}
		if _, err := e.acc.UserByUsername(ctx, "Alice"); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("UserByUsername(Alice): got %v, want %v (usernames are case-sensitive)", err, accounts.ErrUserNotFound)
		}
		if got, want := alice.Identity(), (gamekit.Identity{UserID: alice.ID, Username: "alice"}); got != want {
			t.Errorf("Identity: got %v, want %v", got, want)
		}

		// The password is stored as a bcrypt hash at the configured cost.
		var hash string
		if err := e.db.NewSelect().Table("gamekit_users").Column("password_hash").
			Where("id = ?", alice.ID).Scan(ctx, &hash); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(hash, "correct horse") {
			t.Errorf("stored password %q contains the password", hash)
		}
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
			t.Errorf("stored hash cost: got %v, %v, want %v", cost, err, bcrypt.MinCost)
		}
	})
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	const good = "correct horse"
	for _, tc := range []struct {
		name               string
		username, password string
		want               map[string][]string // nil: accepted
	}{
		{"plain", "alice", good, nil},
		{"one character", "a", good, nil},
		{"email-like", "user@example.com", good, nil},
		{"every symbol", "a.b+c-d_e@f", good, nil},
		{"digits only", "007", good, nil},
		{"letters of other scripts", "Zoë张伟", good, nil},
		{"150 characters", strings.Repeat("é", 150), good, nil},
		{"blank username", "", good, map[string][]string{"username": {"This field may not be blank."}}},
		{"151 characters", strings.Repeat("a", 151), good,
			map[string][]string{"username": {"Ensure this field has no more than 150 characters."}}},
		{"space", "has space", good, map[string][]string{"username": {usernameChars}}},
		{"semicolon", "semi;colon", good, map[string][]string{"username": {usernameChars}}},
		{"slash", "a/b", good, map[string][]string{"username": {usernameChars}}},
		{"emoji", "cat😀", good, map[string][]string{"username": {usernameChars}}},
		{"not UTF-8", "bad\xff", good, map[string][]string{"username": {usernameChars}}},

		{"8 characters", "p8", "passw0rd", nil},
		{"72 bytes", "p72", strings.Repeat("a", 72), nil},
		{"72 bytes of 2-byte letters", "p72e", strings.Repeat("é", 36), nil},
		{"blank password", "pblank", "", map[string][]string{"password": {"This field may not be blank."}}},
		{"7 characters", "p7", "abcdefg",
			map[string][]string{"password": {"This password is too short. It must contain at least 8 characters."}}},
		{"numeric", "pnum", "12345678", map[string][]string{"password": {"This password is entirely numeric."}}},
		{"short and numeric", "pboth", "1234", map[string][]string{"password": {
			"This password is too short. It must contain at least 8 characters.",
			"This password is entirely numeric."}}},
		{"73 bytes", "p73", strings.Repeat("a", 73), map[string][]string{"password": {
			"This password is too long. It must be at most 72 bytes (73 here; letters outside ASCII take 2 to 4 bytes each)."}}},
		{"37 letters of 2 bytes", "p74", strings.Repeat("é", 37), map[string][]string{"password": {
			"This password is too long. It must be at most 72 bytes (74 here; letters outside ASCII take 2 to 4 bytes each)."}}},
		{"both bad", "", "1", map[string][]string{
			"username": {"This field may not be blank."},
			"password": {
				"This password is too short. It must contain at least 8 characters.",
				"This password is entirely numeric."}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, nil, func(t *testing.T, e *env) {
				ctx := context.Background()
				u, err := e.acc.CreateUser(ctx, tc.username, tc.password, false)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("CreateUser(%q, %q): got %v, want a user", tc.username, tc.password, err)
					}
					// An accepted password is the whole password.
					if _, err := e.acc.Authenticate(ctx, tc.username, tc.password, ""); err != nil {
						t.Errorf("Authenticate: got %v, want the user", err)
					}
					return
				}
				var invalid *gamekit.InvalidError
				if !errors.As(err, &invalid) {
					t.Fatalf("CreateUser(%q, %q): got %v (%v), want invalid input", tc.username, tc.password, u, err)
				}
				if !reflect.DeepEqual(invalid.Fields, tc.want) {
					t.Errorf("got %v, want %v", invalid.Fields, tc.want)
				}
				if n, _ := e.acc.CountUsers(ctx, accounts.ListOptions{}); n != 0 {
					t.Errorf("users stored: got %v, want 0", n)
				}
			})
		})
	}
}

func TestDuplicateUsername(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.mustUser(t, "alice", "correct horse", false)
		_, err := e.acc.CreateUser(ctx, "alice", "another password", true)
		var invalid *gamekit.InvalidError
		want := map[string][]string{"username": {"A user with that username already exists."}}
		if !errors.As(err, &invalid) || !reflect.DeepEqual(invalid.Fields, want) {
			t.Errorf("second alice: got %v, want %v", err, want)
		}
		// Case-sensitive, as in Django.
		if _, err := e.acc.CreateUser(ctx, "Alice", "another password", false); err != nil {
			t.Errorf("Alice: got %v, want a second user", err)
		}
		if n, _ := e.acc.CountUsers(ctx, accounts.ListOptions{}); n != 2 {
			t.Errorf("users: got %v, want 2", n)
		}
	})
}

func TestOnCreate(t *testing.T) {
	t.Parallel()
	errNoRoom := errors.New("no room for another player")
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		var called []accounts.User
		acc, err := accounts.New(e.db, &accounts.Options{
			BcryptCost: bcrypt.MinCost,
			Now:        e.clock.Now,
			OnCreate: func(ctx context.Context, tx bun.Tx, u accounts.User) error {
				called = append(called, u)
				// The host's own write in the same transaction: a token
				// row stands in for an inventory.
				if _, err := tx.ExecContext(ctx,
					"INSERT INTO gamekit_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
					fmt.Sprintf("%064d", u.ID), u.ID, start, start); err != nil {
					return err
				}
				if u.Username == "crowded" {
					return errNoRoom
				}
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		alice, err := acc.CreateUser(ctx, "alice", "correct horse", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(called) != 1 || called[0] != alice {
			t.Errorf("OnCreate saw %+v, want [%+v]", called, alice)
		}
		if _, err := acc.CreateUser(ctx, "crowded", "correct horse", false); !errors.Is(err, errNoRoom) {
			t.Errorf("failing OnCreate: got %v, want %v", err, errNoRoom)
		}
		if _, err := acc.UserByUsername(ctx, "crowded"); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("user of a failed OnCreate: got %v, want %v", err, accounts.ErrUserNotFound)
		}
		n, err := e.db.NewSelect().Table("gamekit_tokens").Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("rows written by OnCreate: got %v %v, want 1 (alice's only)", n, err)
		}
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		token := e.mustToken(t, alice.ID)
		if err := e.acc.SetPassword(ctx, alice.ID, "battery staple"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.acc.Authenticate(ctx, "alice", "correct horse", ""); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Errorf("old password: got %v, want %v", err, accounts.ErrBadCredentials)
		}
		if _, err := e.acc.Authenticate(ctx, "alice", "battery staple", ""); err != nil {
			t.Errorf("new password: got %v, want alice", err)
		}
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrInvalidToken) {
			t.Errorf("token issued before the change: got %v, want %v", err, accounts.ErrInvalidToken)
		}
		var invalid *gamekit.InvalidError
		if err := e.acc.SetPassword(ctx, alice.ID, "12345678"); !errors.As(err, &invalid) || len(invalid.Fields["password"]) != 1 {
			t.Errorf("numeric password: got %v, want a password error", err)
		}
		if err := e.acc.SetPassword(ctx, alice.ID+100, "battery staple"); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("missing user: got %v, want %v", err, accounts.ErrUserNotFound)
		}
	})
}

func TestSetAdminAndDeleteUser(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.mustUser(t, "alice", "correct horse", false)
		token := e.mustToken(t, alice.ID)
		if err := e.acc.SetAdmin(ctx, alice.ID, true); err != nil {
			t.Fatal(err)
		}
		if u, err := e.acc.UserByToken(ctx, token); err != nil || !u.Admin {
			t.Errorf("after SetAdmin(true): got %+v, %v, want an admin", u, err)
		}
		if err := e.acc.SetAdmin(ctx, alice.ID, false); err != nil {
			t.Fatal(err)
		}
		if u, err := e.acc.User(ctx, alice.ID); err != nil || u.Admin {
			t.Errorf("after SetAdmin(false): got %+v, %v, want no admin", u, err)
		}
		if err := e.acc.SetAdmin(ctx, alice.ID+100, true); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("SetAdmin(missing): got %v, want %v", err, accounts.ErrUserNotFound)
		}

		if err := e.acc.DeleteUser(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.acc.User(ctx, alice.ID); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("deleted user: got %v, want %v", err, accounts.ErrUserNotFound)
		}
		if _, err := e.acc.UserByToken(ctx, token); !errors.Is(err, accounts.ErrInvalidToken) {
			t.Errorf("deleted user's token: got %v, want %v", err, accounts.ErrInvalidToken)
		}
		if err := e.acc.DeleteUser(ctx, alice.ID); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("second delete: got %v, want %v", err, accounts.ErrUserNotFound)
		}
		// The name is free again, for a new user with a new id.
		again := e.mustUser(t, "alice", "correct horse", false)
		if again.ID == alice.ID {
			t.Errorf("new alice reuses id %d", alice.ID)
		}
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, name := range []string{"alice", "bob", "carol", "Alicia", "x_y", "xay"} {
			e.mustUser(t, name, "correct horse", false)
		}
		for _, tc := range []struct {
			opts  accounts.ListOptions
			want  string
			count int
		}{
			{accounts.ListOptions{}, "alice,bob,carol,Alicia,x_y,xay", 6},
			{accounts.ListOptions{Search: "ALI"}, "alice,Alicia", 2},
			{accounts.ListOptions{Search: "_"}, "x_y", 1}, // a wildcard in LIKE, literal here
			{accounts.ListOptions{Limit: 2, Offset: 1}, "bob,carol", 6},
			{accounts.ListOptions{Search: "nobody"}, "", 0},
			{accounts.ListOptions{Sort: "-id", Limit: 2}, "xay,x_y", 6},
			{accounts.ListOptions{Sort: "-username", Search: "o"}, "carol,bob", 2}, // no case or punctuation: the same in every collation
			{accounts.ListOptions{Sort: "-date_joined", Search: "a"}, "xay,Alicia,carol,alice", 4},
		} {
			users, err := e.acc.Users(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			names := make([]string, len(users))
			for i, u := range users {
				names[i] = u.Username
			}
			if got := strings.Join(names, ","); got != tc.want {
				t.Errorf("Users(%+v): got %v, want %v", tc.opts, got, tc.want)
			}
			if n, err := e.acc.CountUsers(ctx, tc.opts); err != nil || n != tc.count {
				t.Errorf("CountUsers(%+v): got %v %v, want %v", tc.opts, n, err, tc.count)
			}
		}
		if _, err := e.acc.Users(ctx, accounts.ListOptions{Sort: "password"}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("an unknown sort: got %v, want invalid input", err)
		}
	})
}
