package admin_test

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a time a test moves by hand; accounts and the admin read it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// start is when every test's clock starts.
var start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

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

// password is every test user's password.
const password = "correct-horse-1"

// env is what a test works with: the example server's stores on a private
// database, and the admin over them.
type env struct {
	db       *bun.DB
	acc      *accounts.Accounts
	items    *inventory.SQLStore
	monsters *enemies.SQLStore
	players  *players.SQLStore
	adm      *admin.Admin
	clock    *clock
	// root is an admin; alice is a player.
	root, alice accounts.User
}

// migrations are the tables the admin works on, and its own.
func migrations() []*migrate.Migrations {
	return []*migrate.Migrations{inventory.Migrations(), enemies.Migrations(), players.Migrations(),
		accounts.Migrations(), admin.Migrations(), leaderboards.Migrations(), chat.Migrations()}
}

// run runs fn on each test database, with opts (nil for defaults) for the
// admin.
func run(t *testing.T, opts *admin.Options, fn func(t *testing.T, e *env)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newEnv(t, db, opts))
	}, migrations()...)
}

// newEnv wires the stores as the example server does: a new user gets an
// inventory and a player, in the transaction that creates the user.
func newEnv(t testing.TB, db *bun.DB, opts *admin.Options) *env {
	t.Helper()
	e := &env{db: db, items: storagetest.Must(inventory.NewSQLStore(db, nil)), clock: &clock{now: start}}
	e.monsters = storagetest.Must(enemies.NewSQLStore(db, &enemies.StoreOptions{Now: e.clock.Now}))
	var err error
	if e.players, err = players.NewSQLStore(db, nil); err != nil {
		t.Fatal(err)
	}
	e.acc, err = accounts.New(db, &accounts.Options{
		BcryptCost: bcrypt.MinCost,
		Now:        e.clock.Now,
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		OnCreate: func(ctx context.Context, tx bun.Tx, u accounts.User) error {
			if err := storagetest.Must(inventory.NewSQLStore(tx, nil)).CreateInventory(ctx, &inventory.Inventory{UserID: u.ID, Username: u.Username}); err != nil {
				return err
			}
			ps, err := players.NewSQLStore(tx, nil)
			if err != nil {
				return err
			}
			return ps.CreatePlayer(ctx, &players.Player{UserID: u.ID, Username: u.Username})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var o admin.Options
	if opts != nil {
		o = *opts
	}
	o.Accounts, o.Inventory, o.Monsters, o.Players, o.DB = e.acc, e.items, e.monsters, e.players, db
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	if e.adm, err = admin.New(&o); err != nil {
		t.Fatal(err)
	}
	e.root = e.mustUser(t, "root", true)
	e.alice = e.mustUser(t, "alice", false)
	return e
}

// testWriter writes a log to the test's log, shown when the test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (e *env) mustUser(t testing.TB, username string, isAdmin bool) accounts.User {
	t.Helper()
	u, err := e.acc.CreateUser(context.Background(), username, password, isAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) mustItem(t testing.TB, name string, weight float64) inventory.Item {
	t.Helper()
	it := inventory.Item{Name: name, Weight: weight}
	if err := e.items.CreateItem(context.Background(), &it); err != nil {
		t.Fatal(err)
	}
	return it
}

func (e *env) mustMonster(t testing.TB) enemies.Monster {
	t.Helper()
	m := enemies.NewMonster()
	if err := e.monsters.CreateMonster(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// audit returns the audit trail, newest first.
func (e *env) audit(t testing.TB) []admin.AuditEntry {
	t.Helper()
	entries, err := e.adm.Audit(context.Background(), admin.AuditOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// lastAudit returns the newest audit entry.
func (e *env) lastAudit(t testing.TB) admin.AuditEntry {
	t.Helper()
	entries := e.audit(t)
	if len(entries) == 0 {
		t.Fatal("no audit entry")
	}
	return entries[0]
}

// checkAudit checks an entry's who, what and object, and its before and
// after as JSON ("" for none).
func checkAudit(t *testing.T, got admin.AuditEntry, who accounts.User, action, objectType string, objectID int64, before, after string) {
	t.Helper()
	if got.UserID != who.ID || got.Username != who.Username || got.Action != action ||
		got.ObjectType != objectType || got.ObjectID != objectID {
		t.Errorf("audit entry: got %d %s %q %s #%d, want %d %s %q %s #%d", got.UserID, got.Username, got.Action,
			got.ObjectType, got.ObjectID, who.ID, who.Username, action, objectType, objectID)
	}
	if got.At.Before(start) {
		t.Errorf("audit entry at %v, before the test's clock started at %v", got.At, start)
	}
	for _, c := range []struct {
		name      string
		got       json.RawMessage
		want      string
		wantEmpty bool
	}{{"before", got.Before, before, before == ""}, {"after", got.After, after, after == ""}} {
		switch {
		case c.wantEmpty && c.got != nil:
			t.Errorf("audit %s: got %s, want none", c.name, c.got)
		case !c.wantEmpty && !jsonEqual(t, string(c.got), c.want):
			t.Errorf("audit %s: got %s, want %s", c.name, c.got, c.want)
		}
	}
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t testing.TB, got, want string) bool {
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

// origin is where the test's browser thinks the admin is.
const origin = "http://admin.test"

// client is a browser: it keeps the session cookie, and sends what a
// browser sends with a form from the admin's own pages.
type client struct {
	t      testing.TB
	h      http.Handler
	cookie string
	// addr is the browser's RemoteAddr; "" for httptest's 192.0.2.1:1234.
	addr string
}

func (e *env) anonymous(t testing.TB) *client { return &client{t: t, h: e.adm} }

// anonymousFrom is a browser at the client address addr (host:port).
func (e *env) anonymousFrom(t testing.TB, addr string) *client {
	return &client{t: t, h: e.adm, addr: addr}
}

// signIn signs in through the sign-in form and fails the test unless it
// worked.
func (e *env) signIn(t testing.TB, username string) *client {
	t.Helper()
	c := e.anonymous(t)
	res := c.post("/admin/signin", url.Values{"username": {username}, "password": {password}})
	if res.Code != http.StatusSeeOther || c.cookie == "" {
		t.Fatalf("sign in as %s: got %d, cookie %q:\n%s", username, res.Code, c.cookie, res.Body)
	}
	return c
}

// response is an answered request.
type response struct {
	*httptest.ResponseRecorder
	body string
}

func (c *client) get(path string) *response {
	return c.do(httptest.NewRequest(http.MethodGet, origin+path, nil))
}

// post sends a form as a browser does from the admin's own page.
func (c *client) post(path string, form url.Values) *response {
	req := httptest.NewRequest(http.MethodPost, origin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", origin)
	return c.do(req)
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	if c.addr != "" {
		req.RemoteAddr = c.addr
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: admin.CookieName, Value: c.cookie})
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name != admin.CookieName {
			continue
		}
		if ck.MaxAge < 0 {
			c.cookie = ""
		} else {
			c.cookie = ck.Value
		}
	}
	return &response{ResponseRecorder: rec, body: rec.Body.String()}
}

// follow gets where a redirect points.
func (c *client) follow(res *response) *response {
	c.t.Helper()
	if res.Code != http.StatusSeeOther && res.Code != http.StatusFound && res.Code != http.StatusMovedPermanently {
		c.t.Fatalf("got %d, want a redirect:\n%s", res.Code, res.body)
	}
	return c.get(res.Header().Get("Location"))
}

// main is the part of a page a test failure shows: what is inside <main>.
func (r *response) main() string {
	if _, after, ok := strings.Cut(r.body, "<main>"); ok {
		return after
	}
	return r.body
}

// expect fails the test unless the response has the status and its page
// shows every text (as the browser shows it: HTML entities decoded).
func expect(t testing.TB, res *response, status int, texts ...string) {
	t.Helper()
	if res.Code != status {
		t.Fatalf("got status %d, want %d:\n%s", res.Code, status, res.main())
	}
	page := html.UnescapeString(res.body)
	for _, text := range texts {
		if !strings.Contains(page, text) {
			t.Errorf("the page does not show %q:\n%s", text, res.main())
		}
	}
}

// expectRedirect fails the test unless the response is a 303 to where.
func expectRedirect(t testing.TB, res *response, where string) {
	t.Helper()
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != where {
		t.Fatalf("got %d to %q, want 303 to %q:\n%s", res.Code, res.Header().Get("Location"), where, res.main())
	}
}

// absent fails the test if the page shows a text.
func absent(t testing.TB, res *response, texts ...string) {
	t.Helper()
	page := html.UnescapeString(res.body)
	for _, text := range texts {
		if strings.Contains(page, text) {
			t.Errorf("the page shows %q, which it should not:\n%s", text, res.main())
		}
	}
}
