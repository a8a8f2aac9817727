package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/storage/storagetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// start is the moment every test's clock starts at.
var start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// clock is a clock that moves only when a test says so.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is what a test works with: accounts on a private database, and the
// clock they read.
type env struct {
	acc   *accounts.Accounts
	db    *bun.DB
	clock *clock
}

// run runs fn on each test database with accounts configured by opts,
// bcrypt at its cheapest and the clock at start.
func run(t *testing.T, opts *accounts.Options, fn func(t *testing.T, e *env)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newEnv(t, db, opts))
	}, accounts.Migrations())
}

func newEnv(t *testing.T, db *bun.DB, opts *accounts.Options) *env {
	t.Helper()
	var o accounts.Options
	if opts != nil {
		o = *opts
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.MinCost
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	c := &clock{now: start}
	if o.Now == nil {
		o.Now = c.Now
	}
	acc, err := accounts.New(db, &o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{acc: acc, db: db, clock: c}
}

func (e *env) mustUser(t *testing.T, username, password string, admin bool) accounts.User {
	t.Helper()
	u, err := e.acc.CreateUser(context.Background(), username, password, admin)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) mustToken(t *testing.T, userID int64) string {
	t.Helper()
	token, _, err := e.acc.IssueToken(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// jsonEqual reports whether two JSON texts hold the same value, numbers
// compared as numbers.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// logBuffer collects what a logger writes, for tests that check what was
// logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reset forgets what was logged, for a test run on each database.
func (b *logBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// logger is a text logger writing to b, without times.
func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// testWriter writes a log to the test's log, shown when the test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
