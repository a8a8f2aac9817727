package admin_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
)

func TestSignIn(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.anonymous(t)
		expect(t, c.get("/admin/signin?next=/admin/items/%3Fq%3Dx"), http.StatusOK, "Sign in", `value="/admin/items/?q=x"`)

		res := c.post("/admin/signin", url.Values{"username": {"root"}, "password": {password}, "next": {"/admin/items/?q=x"}})
		expectRedirect(t, res, "/admin/items/?q=x")
		var cookie *http.Cookie
		for _, ck := range res.Result().Cookies() {
			if ck.Name == admin.CookieName {
				cookie = ck
			}
		}
		if cookie == nil {
			t.Fatal("no session cookie")
		}
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.Path != "/admin/" {
			t.Errorf("cookie: HttpOnly %v, SameSite %v, Secure %v, Path %q; want HttpOnly, Strict, not Secure over plain HTTP, /admin/",
				cookie.HttpOnly, cookie.SameSite, cookie.Secure, cookie.Path)
		}
		if want := start.Add(admin.DefaultSessionLifetime); !cookie.Expires.Equal(want) || cookie.MaxAge != int(admin.DefaultSessionLifetime/time.Second) {
			t.Errorf("cookie expires %v (max age %d), want %v (%d)", cookie.Expires, cookie.MaxAge, want, int(admin.DefaultSessionLifetime/time.Second))
		}
		// The cookie is an accounts token, and the page knows who signed in.
		if u, err := e.acc.UserByToken(context.Background(), cookie.Value); err != nil || u.ID != e.root.ID {
			t.Errorf("UserByToken(cookie) = %v, %v; want root", u.ID, err)
		}
		expect(t, c.get("/admin/"), http.StatusOK, "Dashboard", "root", "Sign out")
		checkAudit(t, e.lastAudit(t), e.root, "sign in", "session", 0, "", "")

		// The session ends with its lifetime, on the server too.
		e.clock.Advance(admin.DefaultSessionLifetime)
		expectRedirect(t, c.get("/admin/"), "/admin/signin?next=%2Fadmin%2F")
	})
}

func TestSignInOverTLSSetsSecureCookie(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		req := httptest.NewRequest(http.MethodPost, "https://admin.test/admin/signin",
			strings.NewReader(url.Values{"username": {"root"}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.TLS = &tls.ConnectionState{}
		rec := httptest.NewRecorder()
		e.adm.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure {
			t.Fatalf("got %d with cookies %v, want 303 and a Secure cookie", rec.Code, cookies)
		}
	})
}

func TestSecureCookiesBehindAProxy(t *testing.T) {
	run(t, &admin.Options{SecureCookies: true}, func(t *testing.T, e *env) {
		res := e.anonymous(t).post("/admin/signin", url.Values{"username": {"root"}, "password": {password}})
		cookies := res.Result().Cookies()
		if res.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure {
			t.Fatalf("got %d with cookies %v, want 303 and a Secure cookie", res.Code, cookies)
		}
	})
}

func TestSignInRefused(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.anonymous(t)
		res := c.post("/admin/signin", url.Values{"username": {"root"}, "password": {"wrong password"}})
		expect(t, res, http.StatusUnauthorized, "Please enter the correct username and password for an admin account", `value="root"`)
		absent(t, res, "wrong password")
		if c.cookie != "" {
			t.Error("a wrong password got a session cookie")
		}
		// A username no database can hold names nobody: not a 500.
		for _, username := range []string{"ro\x00ot", "ro\xffot"} {
			res := c.post("/admin/signin", url.Values{"username": {username}, "password": {password}})
			expect(t, res, http.StatusUnauthorized, "Please enter the correct username and password for an admin account")
		}

		// A player's right password gets them nowhere, and the page does not
		// say the password was right.
		res = c.post("/admin/signin", url.Values{"username": {"alice"}, "password": {password}})
		expect(t, res, http.StatusForbidden, "Please enter the correct username and password for an admin account")
		if c.cookie != "" {
			t.Error("a non-admin got a session cookie")
		}
		if n := len(e.audit(t)); n != 0 {
			t.Errorf("refused sign-ins made %d audit entries, want 0", n)
		}
	})
}

func TestSignInThrottled(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.anonymous(t)
		for range accounts.DefaultMaxFailuresPerClient {
			expect(t, c.post("/admin/signin", url.Values{"username": {"root"}, "password": {"nope nope"}}), http.StatusUnauthorized)
		}
		res := c.post("/admin/signin", url.Values{"username": {"root"}, "password": {password}})
		expect(t, res, http.StatusTooManyRequests, "Too many failed sign-ins")
		if res.Header().Get("Retry-After") == "" || c.cookie != "" {
			t.Errorf("throttled sign-in: Retry-After %q, cookie %q; want a Retry-After and no cookie", res.Header().Get("Retry-After"), c.cookie)
		}
		e.clock.Advance(accounts.DefaultFailureWindow)
		e.signIn(t, "root")
	})
}

// TestSignInCannotBeLockedOut checks that an attacker's wrong passwords
// for an admin throttle the attacker, not the admin signing in from a
// browser they signed in from before, nor another admin behind the
// attacker's address.
func TestSignInCannotBeLockedOut(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		e.mustUser(t, "ops", true)
		const attacker, home = "203.0.113.1:40000", "198.51.100.2:40000"
		signIn := func(step string, c *client, username, pw string, status int) *response {
			t.Helper()
			res := c.post("/admin/signin", url.Values{"username": {username}, "password": {pw}})
			if res.Code != status {
				t.Errorf("%s: got %d, want %d:\n%s", step, res.Code, status, res.main())
			}
			return res
		}
		signIn("root at home", e.anonymousFrom(t, home), "root", password, http.StatusSeeOther)
		mallory := e.anonymousFrom(t, attacker)
		for range accounts.DefaultMaxFailuresPerClient {
			signIn("a guess", mallory, "root", "nope nope", http.StatusUnauthorized)
		}
		signIn("the attacker, even with the password", mallory, "root", password, http.StatusTooManyRequests)
		root := e.anonymousFrom(t, home)
		signIn("root at home, after the guesses", root, "root", password, http.StatusSeeOther)
		if root.cookie == "" {
			t.Error("root at home got no session")
		}
		ops := e.anonymousFrom(t, attacker)
		signIn("another admin behind the attacker's NAT", ops, "ops", password, http.StatusSeeOther)
		if ops.cookie == "" {
			t.Error("ops got no session")
		}
	})
}

func TestSignInNextStaysInAdmin(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		for _, next := range []string{"https://evil.example/", "//evil.example/admin/", "/api/items/", "/admin\\..\\x", "/admin/\t//evil.example", "/admin/signin"} {
			c := e.anonymous(t)
			res := c.post("/admin/signin", url.Values{"username": {"root"}, "password": {password}, "next": {next}})
			expectRedirect(t, res, "/admin/")
		}
	})
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		it := e.mustItem(t, "Guitar", 2)
		m := e.mustMonster(t)
		c := e.anonymous(t)
		for _, path := range []string{"/admin/", "/admin/users/", "/admin/items/", "/admin/items/1/", "/admin/inventories/",
			"/admin/monsters/", "/admin/players/", "/admin/audit/", "/admin/items/add", "/admin/nowhere"} {
			res := c.get(path)
			expectRedirect(t, res, "/admin/signin?next="+url.QueryEscape(path))
		}
		expect(t, c.get("/admin"), http.StatusMovedPermanently)

		// A change without a session changes nothing.
		for _, path := range []string{"/admin/items/1/delete", "/admin/monsters/1/fire/attack", "/admin/items/add", "/admin/signout"} {
			res := c.post(path, url.Values{"user": {"1"}, "name": {"x"}, "weight": {"1"}})
			expectRedirect(t, res, "/admin/signin")
		}
		if got, err := e.items.Item(context.Background(), it.ID); err != nil || got != it {
			t.Errorf("item after anonymous posts: %v, %v", got, err)
		}
		if got, err := e.monsters.Monster(context.Background(), m.ID); err != nil || got.State != m.State {
			t.Errorf("monster after anonymous posts: %v, %v", got, err)
		}
		if n, _ := e.items.CountItems(context.Background(), inventoryAll); n != 1 {
			t.Errorf("%d items after anonymous posts, want 1", n)
		}
	})
}

func TestNonAdminSessionRefused(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		// A player's own token, set as the cookie by hand, opens nothing.
		token, _, err := e.acc.IssueToken(context.Background(), e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := e.anonymous(t)
		c.cookie = token
		expectRedirect(t, c.get("/admin/items/"), "/admin/signin?next=%2Fadmin%2Fitems%2F")
		if c.cookie != "" {
			t.Error("the refused cookie was not cleared")
		}

		// An admin whose rights are withdrawn is out at the next request.
		root := e.signIn(t, "root")
		if err := e.acc.SetAdmin(context.Background(), e.root.ID, false); err != nil {
			t.Fatal(err)
		}
		expectRedirect(t, root.get("/admin/"), "/admin/signin?next=%2Fadmin%2F")
	})
}

func TestSignOut(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		token := c.cookie
		expectRedirect(t, c.post("/admin/signout", nil), "/admin/signin")
		if c.cookie != "" {
			t.Error("the cookie was not cleared")
		}
		if _, err := e.acc.UserByToken(context.Background(), token); !errors.Is(err, gamekit.ErrUnauthenticated) {
			t.Errorf("the session's token after signing out: %v, want it revoked", err)
		}
		checkAudit(t, e.lastAudit(t), e.root, "sign out", "session", 0, "", "")
		// A copy of the old cookie is worthless.
		c.cookie = token
		expectRedirect(t, c.get("/admin/"), "/admin/signin?next=%2Fadmin%2F")
	})
}

func TestCrossSitePostRefused(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		it := e.mustItem(t, "Guitar", 2)
		c := e.signIn(t, "root")
		before := len(e.audit(t))
		for _, headers := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "https://evil.example"},
		} {
			for _, path := range []string{"/admin/items/1/delete", "/admin/items/1/", "/admin/signin", "/admin/signout"} {
				req := httptest.NewRequest(http.MethodPost, origin+path,
					strings.NewReader(url.Values{"name": {"Stolen"}, "weight": {"9"}, "username": {"root"}, "password": {password}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range headers {
					req.Header.Set(k, v)
				}
				expect(t, c.do(req), http.StatusForbidden, "sent from another site")
			}
		}
		if got, err := e.items.Item(context.Background(), it.ID); err != nil || got != it {
			t.Errorf("item after cross-site posts: %v, %v; want %v", got, err, it)
		}
		if c.cookie == "" {
			t.Error("a cross-site sign-out post signed the admin out")
		}
		if n := len(e.audit(t)); n != before {
			t.Errorf("cross-site posts made %d audit entries", n-before)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		for _, path := range []string{"/admin/signin", "/admin/", "/admin/items/"} {
			res := c.get(path)
			h := res.Header()
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-") ||
				!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
				t.Errorf("%s: Content-Security-Policy %q", path, csp)
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: headers %v", path, h)
			}
			if strings.Contains(res.body, "<script") || strings.Contains(res.body, " style=") ||
				strings.Contains(res.body, "http://") || strings.Contains(res.body, "https://") {
				t.Errorf("%s: the page has a script, a style attribute or an external URL:\n%s", path, res.body)
			}
		}
	})
}

func TestNewOptions(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		good := admin.Options{Accounts: e.acc, Inventory: e.items, Monsters: e.monsters, Players: e.players, DB: e.db}
		for _, c := range []struct {
			name   string
			change func(o *admin.Options)
		}{
			{"no accounts", func(o *admin.Options) { o.Accounts = nil }},
			{"no inventory", func(o *admin.Options) { o.Inventory = nil }},
			{"no monsters", func(o *admin.Options) { o.Monsters = nil }},
			{"no players", func(o *admin.Options) { o.Players = nil }},
			{"no db", func(o *admin.Options) { o.DB = nil }},
			{"page size", func(o *admin.Options) { o.PageSize = 501 }},
			{"negative lifetime", func(o *admin.Options) { o.SessionLifetime = -time.Second }},
			{"prefix slash", func(o *admin.Options) { o.Prefix = "/admin/" }},
			{"prefix relative", func(o *admin.Options) { o.Prefix = "admin" }},
		} {
			o := good
			c.change(&o)
			if _, err := admin.New(&o); err == nil {
				t.Errorf("%s: New succeeded", c.name)
			}
		}
		if _, err := admin.New(nil); err == nil {
			t.Error("New(nil) succeeded")
		}
		if _, err := admin.New(&good); err != nil {
			t.Errorf("New: %v", err)
		}
	})
}

func TestPrefix(t *testing.T) {
	run(t, &admin.Options{Prefix: "/backstage"}, func(t *testing.T, e *env) {
		c := &client{t: t, h: e.adm}
		res := c.post("/backstage/signin", url.Values{"username": {"root"}, "password": {password}})
		expectRedirect(t, res, "/backstage/")
		expect(t, c.get("/backstage/items/"), http.StatusOK, `href="/backstage/items/add"`)
		expectRedirect(t, e.anonymous(t).get("/backstage/"), "/backstage/signin?next=%2Fbackstage%2F")
	})
}
