package accounts

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// Handler serves the sign-in routes, relative to where the host mounts it
// (with http.StripPrefix), with the trailing slash optional:
//
//	POST /auth/register/  {"username", "password"} → 201 {"id", "username"};
//	                      400 with field errors; 403 when registration is off;
//	                      429 when the client address has registered enough
//	                      (Options.MaxRegistrationsPerIP) or is refused
//	                      sign-ins for its failures (Options.MaxFailuresPerIP)
//	POST /auth/token/     {"username", "password"} → 200 {"token", "expires_at"};
//	                      400 {"non_field_errors": [...]} for wrong credentials,
//	                      as Django REST framework's obtain_auth_token; 429 when throttled
//	POST /auth/logout/    with "Authorization: Bearer <token>" → 204, the token
//	                      revoked; 401 without a valid token
//
// Bodies are strict JSON (unknown fields, duplicate keys and the like are a
// 400). The handler reads credentials itself, so it works with or without
// Middleware in front of it.
func (a *Accounts) Handler() http.Handler {
	return a.mux
}

func (a *Accounts) routes() *rest.Mux {
	mux := rest.NewMux(a.logger)
	mux.Handle("/auth/register", onlyPost(a.register))
	mux.Handle("/auth/token", onlyPost(a.token))
	mux.Handle("/auth/logout", onlyPost(a.logout))
	return mux
}

// onlyPost answers other methods 405 in Django REST framework's words.
func onlyPost(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			rest.MethodNotAllowed(w, r)
			return
		}
		next(w, r)
	})
}

// credentialsBody is what register and token read.
type credentialsBody struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// read decodes the body and reports missing fields as DRF does.
func (b *credentialsBody) read(w http.ResponseWriter, r *http.Request) error {
	if err := rest.Decode(w, r, b); err != nil {
		return err
	}
	bad := &gamekit.InvalidError{}
	if b.Username == nil {
		bad.Add("username", "This field is required.")
	}
	if b.Password == nil {
		bad.Add("password", "This field is required.")
	}
	return bad.Err()
}

type registered struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

func (a *Accounts) register(w http.ResponseWriter, r *http.Request) {
	if !a.registration {
		rest.WriteError(w, r, ErrRegistrationDisabled)
		return
	}
	var body credentialsBody
	if err := body.read(w, r); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	// Input that would be refused anyway is, before the throttle, so a
	// typo does not use up the address's allowance.
	bad := &gamekit.InvalidError{}
	validUsername(bad, *body.Username)
	validPassword(bad, *body.Password)
	if err := bad.Err(); err != nil {
		rest.WriteError(w, r, err)
		return
	}
	u, err := a.registerFrom(r.Context(), *body.Username, *body.Password, rest.ClientKey(r))
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusCreated, registered{ID: u.ID, Username: u.Username})
}

// registerFrom creates a player for a client (rest.ClientKey), at most
// Options.MaxRegistrationsPerIP per Options.RegistrationWindow from one
// client: every user costs an inventory, a player and a gift every tick
// for as long as the server runs. A client the sign-in throttle refuses
// for its failures (Options.MaxFailuresPerIP) is refused too: it is
// guessing passwords, and is given no accounts meanwhile. A refused
// registration is a *gamekit.RateLimitError, logged as a warning.
func (a *Accounts) registerFrom(ctx context.Context, username, password, client string) (u User, err error) {
	client = rest.AddressKey(client)
	var end func(count bool)
	if err = a.throttle.check(a.addressKey(client)); err == nil {
		end, err = a.throttle.begin(ctx, throttleKey{kind: "registration", name: "register:" + client,
			limit: a.maxSignups, window: a.signupWindow})
	}
	if limited, ok := err.(*limitError); ok {
		a.logger.WarnContext(ctx, "accounts: registration throttled", "username", username, "client", client,
			"limit", limited.key.kind, "retry_after", limited.retryAfter)
		return User{}, &gamekit.RateLimitError{RetryAfter: limited.retryAfter}
	}
	if err != nil {
		return User{}, wrap(err, "register")
	}
	// A stored user counts, and so does a username found taken (the
	// input was valid otherwise): it cost a bcrypt hash, and it tells the
	// client which usernames exist.
	defer func() { end(err == nil || errors.Is(err, gamekit.ErrInvalid)) }()
	return a.CreateUser(ctx, username, password, false)
}

type issued struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

func (a *Accounts) token(w http.ResponseWriter, r *http.Request) {
	var body credentialsBody
	err := body.read(w, r)
	if err == nil {
		bad := &gamekit.InvalidError{}
		if *body.Username == "" {
			bad.Add("username", "This field may not be blank.")
		}
		if *body.Password == "" {
			bad.Add("password", "This field may not be blank.")
		}
		err = bad.Err()
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	u, err := a.Authenticate(r.Context(), *body.Username, *body.Password, rest.ClientKey(r))
	if errors.Is(err, ErrBadCredentials) {
		// A form's complaint, not an authentication challenge: DRF's
		// obtain_auth_token answers 400 here, and clients expect it.
		err = gamekit.Invalid("non_field_errors", "Unable to log in with provided credentials.")
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	token, expiresAt, err := a.IssueToken(r.Context(), u.ID)
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	rest.WriteJSON(w, r, http.StatusOK, issued{Token: token, ExpiresAt: expiresAt.UTC().Format(time.RFC3339)})
}

var errNoToken = gamekit.Errorf(gamekit.ErrUnauthenticated,
	"Sign out by sending the token to revoke: Authorization: Bearer <token>.")

func (a *Accounts) logout(w http.ResponseWriter, r *http.Request) {
	scheme, credentials, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if s := strings.ToLower(scheme); s != "bearer" && s != "token" {
		rest.WriteError(w, r, errNoToken)
		return
	}
	token, err := tokenCredentials(credentials)
	if err == nil {
		err = a.Revoke(r.Context(), token)
	}
	if err != nil {
		rest.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
