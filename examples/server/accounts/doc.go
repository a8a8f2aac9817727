// Package accounts is the example server's users: registration, bcrypt
// passwords, opaque bearer tokens, throttled sign-in, and the HTTP
// middleware that turns an Authorization header into a gamekit.Identity.
// gamekit's domain packages never see any of it: they read the identity
// from the request context. A host that has users of its own ignores this
// package; a host that wants users imports it.
//
// # Users
//
// [Accounts.CreateUser] is the one way users are made (registration, the
// createsuperuser command, demo content), so they share Django's rules: a
// username is 1 to 150 letters, digits and @ . + - _, unique exactly as
// written ("alice" and "Alice" are two users); a password has at least 8
// characters, is not all digits, and has at most 72 bytes, since bcrypt
// ignores the rest. Bad input is a *gamekit.InvalidError naming the field.
//
// Options.OnCreate runs in the transaction that inserts the user, so what
// every user owns (an inventory, a player) is created with the user or not
// at all, and a store used there announces its change once the user is
// committed:
//
//	acc, err := accounts.New(db, &accounts.Options{
//		OnCreate: func(ctx context.Context, tx bun.Tx, u accounts.User) error {
//			store, err := inventory.NewSQLStore(tx, nil)
//			if err != nil {
//				return err
//			}
//			inv := inventory.Inventory{UserID: u.ID, Username: u.Username}
//			return store.CreateInventory(ctx, &inv)
//		},
//	})
//
// The tables (gamekit_users, gamekit_tokens) come as migrations from
// [Migrations], which the host runs with every other package's.
//
// # Passwords
//
// Passwords are stored as bcrypt hashes at Options.BcryptCost.
// [Accounts.Authenticate] answers a wrong password and an unknown username
// with the same error after the same bcrypt work, so neither the answer nor
// its timing tells which usernames exist.
//
// # Throttling
//
// Sign-in is throttled so that guessing is slow and an attacker cannot lock
// a user out (the OWASP authentication cheat sheet's ideas). A client is a
// client address, an IPv6 address counting by its /64. Only failures count,
// so a client sending HTTP Basic credentials with every request is never
// slowed by its own successes, and concurrent guesses cannot overtake the
// count. Three limits, with these defaults (Options):
//
//   - 5 failures a minute for one username from one client: that client is
//     refused for that username, even with the right password, until the
//     minute has passed. The user signing in from elsewhere is not.
//   - 10 failures in 15 minutes for one username from anywhere: the
//     username is refused to every client that has not signed in as it
//     with the right password in the last 30 days (a known client, of
//     which 16 per username are remembered); known clients still get in.
//     This slows guesses spread over many addresses.
//   - 100 failures a minute from one address, for any usernames: the
//     address is refused for usernames that do not know it, and a user who
//     signed in from it before still gets in; the limit is generous
//     because everyone behind one NAT shares it.
//
// An attacker who shares the user's address (the same NAT) is the same
// client as far as the server can tell, and can keep the user out of the
// first limit from there. Registration is throttled too: 5 an hour per
// address, at once if need be; a username found taken counts, invalid
// input does not; and an address the third limit refuses may not
// register either. Refusals are a *gamekit.RateLimitError (429 with
// Retry-After over HTTP) and each is logged as a warning with the username
// and the client.
//
// The counts and known clients live in memory, per process: behind a load
// balancer each server counts on its own, so a cluster of N processes
// allows up to N times the failures and registrations above, and a
// restart forgets them.
// Memory is bounded: counts are dropped once their window has passed, on
// a later attempt, and a known client once its 30 days have.
//
// # Tokens
//
// [Accounts.IssueToken] returns 32 random bytes in base64url, of which only
// a SHA-256 hash is stored: a copy of the database grants nothing. Tokens
// expire (30 days by default) and are deleted when next presented after
// that, or when the user is issued a new one; [Accounts.Revoke] signs a
// client out, and changing a password revokes all of the user's tokens.
//
// # HTTP
//
// [Accounts.Middleware] accepts "Authorization: Basic" (so curl -u
// user:password works, as with Django REST framework), "Bearer <token>" and
// DRF's "Token <token>", and puts the caller's gamekit.Identity on the
// request context; a request without the header goes on anonymous, bad
// credentials are a 401. [Accounts.Handler] serves registration (403 when
// Options.DisableRegistration is set), sign-in for a token, and sign-out:
//
//	mux.Handle("/api/auth/", http.StripPrefix("/api", acc.Handler()))
//	srv := &http.Server{Handler: acc.Middleware(mux)}
//
// Throttling keys on rest.ClientKey(r), the host of r.RemoteAddr with an
// IPv6 address counted by its /64, as realtime's connection caps do; a
// host behind a reverse proxy sets RemoteAddr to the client's address
// first (rest.TrustProxies does), or every client is the proxy, one
// client known to every user.
package accounts
