package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/rest"
)

// The defaults of Options.
const (
	// DefaultPrefix is where the host mounts the admin.
	DefaultPrefix = "/admin"
	// DefaultPageSize is how many rows a list page shows.
	DefaultPageSize = 50
	// DefaultSessionLifetime is how long a sign-in lasts: a working day,
	// not the 30 days of an API token, since an admin session can do
	// anything.
	DefaultSessionLifetime = 12 * time.Hour
)

// GiftStats is what the dashboard needs from the gift scheduler: the
// figures of its last tick. *gifts.Scheduler is one.
type GiftStats interface {
	Stats() gifts.Stats
}

// Options configure the admin. The stores and the database are required;
// every other field has a default.
type Options struct {
	// Accounts signs admins in, issues and checks their session tokens,
	// and lists and changes users.
	Accounts *accounts.Accounts
	// Inventory, Monsters and Players are the stores the pages list and
	// change, through the same methods and validation as the API.
	Inventory inventory.Store
	Monsters  enemies.Store
	Players   players.Store
	// DB holds the audit trail (the table of Migrations).
	DB *bun.DB

	// Leaderboards lists, resets and deletes boards on the Leaderboards
	// pages. Defaults to nil: the pages are not there. (A nil
	// *leaderboards.SQLStore counts as nil.)
	Leaderboards leaderboards.Store
	// Chat lists and reads rooms, deletes messages and mutes users on the
	// Chat pages, as a moderator (the store's rules for an admin).
	// Defaults to nil: the pages are not there. (A nil *chat.SQLStore
	// counts as nil.)
	Chat chat.Store

	// Gifts reports the gift scheduler's last tick on the dashboard.
	// Defaults to nil: the dashboard says gifts are off. (A nil
	// *gifts.Scheduler counts as nil.)
	Gifts GiftStats
	// RealtimeClients counts the connected realtime clients for the
	// dashboard, e.g. func() int { return hub.Stats().Clients }. Defaults
	// to nil: the dashboard says realtime is off.
	RealtimeClients func() int

	// Prefix is the path the host mounts the admin at, without a trailing
	// slash; the admin serves Prefix + "/" and everything under it, and
	// makes its links from it. Defaults to DefaultPrefix ("/admin").
	Prefix string
	// PageSize is how many rows a list page shows, 1 to 500. Defaults to
	// DefaultPageSize (50).
	PageSize int
	// SessionLifetime is how long a sign-in lasts: the session's token is
	// issued with it (accounts.Accounts.IssueTokenFor), whatever the
	// accounts' own token lifetime. Defaults to DefaultSessionLifetime (12
	// hours).
	SessionLifetime time.Duration
	// SecureCookies marks the session cookie Secure on every response, for
	// a server behind a proxy that terminates TLS (the server itself then
	// sees plain HTTP). Defaults to false: the cookie is Secure when the
	// request came over TLS.
	SecureCookies bool
	// Now is the clock of the audit trail and of the session cookie's
	// max age (a session's token expires by Accounts' clock). Defaults to
	// time.Now.
	Now func() time.Time
	// Logger receives failures the pages cannot show (an audit row that
	// could not be written). Defaults to slog.Default().
	Logger *slog.Logger
}

// Admin is the admin site: an http.Handler serving Options.Prefix + "/".
// It is safe for concurrent use.
type Admin struct {
	acc       *accounts.Accounts
	lifetime  time.Duration // of a session
	inventory inventory.Store
	monsters  enemies.Store
	players   players.Store
	boards    leaderboards.Store // nil: no leaderboard pages
	chat      chat.Store         // nil: no chat pages
	audit     *auditLog
	gifts     GiftStats
	clients   func() int
	prefix    string
	pageSize  int
	secure    bool
	now       func() time.Time
	logger    *slog.Logger
	pages     pages
	diagram   diagram
	handler   http.Handler
}

// New returns the admin over the stores in opts. It reports an error for
// a missing store or an option out of range.
func New(opts *Options) (*Admin, error) {
	bad := func(option string, value any, want string) (*Admin, error) {
		return nil, &gamekit.OptionError{Option: "admin: " + option, Value: value, Want: want}
	}
	if opts == nil {
		return bad("New's opts", "nil", "Options naming the stores")
	}
	o := *opts
	for _, required := range []struct {
		name    string
		missing bool
	}{{"Accounts", o.Accounts == nil}, {"Inventory", o.Inventory == nil}, {"Monsters", o.Monsters == nil},
		{"Players", o.Players == nil}, {"DB", o.DB == nil}} {
		if required.missing {
			return bad("Options."+required.name, "nil", "the store the admin pages show")
		}
	}
	switch {
	case o.PageSize < 0 || o.PageSize > 500:
		return bad("Options.PageSize", o.PageSize, "1 to 500 rows, or 0 for the default")
	case o.SessionLifetime < 0:
		return bad("Options.SessionLifetime", o.SessionLifetime, "a positive duration, or 0 for the default")
	case o.Prefix != "" && (!strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/")):
		return bad("Options.Prefix", fmt.Sprintf("%q", o.Prefix), `a path that starts with a slash and does not end with one, such as "/admin"`)
	}
	if isNil(o.Gifts) {
		o.Gifts = nil // a host's *gifts.Scheduler that is nil when gifts are off
	}
	if isNil(o.Leaderboards) {
		o.Leaderboards = nil
	}
	if isNil(o.Chat) {
		o.Chat = nil
	}
	a := &Admin{
		acc: o.Accounts, inventory: o.Inventory, monsters: o.Monsters, players: o.Players,
		boards: o.Leaderboards, chat: o.Chat,
		gifts: o.Gifts, clients: o.RealtimeClients, secure: o.SecureCookies,
		prefix: orDefault(o.Prefix, DefaultPrefix), pageSize: orDefault(o.PageSize, DefaultPageSize),
		lifetime: orDefault(o.SessionLifetime, DefaultSessionLifetime), now: o.Now, logger: o.Logger,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	a.audit = &auditLog{db: o.DB, now: a.now}
	var err error
	if a.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	a.diagram = newDiagram(enemies.Machine())
	a.handler = a.routes()
	return a, nil
}

// isNil reports whether v is nil or holds a nil pointer: a host's store
// variable that was never set.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ServeHTTP serves the admin pages. Every request that is not GET, HEAD or
// OPTIONS must come from the admin's own pages (http.CrossOriginProtection:
// a cross-site form post is refused with 403), and every page but sign-in
// needs an admin's session.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.handler.ServeHTTP(w, r)
}

// routes builds the handler: the pages on a ServeMux, behind the
// cross-origin check and the security headers.
func (a *Admin) routes() http.Handler {
	mux := http.NewServeMux()
	p := a.prefix
	handle := func(pattern string, h handlerFunc) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		mux.Handle(strings.TrimSpace(method+" "+p+path), a.authenticated(h))
	}
	mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+p+"/signin", a.signInPage)
	mux.HandleFunc("POST "+p+"/signin", a.signIn)
	handle("POST /signout", a.signOut)
	handle("GET /{$}", a.dashboard)
	handle("GET /audit/", a.auditPage)

	handle("GET /users/", a.userList)
	handle("GET /users/add", a.userAddPage)
	handle("POST /users/add", a.userAdd)
	handle("GET /users/{id}/", a.userPage)
	handle("POST /users/{id}/admin", a.userSetAdmin)
	handle("POST /users/{id}/password", a.userSetPassword)
	handle("GET /users/{id}/delete", a.userDeletePage)
	handle("POST /users/{id}/delete", a.userDelete)

	handle("GET /items/", a.itemList)
	handle("GET /items/add", a.itemAddPage)
	handle("POST /items/add", a.itemAdd)
	handle("GET /items/{id}/", a.itemPage)
	handle("POST /items/{id}/", a.itemChange)
	handle("GET /items/{id}/delete", a.itemDeletePage)
	handle("POST /items/{id}/delete", a.itemDelete)

	handle("GET /inventories/", a.inventoryList)
	handle("GET /inventories/add", a.inventoryAddPage)
	handle("POST /inventories/add", a.inventoryAdd)
	handle("GET /inventories/{id}/", a.inventoryPage)
	handle("POST /inventories/{id}/", a.inventoryChange)
	handle("POST /inventories/{id}/items/add", a.inventoryAddItems)
	handle("POST /inventories/{id}/items/remove", a.inventoryRemoveItems)
	handle("GET /inventories/{id}/delete", a.inventoryDeletePage)
	handle("POST /inventories/{id}/delete", a.inventoryDelete)

	handle("GET /monsters/", a.monsterList)
	handle("GET /monsters/add", a.monsterAddPage)
	handle("POST /monsters/add", a.monsterAdd)
	handle("GET /monsters/{id}/", a.monsterPage)
	handle("POST /monsters/{id}/", a.monsterChange)
	handle("POST /monsters/{id}/fire/{transition}", a.monsterFire)
	handle("GET /monsters/{id}/delete", a.monsterDeletePage)
	handle("POST /monsters/{id}/delete", a.monsterDelete)

	handle("GET /players/", a.playerList)
	handle("GET /players/add", a.playerAddPage)
	handle("POST /players/add", a.playerAdd)
	handle("GET /players/{id}/", a.playerPage)
	handle("POST /players/{id}/", a.playerChange)
	handle("GET /players/{id}/delete", a.playerDeletePage)
	handle("POST /players/{id}/delete", a.playerDelete)

	if a.boards != nil {
		handle("GET /leaderboards/", a.boardList)
		handle("GET /leaderboards/{id}/", a.boardPage)
		handle("GET /leaderboards/{id}/reset", a.boardResetPage)
		handle("POST /leaderboards/{id}/reset", a.boardReset)
		handle("GET /leaderboards/{id}/delete", a.boardDeletePage)
		handle("POST /leaderboards/{id}/delete", a.boardDelete)
	}
	if a.chat != nil {
		handle("GET /chat/", a.roomList)
		handle("GET /chat/{id}/", a.roomPage)
		handle("POST /chat/{id}/messages/{message}/delete", a.messageDelete)
		handle("GET /chat/mutes/", a.muteList)
		handle("POST /chat/mutes/add", a.muteAdd)
		handle("POST /chat/mutes/remove", a.muteRemove)
	}

	handle("/", a.notFound)

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, r, nil, http.StatusForbidden,
			"This form was sent from another site, so it was refused. Use the admin's own pages.")
	}))
	return a.secured(csrf.Handler(mux))
}

// secured sets the headers of every admin response: no caching of pages
// that show private data, a content security policy that allows nothing
// but the page's own inline style sheet (no scripts at all), and no
// framing.
func (a *Admin) secured(next http.Handler) http.Handler {
	policy := "default-src 'none'; style-src '" + a.pages.styleHash + "'; img-src 'self' data:; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (a *Admin) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderError(w, r, s, http.StatusNotFound, "There is no such page.")
}

// path returns the admin URL path for the parts joined with slashes.
func (a *Admin) path(parts ...any) string {
	var b strings.Builder
	b.WriteString(a.prefix)
	for _, p := range parts {
		b.WriteByte('/')
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// background is the context of work that must finish even when the
// client goes away mid-request: an audit row for a change that was made.
func background(r *http.Request) context.Context {
	return context.WithoutCancel(r.Context())
}

// object reads the object a page's {id} names with get, or answers the
// failure (404 for a bad or unknown id) and reports false.
func object[T any](a *Admin, w http.ResponseWriter, r *http.Request, s *session, get func(context.Context, int64) (T, error)) (T, bool) {
	id, err := rest.ID(r, "id")
	if err == nil {
		var v T
		if v, err = get(r.Context(), id); err == nil {
			return v, true
		}
	}
	a.fail(w, r, s, err)
	var zero T
	return zero, false
}
