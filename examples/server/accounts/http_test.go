package accounts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// serve mounts the accounts as the example server does: the routes under
// /api (stripped), a route that shows who is calling, and the middleware
// in front of everything.
func serve(t *testing.T, acc *accounts.Accounts) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", http.StripPrefix("/api", acc.Handler()))
	mux.Handle("/api/whoami/", whoami)
	srv := httptest.NewServer(acc.Middleware(mux))
	t.Cleanup(srv.Close)
	return srv
}

type exchange struct {
	name          string
	method, path  string
	authorization string
	body          string
	status        int
	want          string // JSON; "" for an empty body
}

// check makes the request and compares the response with the one wanted,
// returning its headers.
func (x exchange) check(t *testing.T, srv *httptest.Server) http.Header {
	t.Helper()
	status, header, body := send(t, srv, x.method, x.path, x.authorization, x.body)
	if status != x.status || (x.want == "" && body != "") || (x.want != "" && !jsonEqual(t, body, x.want)) {
		t.Errorf("%s: got %v %s, want %v %s", x.name, status, body, x.status, x.want)
	}
	return header
}

func TestRegister(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		srv := serve(t, e.acc)
		for _, x := range []exchange{
			{"register", "POST", "/api/auth/register/", "", `{"username": "alice", "password": "correct horse"}`, 201,
				`{"id": 1, "username": "alice"}`},
			{"without the slash", "POST", "/api/auth/register", "", `{"username": "bob", "password": "correct horse"}`, 201,
				`{"id": 2, "username": "bob"}`},
			{"taken", "POST", "/api/auth/register/", "", `{"username": "alice", "password": "correct horse"}`, 400,
				`{"username": ["A user with that username already exists."]}`},
			{"bad input", "POST", "/api/auth/register/", "", `{"username": "a b", "password": "1234"}`, 400,
				`{"username": ["` + usernameChars + `"], "password": ["This password is too short. It must contain at least 8 characters.", "This password is entirely numeric."]}`},
			{"73 bytes", "POST", "/api/auth/register/", "", `{"username": "carol", "password": "` + strings.Repeat("a", 73) + `"}`, 400,
				`{"password": ["This password is too long. It must be at most 72 bytes (73 here; letters outside ASCII take 2 to 4 bytes each)."]}`},
			{"missing fields", "POST", "/api/auth/register/", "", `{}`, 400,
				`{"username": ["This field is required."], "password": ["This field is required."]}`},
			{"unknown field", "POST", "/api/auth/register/", "", `{"username": "carol", "password": "correct horse", "admin": true}`, 400,
				`{"admin": ["This field is not allowed."]}`},
			{"wrong type", "POST", "/api/auth/register/", "", `{"username": 7, "password": "correct horse"}`, 400,
				`{"username": ["Not a valid string."]}`},
			{"not JSON", "POST", "/api/auth/register/", "", `username=carol`, 400,
				`{"detail": "JSON parse error - expected a JSON object"}`},
			{"GET", "GET", "/api/auth/register/", "", "", 405, `{"detail": "Method \"GET\" not allowed."}`},
		} {
			x.check(t, srv)
		}
		// Registered users are players, never admins, and can sign in.
		u, err := e.acc.Authenticate(context.Background(), "alice", "correct horse", "")
		if err != nil || u.Admin {
			t.Errorf("registered alice: got %+v, %v, want a player", u, err)
		}
		if n, _ := e.acc.CountUsers(context.Background(), accounts.ListOptions{}); n != 2 {
			t.Errorf("users: got %v, want 2", n)
		}
	})
}

func TestRegisterDisabled(t *testing.T) {
	t.Parallel()
	run(t, &accounts.Options{DisableRegistration: true}, func(t *testing.T, e *env) {
		srv := serve(t, e.acc)
		exchange{"disabled", "POST", "/api/auth/register/", "", `{"username": "alice", "password": "correct horse"}`, 403,
			`{"detail": "Registration is disabled on this server."}`}.check(t, srv)
		if n, _ := e.acc.CountUsers(context.Background(), accounts.ListOptions{}); n != 0 {
			t.Errorf("users: got %v, want 0", n)
		}
		// An admin still creates users.
		e.mustUser(t, "alice", "correct horse", false)
	})
}

func TestObtainToken(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		e.mustUser(t, "alice", "correct horse", false)
		e.mustUser(t, "carol", "correct horse", false)
		srv := serve(t, e.acc)
		unable := `{"non_field_errors": ["Unable to log in with provided credentials."]}`
		for _, path := range []string{"/api/auth/token/", "/api/auth/token"} {
			status, _, body := send(t, srv, "POST", path, "", `{"username": "alice", "password": "correct horse"}`)
			if status != 200 {
				t.Fatalf("token at %s: got %v %s, want 200", path, status, body)
			}
			var got struct {
				Token     string `json:"token"`
				ExpiresAt string `json:"expires_at"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if want := "2026-12-23T12:00:00Z"; got.ExpiresAt != want {
				t.Errorf("expires_at: got %v, want %v", got.ExpiresAt, want)
			}
			exchange{"use the token", "GET", "/api/whoami/", "Bearer " + got.Token, "", 200,
				`{"user_id": 1, "username": "alice", "admin": false}`}.check(t, srv)
		}
		for _, x := range []exchange{
			{"wrong password", "POST", "/api/auth/token/", "", `{"username": "alice", "password": "wrong horse"}`, 400, unable},
			{"unknown user", "POST", "/api/auth/token/", "", `{"username": "mallory", "password": "correct horse"}`, 400, unable},
			{"missing fields", "POST", "/api/auth/token/", "", `{"username": "alice"}`, 400, `{"password": ["This field is required."]}`},
			{"blank fields", "POST", "/api/auth/token/", "", `{"username": "", "password": ""}`, 400,
				`{"username": ["This field may not be blank."], "password": ["This field may not be blank."]}`},
			{"trailing data", "POST", "/api/auth/token/", "", `{"username": "alice", "password": "correct horse"} {}`, 400,
				`{"detail": "JSON parse error - unexpected data after the JSON object"}`},
			{"GET", "GET", "/api/auth/token/", "", "", 405, `{"detail": "Method \"GET\" not allowed."}`},
		} {
			x.check(t, srv)
		}
		for i := range 5 {
			exchange{fmt.Sprintf("carol failure %d", i+1), "POST", "/api/auth/token/", "",
				`{"username": "carol", "password": "wrong horse"}`, 400, unable}.check(t, srv)
		}
		e.clock.Advance(15 * time.Second)
		header := exchange{"throttled", "POST", "/api/auth/token/", "", `{"username": "carol", "password": "correct horse"}`, 429,
			`{"detail": "Request was throttled. Expected available in 45 seconds."}`}.check(t, srv)
		if got, want := header.Get("Retry-After"), "45"; got != want {
			t.Errorf("Retry-After: got %q, want %q", got, want)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	run(t, nil, func(t *testing.T, e *env) {
		alice := e.mustUser(t, "alice", "correct horse", false)
		token, other := e.mustToken(t, alice.ID), e.mustToken(t, alice.ID)
		srv := serve(t, e.acc)
		noToken := `{"detail": "Sign out by sending the token to revoke: Authorization: Bearer <token>."}`
		for _, x := range []exchange{
			{"logout", "POST", "/api/auth/logout/", "Bearer " + token, "", 204, ""},
			{"the token is revoked", "GET", "/api/whoami/", "Bearer " + token, "", 401, `{"detail": "Invalid token."}`},
			{"again", "POST", "/api/auth/logout", "Bearer " + token, "", 401, `{"detail": "Invalid token."}`},
			{"the other token still works", "GET", "/api/whoami/", "Token " + other, "", 200,
				`{"user_id": 1, "username": "alice", "admin": false}`},
			{"without a token", "POST", "/api/auth/logout/", "", "", 401, noToken},
			{"with basic credentials", "POST", "/api/auth/logout/", basic("alice", "correct horse"), "", 401, noToken},
			{"GET", "GET", "/api/auth/logout/", "Token " + other, "", 405, `{"detail": "Method \"GET\" not allowed."}`},
			{"no such route", "POST", "/api/auth/nothing/", "", "", 404, `{"detail": "Not found."}`},
			{"DRF's scheme", "POST", "/api/auth/logout/", "Token " + other, "", 204, ""},
		} {
			x.check(t, srv)
		}
	})
}

// TestLogoutWithoutMiddleware checks that the routes check tokens
// themselves when the host does not put Middleware in front.
func TestLogoutWithoutMiddleware(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db, nil)
		srv := httptest.NewServer(e.acc.Handler())
		t.Cleanup(srv.Close)
		alice := e.mustUser(t, "alice", "correct horse", false)
		token := e.mustToken(t, alice.ID)
		for _, x := range []exchange{
			{"unknown token", "POST", "/auth/logout/", "Bearer nonsense", "", 401, `{"detail": "Invalid token."}`},
			{"logout", "POST", "/auth/logout/", "Bearer " + token, "", 204, ""},
			{"again", "POST", "/auth/logout/", "Bearer " + token, "", 401, `{"detail": "Invalid token."}`},
		} {
			x.check(t, srv)
		}
	}, accounts.Migrations())
}

// clientHeader names the client a test request comes from; serveFrom's
// stand-in for a reverse proxy turns it into the request's RemoteAddr.
const clientHeader = "X-Test-Client"

// serveFrom is serve behind a reverse proxy, as a host deploys it: a
// middleware in front of the accounts' sets r.RemoteAddr to the client's
// address (here from clientHeader, as a proxy's X-Forwarded-For), which is
// how Middleware documents that a proxied host names its clients. It lets
// a test over loopback speak from many addresses.
func serveFrom(t *testing.T, acc *accounts.Accounts) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", http.StripPrefix("/api", acc.Handler()))
	mux.Handle("/api/whoami/", whoami)
	inner := acc.Middleware(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client := r.Header.Get(clientHeader); client != "" {
			r.RemoteAddr = net.JoinHostPort(client, "40000")
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// from makes a request from the client address given ("" for the test's
// own), with the given Authorization header ("" for none) and body, and
// returns the status, headers and body.
func from(t *testing.T, srv *httptest.Server, client, method, path, authorization, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if client != "" {
		req.Header.Set(clientHeader, client)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// TestRegisterThrottled checks that one client address cannot register
// users without end (each one an inventory, a player and a gift every
// tick), while other addresses register as usual.
func TestRegisterThrottled(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	run(t, &accounts.Options{Logger: logs.logger()}, func(t *testing.T, e *env) {
		logs.reset()
		srv := serveFrom(t, e.acc)
		register := func(client, username, password string) (int, string) {
			t.Helper()
			status, header, body := from(t, srv, client, "POST", "/api/auth/register/", "",
				fmt.Sprintf(`{"username": %q, "password": %q}`, username, password))
			if status == 429 {
				return status, header.Get("Retry-After")
			}
			return status, body
		}
		const a, b, c = "203.0.113.1", "198.51.100.2", "2001:db8::1"
		// Input the server refuses before storing anything does not count.
		for i := range 3 {
			if status, body := register(a, fmt.Sprintf("bad%d", i), "1234"); status != 400 {
				t.Fatalf("bad input %d: got %d %s, want 400", i, status, body)
			}
		}
		for i := range accounts.DefaultMaxRegistrationsPerIP {
			if status, body := register(a, fmt.Sprintf("user%d", i), "correct horse"); status != 201 {
				t.Fatalf("registration %d from %s: got %d %s, want 201", i+1, a, status, body)
			}
		}
		if status, retry := register(a, "onemore", "correct horse"); status != 429 || retry != "3600" {
			t.Errorf("one more from %s: got %d, Retry-After %q; want 429, 3600", a, status, retry)
		}
		// A taken username from the throttled address learns nothing either.
		if status, retry := register(a, "user0", "correct horse"); status != 429 {
			t.Errorf("a taken username from %s: got %d %s, want 429", a, status, retry)
		}
		if line := `level=WARN msg="accounts: registration throttled" username=onemore client=203.0.113.1 limit=registration retry_after=1h0m0s`; !strings.Contains(logs.String(), line) {
			t.Errorf("no log line %s in:\n%s", line, logs)
		}
		if status, body := register(b, "fromb", "correct horse"); status != 201 {
			t.Errorf("from another address: got %d %s, want 201", status, body)
		}
		// Trying taken usernames counts: it costs a bcrypt hash, and it
		// tells which usernames exist.
		for i := range accounts.DefaultMaxRegistrationsPerIP {
			if status, body := register(c, "user0", "correct horse"); status != 400 {
				t.Fatalf("taken username %d from %s: got %d %s, want 400", i+1, c, status, body)
			}
		}
		// Another address of the same IPv6 /64 shares the allowance.
		if status, retry := register("2001:db8::2", "fromc", "correct horse"); status != 429 {
			t.Errorf("from the same /64 as %s: got %d %s, want 429", c, status, retry)
		}
		e.clock.Advance(accounts.DefaultRegistrationWindow)
		if status, body := register(a, "onemore", "correct horse"); status != 201 {
			t.Errorf("an hour later from %s: got %d %s, want 201", a, status, body)
		}
		if n, _ := e.acc.CountUsers(context.Background(), accounts.ListOptions{}); n != accounts.DefaultMaxRegistrationsPerIP+2 {
			t.Errorf("users: got %v, want %v", n, accounts.DefaultMaxRegistrationsPerIP+2)
		}
	})
}

// TestRegisterRefusedWhileSignInThrottled checks that an address the
// sign-in throttle refuses for its failures cannot register either, while
// other addresses can, and it can again once its failures are a window old.
func TestRegisterRefusedWhileSignInThrottled(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	run(t, &accounts.Options{MaxFailuresPerIP: 3, Logger: logs.logger()}, func(t *testing.T, e *env) {
		logs.reset()
		srv := serveFrom(t, e.acc)
		post := func(client, path, username string) (int, http.Header) {
			t.Helper()
			status, header, _ := from(t, srv, client, "POST", path, "",
				fmt.Sprintf(`{"username": %q, "password": "correct horse"}`, username))
			return status, header
		}
		const a, b = "203.0.113.1", "198.51.100.2"
		for i := range 3 {
			if status, _ := post(a, "/api/auth/token/", fmt.Sprintf("guess%d", i)); status != 400 {
				t.Fatalf("wrong sign-in %d from %s: got %d, want 400", i+1, a, status)
			}
		}
		if status, _ := post(a, "/api/auth/token/", "guess3"); status != 429 {
			t.Fatalf("a fourth sign-in from %s: got %d, want 429", a, status)
		}
		if status, header := post(a, "/api/auth/register/", "fresh"); status != 429 || header.Get("Retry-After") != "60" {
			t.Errorf("registering from %s: got %d, Retry-After %q; want 429, 60", a, status, header.Get("Retry-After"))
		}
		if line := `level=WARN msg="accounts: registration throttled" username=fresh client=203.0.113.1 limit=address retry_after=1m0s`; !strings.Contains(logs.String(), line) {
			t.Errorf("no log line %s in:\n%s", line, logs)
		}
		if status, _ := post(b, "/api/auth/register/", "fromb"); status != 201 {
			t.Errorf("registering from %s: got %d, want 201", b, status)
		}
		e.clock.Advance(time.Minute)
		if status, _ := post(a, "/api/auth/register/", "fresh"); status != 201 {
			t.Errorf("registering from %s a minute later: got %d, want 201", a, status)
		}
	})
}

// TestAttackerCannotLockOutAUser checks, on the token route and with HTTP
// Basic, that wrong passwords for a user from one client throttle that
// client, not the user signing in from elsewhere nor other users behind
// the attacker's address; and that guesses spread over many addresses
// close the username to clients it has never signed in from, but not to
// those it has.
func TestAttackerCannotLockOutAUser(t *testing.T) {
	t.Parallel()
	routes := []struct {
		name  string
		wrong int // the status of a wrong password
		try   func(t *testing.T, srv *httptest.Server, client, username, password string) (int, http.Header, string)
	}{
		{"token", 400, func(t *testing.T, srv *httptest.Server, client, username, password string) (int, http.Header, string) {
			return from(t, srv, client, "POST", "/api/auth/token/", "",
				fmt.Sprintf(`{"username": %q, "password": %q}`, username, password))
		}},
		{"basic", 401, func(t *testing.T, srv *httptest.Server, client, username, password string) (int, http.Header, string) {
			return from(t, srv, client, "GET", "/api/whoami/", basic(username, password), "")
		}},
	}
	for _, route := range routes {
		t.Run(route.name, func(t *testing.T) {
			t.Parallel()
			logs := &logBuffer{}
			run(t, &accounts.Options{Logger: logs.logger()}, func(t *testing.T, e *env) {
				logs.reset()
				e.mustUser(t, "admin", "correct horse", true)
				e.mustUser(t, "bob", "battery staple", false)
				srv := serveFrom(t, e.acc)
				const attacker, home, office = "203.0.113.1", "198.51.100.2", "192.0.2.3"
				want := func(step, client, username, password string, status int, retryAfter string) {
					t.Helper()
					got, header, body := route.try(t, srv, client, username, password)
					if got != status || header.Get("Retry-After") != retryAfter {
						t.Errorf("%s: got %d (Retry-After %q) %s, want %d (Retry-After %q)",
							step, got, header.Get("Retry-After"), body, status, retryAfter)
					}
				}
				want("the admin at home", home, "admin", "correct horse", 200, "")
				for i := range accounts.DefaultMaxFailuresPerClient {
					want(fmt.Sprintf("guess %d", i+1), attacker, "admin", fmt.Sprintf("guess %d", i), route.wrong, "")
				}
				want("the attacker, even with the password", attacker, "admin", "correct horse", 429, "60")
				want("the admin at home, after the guesses", home, "admin", "correct horse", 200, "")
				want("the admin at the office, for the first time", office, "admin", "correct horse", 200, "")
				// The attacker sprays other usernames from the same address:
				// more failures than a stricter per-address limit allows.
				for i := range 40 {
					want(fmt.Sprintf("spray %d", i+1), attacker, fmt.Sprintf("user%d", i), "password1", route.wrong, "")
				}
				want("bob behind the attacker's NAT", attacker, "bob", "battery staple", 200, "")
				// Guesses from many addresses, one each, reach the username's
				// own limit: clients the admin never signed in from are turned
				// away for the username's (longer) window, known ones are not.
				for i := range accounts.DefaultMaxFailuresPerUsername - accounts.DefaultMaxFailuresPerClient {
					want(fmt.Sprintf("distributed guess %d", i+1), fmt.Sprintf("203.0.113.%d", 100+i), "admin", "guess", route.wrong, "")
				}
				want("the admin from a new client", "192.0.2.200", "admin", "correct horse", 429,
					strconv.Itoa(int(accounts.DefaultUsernameFailureWindow/time.Second)))
				// Past the credential cache's life, home's password is
				// checked again, and let through as a known client's.
				e.clock.Advance(accounts.DefaultCredentialCacheTTL)
				want("the admin at home, after the distributed guesses", home, "admin", "correct horse", 200, "")
				want("the admin at the office, after the distributed guesses", office, "admin", "correct horse", 200, "")
				for _, line := range []string{
					`level=WARN msg="accounts: sign-in throttled" username=admin client=203.0.113.1 limit=client`,
					`level=WARN msg="accounts: sign-in throttled" username=admin client=192.0.2.200 limit=username`,
					`level=WARN msg="accounts: throttled username signed in from a known client" username=admin client=198.51.100.2`,
				} {
					if !strings.Contains(logs.String(), line) {
						t.Errorf("no log line with %s in:\n%s", line, logs)
					}
				}
			})
		})
	}
}
