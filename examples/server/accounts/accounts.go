package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage"
)

// The defaults of Options, exported so a host can print them in its help
// text or build its own values from them.
const (
	DefaultTokenLifetime          = 30 * 24 * time.Hour
	DefaultMaxFailuresPerClient   = 5
	DefaultFailureWindow          = time.Minute
	DefaultMaxFailuresPerUsername = 10
	DefaultUsernameFailureWindow  = 15 * time.Minute
	DefaultMaxFailuresPerIP       = 100
	DefaultKnownClientLifetime    = 30 * 24 * time.Hour
	DefaultMaxRegistrationsPerIP  = 5
	DefaultRegistrationWindow     = time.Hour
)

// Options configure Accounts; nil means every default.
type Options struct {
	// TokenLifetime is how long an issued token is accepted. Defaults to
	// 30 days.
	TokenLifetime time.Duration

	// BcryptCost is the work factor of new password hashes, between
	// bcrypt.MinCost and bcrypt.MaxCost. Defaults to bcrypt.DefaultCost;
	// tests use bcrypt.MinCost to stay fast. Hashes made at another cost
	// keep working.
	BcryptCost int

	// DisableRegistration turns POST /auth/register/ away with 403, for a
	// server whose users are created by an admin. Defaults to false:
	// anyone may register. CreateUser works either way.
	DisableRegistration bool

	// Sign-in throttling (see Authenticate). A client is a client address,
	// where an IPv6 address counts by its /64, which one client usually
	// holds whole.

	// MaxFailuresPerClient is how many failed sign-ins for one username
	// from one client are allowed within FailureWindow; further attempts
	// for that username from that client are refused, right password or
	// not, while the user signing in from elsewhere is not. Defaults to 5.
	MaxFailuresPerClient int
	// FailureWindow is the sliding window MaxFailuresPerClient and
	// MaxFailuresPerIP count failures in. Defaults to one minute.
	FailureWindow time.Duration
	// MaxFailuresPerUsername is how many failed sign-ins for one username,
	// from any clients, are allowed within UsernameFailureWindow; past it,
	// attempts for the username are refused from every client that has
	// not signed in as the user within KnownClientLifetime, which slows
	// guesses spread over many addresses while the user's own devices
	// still get in. Defaults to 10.
	MaxFailuresPerUsername int
	// UsernameFailureWindow is the sliding window MaxFailuresPerUsername
	// counts in, longer than FailureWindow: a slower backoff. Defaults to
	// 15 minutes.
	UsernameFailureWindow time.Duration
	// MaxFailuresPerIP is how many failed sign-ins from one client
	// address, for any usernames, are allowed within FailureWindow; past
	// it, attempts from the address are refused for usernames that have
	// not signed in from it within KnownClientLifetime, and registration
	// from it is refused. Successes never count, so everyone behind one
	// NAT shares only the failures; the default is generous for that.
	// Defaults to 100.
	MaxFailuresPerIP int
	// KnownClientLifetime is how long a correct password from a client
	// makes it known for that username, from the latest such sign-in (the
	// 16 most recent clients of each username are remembered, in memory).
	// Defaults to 30 days.
	KnownClientLifetime time.Duration

	// MaxRegistrationsPerIP is how many registrations (POST
	// /auth/register/) one client address may try within
	// RegistrationWindow, all at once if it likes; further ones are
	// answered 429 with Retry-After. Each stored user and each username
	// found taken counts; input refused as invalid does not. Defaults to 5.
	MaxRegistrationsPerIP int
	// RegistrationWindow is the sliding window MaxRegistrationsPerIP
	// counts in. Defaults to one hour.
	RegistrationWindow time.Duration

	// Logger receives a warning for every throttled sign-in or
	// registration, naming the username and the client, and for a known
	// client let through a throttled username. Defaults to
	// slog.Default().
	Logger *slog.Logger

	// CredentialCacheTTL is how long a verified token or password is
	// trusted without the database: a signed-in request then costs a map
	// lookup. Changes made through this Accounts (revocation, sign-out,
	// password, admin rights, deletion) apply from the next request; made
	// by another process, within this long. Defaults to
	// DefaultCredentialCacheTTL (5s); a negative duration checks every
	// request against the database.
	CredentialCacheTTL time.Duration

	// Now is the clock for token expiry, creation times and throttling.
	// Defaults to time.Now; tests pass a clock they move by hand.
	Now func() time.Time

	// OnCreate, when set, is called by CreateUser inside the transaction
	// that inserts the user, so the host can create what every user has
	// (an inventory, a player) atomically: if OnCreate returns an error,
	// CreateUser returns it and no user exists. It must do all its work
	// through tx, and have no effect outside the database, because the
	// transaction may be run again when the database aborts it in favour
	// of a concurrent one. The transaction is begun by storage.RunInTx, so
	// stores used on tx announce their changes once it commits, and work
	// deferred with storage.AfterCommit runs then. Defaults to nil.
	OnCreate func(ctx context.Context, tx bun.Tx, u User) error

	// OnRevoke, when set, is called once a change that must end the
	// user's sessions elsewhere has committed: a new password, a change of
	// admin rights, the user's deletion. Tokens are handled here; the host
	// ends what else carries the old identity, such as open websockets
	// (realtime.Hub.SignOut). Defaults to nil.
	OnRevoke func(ctx context.Context, userID int64)
}

// Accounts holds the users of a host: it creates them, checks their
// passwords, issues and checks tokens, and serves the sign-in routes and
// middleware. It is safe for concurrent use.
type Accounts struct {
	db           bun.IDB
	lifetime     time.Duration
	cost         int
	registration bool
	maxPerClient int
	window       time.Duration
	maxPerUser   int
	userWindow   time.Duration
	maxPerIP     int
	maxSignups   int
	signupWindow time.Duration
	now          func() time.Time
	onCreate     func(ctx context.Context, tx bun.Tx, u User) error
	onRevoke     func(ctx context.Context, userID int64)
	logger       *slog.Logger
	throttle     *throttle
	known        *knownClients
	credentials  *credentialCache
	// dummyHash is compared against when a username does not exist, so
	// signing in as nobody costs the same bcrypt time as a wrong password.
	dummyHash []byte
	// compare is bcrypt.CompareHashAndPassword. It is a field, not a call,
	// so that a test can count the comparisons one Accounts makes (that
	// timing is equal is shown by counting, not by timing on a shared
	// machine) without a package variable other tests would share.
	compare func(hash, password []byte) error
	mux     *rest.Mux
}

// New returns the accounts stored in db, which must hold the tables of
// Migrations. It reports an error for options out of range. It computes
// one bcrypt hash at the configured cost, the stand-in compared against
// when someone signs in as a user who does not exist.
func New(db bun.IDB, opts *Options) (*Accounts, error) {
	if opts == nil {
		opts = &Options{}
	}
	o := *opts
	if o.BcryptCost != 0 && (o.BcryptCost < bcrypt.MinCost || o.BcryptCost > bcrypt.MaxCost) {
		return nil, &gamekit.OptionError{Option: "accounts: Options.BcryptCost", Value: o.BcryptCost,
			Want: fmt.Sprintf("a cost from %d to %d, or 0 for the default", bcrypt.MinCost, bcrypt.MaxCost)}
	}
	for _, v := range []struct {
		name  string
		value int64
	}{
		{"TokenLifetime", int64(o.TokenLifetime)}, {"FailureWindow", int64(o.FailureWindow)},
		{"UsernameFailureWindow", int64(o.UsernameFailureWindow)}, {"KnownClientLifetime", int64(o.KnownClientLifetime)},
		{"RegistrationWindow", int64(o.RegistrationWindow)}, {"MaxFailuresPerClient", int64(o.MaxFailuresPerClient)},
		{"MaxFailuresPerUsername", int64(o.MaxFailuresPerUsername)}, {"MaxFailuresPerIP", int64(o.MaxFailuresPerIP)},
		{"MaxRegistrationsPerIP", int64(o.MaxRegistrationsPerIP)},
	} {
		if v.value < 0 {
			return nil, &gamekit.OptionError{Option: "accounts: Options." + v.name, Value: v.value, Want: "0 or more (0 for the default)"}
		}
	}
	a := &Accounts{
		db:           db,
		lifetime:     orDefault(o.TokenLifetime, DefaultTokenLifetime),
		cost:         orDefault(o.BcryptCost, bcrypt.DefaultCost),
		registration: !o.DisableRegistration,
		maxPerClient: orDefault(o.MaxFailuresPerClient, DefaultMaxFailuresPerClient),
		window:       orDefault(o.FailureWindow, DefaultFailureWindow),
		maxPerUser:   orDefault(o.MaxFailuresPerUsername, DefaultMaxFailuresPerUsername),
		userWindow:   orDefault(o.UsernameFailureWindow, DefaultUsernameFailureWindow),
		maxPerIP:     orDefault(o.MaxFailuresPerIP, DefaultMaxFailuresPerIP),
		maxSignups:   orDefault(o.MaxRegistrationsPerIP, DefaultMaxRegistrationsPerIP),
		signupWindow: orDefault(o.RegistrationWindow, DefaultRegistrationWindow),
		now:          o.Now,
		onCreate:     o.OnCreate,
		onRevoke:     o.OnRevoke,
		logger:       o.Logger,
		compare:      bcrypt.CompareHashAndPassword,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	a.throttle = newThrottle(min(a.window, a.userWindow, a.signupWindow), a.now)
	a.known = newKnownClients(orDefault(o.KnownClientLifetime, DefaultKnownClientLifetime))
	a.credentials = newCredentialCache(orDefault(o.CredentialCacheTTL, DefaultCredentialCacheTTL))
	var err error
	if a.dummyHash, err = bcrypt.GenerateFromPassword([]byte(rand.Text()), a.cost); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	a.mux = a.routes()
	return a, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// CreateUser validates username and password, stores the user with a bcrypt
// hash of the password, and calls Options.OnCreate in the same transaction.
// Bad input, a username already taken included, is a *gamekit.InvalidError
// naming the field. Registration, the createsuperuser command and demo
// content all create users here, so they share the rules.
func (a *Accounts) CreateUser(ctx context.Context, username, password string, admin bool) (User, error) {
	bad := &gamekit.InvalidError{}
	validUsername(bad, username)
	validPassword(bad, password)
	if err := bad.Err(); err != nil {
		return User{}, err
	}
	// Hash before the transaction: bcrypt takes tens of milliseconds, and
	// SQLite has one writer.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return User{}, fmt.Errorf("accounts: create user: %w", err)
	}
	row := userRow{
		Username:     username,
		PasswordHash: string(hash),
		Admin:        admin,
		CreatedAt:    a.now().UTC().Truncate(time.Microsecond), // as precise as PostgreSQL keeps it
	}
	err = storage.RunInTx(ctx, a.db, func(ctx context.Context, tx bun.Tx) error {
		row.ID = 0
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			if storage.IsUniqueViolation(err) {
				return gamekit.Invalid("username", "A user with that username already exists.")
			}
			return err
		}
		if a.onCreate != nil {
			return a.onCreate(ctx, tx, row.user())
		}
		return nil
	})
	if err != nil {
		return User{}, wrap(err, "create user")
	}
	return row.user(), nil
}

// User returns the user with the given id, or ErrUserNotFound.
func (a *Accounts) User(ctx context.Context, id int64) (User, error) {
	row, err := a.userRow(ctx, "u.id = ?", id)
	return row.user(), err
}

// UserByUsername returns the user with exactly this username (case
// matters), or ErrUserNotFound.
func (a *Accounts) UserByUsername(ctx context.Context, username string) (User, error) {
	row, err := a.userRow(ctx, "u.username = ?", username)
	return row.user(), err
}

func (a *Accounts) userRow(ctx context.Context, where string, arg any) (userRow, error) {
	var row userRow
	if err := a.db.NewSelect().Model(&row).Where(where, arg).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return userRow{}, ErrUserNotFound
		}
		return userRow{}, fmt.Errorf("accounts: find user: %w", err)
	}
	return row, nil
}

// SetPassword validates and stores a new password for a user, and revokes
// every token the user holds in the same transaction: a password is
// changed when it may be known to someone else, and so may the tokens
// issued with it.
func (a *Accounts) SetPassword(ctx context.Context, id int64, password string) error {
	bad := &gamekit.InvalidError{}
	validPassword(bad, password)
	if err := bad.Err(); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	err = storage.RunInTx(ctx, a.db, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*userRow)(nil)).Set("password_hash = ?", string(hash)).Where("id = ?", id).Exec(ctx)
		if err := affected(res, err); err != nil {
			return err
		}
		_, err = tx.NewDelete().Model((*tokenRow)(nil)).Where("user_id = ?", id).Exec(ctx)
		return err
	})
	return a.revoked(ctx, id, wrap(err, "set password"))
}

// SetAdmin grants or withdraws admin rights. Tokens already issued carry
// the change from their next request (in another process, within
// Options.CredentialCacheTTL).
func (a *Accounts) SetAdmin(ctx context.Context, id int64, admin bool) error {
	res, err := a.db.NewUpdate().Model((*userRow)(nil)).Set("admin = ?", admin).Where("id = ?", id).Exec(ctx)
	return a.revoked(ctx, id, wrap(affected(res, err), "set admin"))
}

// DeleteUser deletes a user and the user's tokens. What the host keeps for
// the user elsewhere (an inventory, a player) is the host's to delete.
func (a *Accounts) DeleteUser(ctx context.Context, id int64) error {
	err := storage.RunInTx(ctx, a.db, func(ctx context.Context, tx bun.Tx) error {
		// The foreign key would cascade; deleting explicitly does not
		// depend on SQLite's foreign_keys setting.
		if _, err := tx.NewDelete().Model((*tokenRow)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*userRow)(nil)).Where("id = ?", id).Exec(ctx)
		return affected(res, err)
	})
	return a.revoked(ctx, id, wrap(err, "delete user"))
}

// revoked follows a change to user id that ended with err: every cached
// credential is checked again, and on success Options.OnRevoke ends the
// user's sessions elsewhere.
func (a *Accounts) revoked(ctx context.Context, id int64, err error) error {
	a.credentials.forget()
	if err == nil && a.onRevoke != nil {
		a.onRevoke(context.WithoutCancel(ctx), id)
	}
	return err
}

// ListOptions select, order and page a list of users.
type ListOptions struct {
	// Search keeps users whose username contains it, ignoring case.
	Search string
	// Sort is "id" (the default), "username" or "date_joined", "-" first
	// for descending, each then by id. Any other value is invalid input.
	Sort string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips users.
	Limit, Offset int
}

var userSorts = storage.Sorts{
	"id": "u.id ASC", "-id": "u.id DESC",
	"username": "u.username ASC, u.id ASC", "-username": "u.username DESC, u.id DESC",
	"date_joined": "u.created_at ASC, u.id ASC", "-date_joined": "u.created_at DESC, u.id DESC",
}

// Users lists users, by id unless opts say otherwise, for an admin page.
func (a *Accounts) Users(ctx context.Context, opts ListOptions) ([]User, error) {
	order, err := userSorts.Order("sort", opts.Sort, "id")
	if err != nil {
		return nil, err
	}
	rows, err := storage.List[userRow](ctx, a.db, opts.filter, order, opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("accounts: list users: %w", err)
	}
	users := make([]User, len(rows))
	for i := range rows {
		users[i] = rows[i].user()
	}
	return users, nil
}

// CountUsers counts the users opts.Search selects, for a paginated list.
func (a *Accounts) CountUsers(ctx context.Context, opts ListOptions) (int, error) {
	n, err := storage.Count[userRow](ctx, a.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("accounts: count users: %w", err)
	}
	return n, nil
}

func (opts ListOptions) filter(q *bun.SelectQuery) {
	storage.Search(q, "u.username", opts.Search)
}

// affected turns a statement that touched no row into ErrUserNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrUserNotFound
	}
	return nil
}

// wrap names the operation on an unexpected error; errors of gamekit's
// kinds already say what happened and pass unchanged.
func wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	for _, kind := range []error{gamekit.ErrNotFound, gamekit.ErrInvalid, gamekit.ErrConflict,
		gamekit.ErrForbidden, gamekit.ErrUnauthenticated, gamekit.ErrRateLimited} {
		if errors.Is(err, kind) {
			return err
		}
	}
	return fmt.Errorf("accounts: %s: %w", op, err)
}
