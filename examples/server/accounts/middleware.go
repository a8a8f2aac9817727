package accounts

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// Middleware authenticates each request from its Authorization header and
// puts the caller's gamekit.Identity on the request context for next:
//
//	Authorization: Basic base64(username:password)   (curl -u user:password)
//	Authorization: Bearer <token>                    (from POST /auth/token/)
//	Authorization: Token <token>                     (Django REST framework's word)
//
// A request without the header goes on anonymous. Credentials that are
// wrong, malformed, expired or in another scheme are answered 401 and next
// is not called: a client that meant to sign in is told it did not, rather
// than served as anonymous. Sign-in attempts that are throttled are
// answered 429 with Retry-After.
//
// HTTP Basic costs a bcrypt comparison on every request, as in Django REST
// framework; clients that make many requests should get a token. Token
// checks are not throttled: 256 random bits cannot be guessed.
//
// The client, for throttling, is rest.ClientKey(r): the host of
// r.RemoteAddr, an IPv6 address by its /64. A host behind a reverse proxy
// must set RemoteAddr to the client's address (from a header only its
// proxy can set) before this middleware, as rest.TrustProxies does;
// otherwise every client is the proxy: one allowance of failures for all,
// and one client every user has signed in from, to whom the per-username
// limit no longer applies.
func (a *Accounts) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok, err := a.Identify(r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		if ok {
			r = r.WithContext(gamekit.WithIdentity(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// Identify is Middleware's check of one request, for a host that needs it
// elsewhere (a websocket upgrade, say): the caller's identity and true; no
// identity and false for a request without credentials; or an error of kind
// gamekit.ErrUnauthenticated, gamekit.ErrRateLimited or an internal one.
func (a *Accounts) Identify(r *http.Request) (gamekit.Identity, bool, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return gamekit.Identity{}, false, nil
	}
	scheme, credentials, _ := strings.Cut(header, " ")
	var u User
	var err error
	switch {
	case strings.EqualFold(scheme, "basic"):
		var username, password string
		if username, password, err = basicCredentials(credentials); err == nil {
			u, err = a.authenticateBasic(r.Context(), username, password, rest.ClientKey(r))
		}
	case strings.EqualFold(scheme, "bearer"), strings.EqualFold(scheme, "token"):
		var token string
		if token, err = tokenCredentials(credentials); err == nil {
			u, err = a.UserByToken(r.Context(), token)
		}
	default:
		err = gamekit.Errorf(gamekit.ErrUnauthenticated,
			"Unsupported authorization scheme %q; use Basic, Bearer or Token.", scheme)
	}
	if err != nil {
		return gamekit.Identity{}, false, err
	}
	return u.Identity(), true, nil
}

// basicCredentials decodes HTTP Basic credentials, with Django REST
// framework's messages for malformed ones.
func basicCredentials(credentials string) (username, password string, err error) {
	switch {
	case credentials == "":
		return "", "", gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid basic header. No credentials provided.")
	case strings.Contains(credentials, " "):
		return "", "", gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid basic header. Credentials string should not contain spaces.")
	}
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return "", "", errBasicEncoding
	}
	username, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", errBasicEncoding
	}
	return username, password, nil
}

var errBasicEncoding = gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid basic header. Credentials not correctly base64 encoded.")

// tokenCredentials checks the token of a Bearer or Token header, with
// Django REST framework's messages.
func tokenCredentials(credentials string) (string, error) {
	switch {
	case credentials == "":
		return "", gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid token header. No credentials provided.")
	case strings.Contains(credentials, " "):
		return "", gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid token header. Token string should not contain spaces.")
	}
	return credentials, nil
}

// authenticateBasic is Authenticate for HTTP Basic, which sends the
// password with every request: a password verified in the last
// Options.CredentialCacheTTL is not compared by bcrypt again. Only correct
// passwords are remembered, so every wrong guess still costs bcrypt and
// counts against the throttle.
func (a *Accounts) authenticateBasic(ctx context.Context, username, password, client string) (User, error) {
	key := a.credentials.passwordKey(client, username, password)
	now := a.now()
	u, ok, epoch := a.credentials.get(key, now)
	if ok {
		return u, nil
	}
	u, err := a.Authenticate(ctx, username, password, client)
	if err == nil {
		a.credentials.put(key, u, now, time.Time{}, epoch)
	}
	return u, err
}
