package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/rest"
)

// CookieName is the name of the session cookie. It holds an accounts token
// (of which the database keeps only a hash), is HttpOnly (no script reads
// it), SameSite=Strict (no other site's page sends it), Secure when the
// request came over TLS, and expires with its token.
const CookieName = "gamekit_admin"

// maxFormBytes bounds a form body, as the API bounds a JSON one.
const maxFormBytes = 1 << 20

// signInRefused is what a refused sign-in says, whether the password was
// wrong or the user is no admin, so the page tells a guesser nothing about
// which (Django's words).
const signInRefused = "Please enter the correct username and password for an admin account. Note that both fields may be case-sensitive."

// session is a signed-in admin's request.
type session struct {
	user  accounts.User
	token string
}

// handlerFunc is a page that needs an admin's session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session)

// errNotAdmin is a valid token of a user who is not (or no longer) an
// admin.
var errNotAdmin = gamekit.Errorf(gamekit.ErrForbidden, "admin: not an admin")

// authenticated runs h for a request with an admin's session, and sends
// anyone else to the sign-in page: a page they asked for with GET comes
// back after signing in.
func (a *Admin) authenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.session(r)
		switch {
		case err == nil:
			if err := checkInput(r); err != nil {
				a.fail(w, r, s, err)
				return
			}
			h(w, r, s)
		case errors.Is(err, gamekit.ErrUnauthenticated), errors.Is(err, gamekit.ErrForbidden):
			if _, cerr := r.Cookie(CookieName); cerr == nil {
				a.clearCookie(w, r)
			}
			target := a.path("signin")
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
		default:
			a.renderError(w, r, nil, http.StatusInternalServerError, "")
			a.logger.ErrorContext(r.Context(), "admin: session", "err", err)
		}
	})
}

// session returns the admin the request's cookie belongs to: an error of
// kind gamekit.ErrUnauthenticated without a valid one, errNotAdmin for a
// user who is not an admin.
func (a *Admin) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, gamekit.ErrUnauthenticated
	}
	u, err := a.acc.UserByToken(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if !u.Admin {
		return nil, errNotAdmin
	}
	return &session{user: u, token: c.Value}, nil
}

type signInView struct {
	Form *form
	Next string
}

func (a *Admin) signInPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, nil, http.StatusOK, "signin", "Sign in",
		signInView{Form: newForm(nil), Next: a.safeNext(r.URL.Query().Get("next"))})
}

// signIn checks the username and password with accounts (throttled by
// username and client address) and lets admins alone in.
func (a *Admin) signIn(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(w, r, "username")
	if err != nil {
		a.renderError(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := a.safeNext(r.PostForm.Get("next"))
	refuse := func(status int, msg string) {
		f.general = append(f.general, msg)
		a.render(w, r, nil, status, "signin", "Sign in", signInView{Form: f, Next: next})
	}
	u, err := a.acc.Authenticate(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("password"), rest.ClientKey(r))
	var limited *gamekit.RateLimitError
	switch {
	case errors.As(err, &limited):
		seconds := int((limited.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		refuse(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Try again in %d seconds.", seconds))
		return
	case errors.Is(err, gamekit.ErrUnauthenticated):
		refuse(http.StatusUnauthorized, signInRefused)
		return
	case err != nil:
		a.fail(w, r, nil, err)
		return
	case !u.Admin:
		a.logger.InfoContext(r.Context(), "admin: sign-in refused: not an admin", "user", u.ID)
		refuse(http.StatusForbidden, signInRefused)
		return
	}
	if err := a.startSession(w, r, u.ID); err != nil {
		a.fail(w, r, nil, err)
		return
	}
	a.record(r, &session{user: u}, "sign in", "session", 0, nil, nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut revokes the session's token, so the cookie is worthless even if
// it was copied.
func (a *Admin) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := a.acc.Revoke(r.Context(), s.token); err != nil && !errors.Is(err, accounts.ErrInvalidToken) {
		a.fail(w, r, s, err)
		return
	}
	a.clearCookie(w, r)
	a.record(r, s, "sign out", "session", 0, nil, nil)
	http.Redirect(w, r, a.path("signin"), http.StatusSeeOther)
}

// startSession issues the user a token of the session lifetime and sets
// the cookie that holds it.
func (a *Admin) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	token, expires, err := a.acc.IssueTokenFor(r.Context(), userID, a.lifetime)
	if err != nil {
		return err
	}
	a.setCookie(w, r, token, expires)
	return nil
}

func (a *Admin) setCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     a.prefix + "/",
		Expires:  expires,
		MaxAge:   max(1, int(expires.Sub(a.now()).Seconds())),
		HttpOnly: true,
		Secure:   a.secure || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}

func (a *Admin) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Path: a.prefix + "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// notPathRune is a character no path the admin links to has: a backslash
// (which browsers read as a slash), a space or a control character.
func notPathRune(r rune) bool { return r == '\\' || r == ' ' || unicode.IsControl(r) }

// safeNext returns next if it is a path of the admin's own, and the
// dashboard otherwise, so the sign-in page cannot send anyone elsewhere.
func (a *Admin) safeNext(next string) string {
	if !strings.HasPrefix(next, a.prefix+"/") || strings.ContainsFunc(next, notPathRune) ||
		strings.HasPrefix(next, a.prefix+"/signin") {
		return a.prefix + "/"
	}
	return next
}

// checkInput refuses, before any page sees them, query parameters and form
// fields no database column can hold (rest.CheckText): a NUL or invalid
// UTF-8 in a search box is a 400, never a 500 from the database.
func checkInput(r *http.Request) error {
	if err := rest.CheckURL(r); err != nil {
		return err
	}
	if r.Method != http.MethodPost {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return gamekit.Errorf(gamekit.ErrInvalid, "The form is malformed.")
	}
	for name, values := range r.PostForm {
		for _, v := range values {
			if err := rest.CheckText(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}
