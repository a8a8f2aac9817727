package rest

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gamekit/gamekit"
)

// The message DRF gives for a NUL in a field (ProhibitNullCharactersValidator).
const nullCharacters = "Null characters are not allowed."

// CheckText refuses text that no database column can hold: a NUL, which
// PostgreSQL refuses and SQLite cuts the statement at, or invalid UTF-8,
// which PostgreSQL refuses. It returns an *gamekit.InvalidError naming
// field, so such text is a 400, never a 500 from the database.
func CheckText(field, text string) error {
	if problem := textProblem(text); problem != "" {
		return gamekit.Invalid(field, problem)
	}
	return nil
}

func textProblem(text string) string {
	switch {
	case strings.IndexByte(text, 0) >= 0:
		return nullCharacters
	case !utf8.ValidString(text):
		return "Enter valid UTF-8 text."
	}
	return ""
}

// CheckURL refuses a request whose path or query parameters hold text no
// database can hold (see CheckText), before any handler passes them to a
// store: such a path names nothing and is a 404, such a parameter a 400.
// Mux and API run it on every request; a host's own router runs it, or
// CheckRequest, itself.
func CheckURL(r *http.Request) error {
	if textProblem(r.URL.Path) != "" {
		return gamekit.ErrNotFound
	}
	raw := r.URL.RawQuery
	if strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, 0) < 0 && utf8.ValidString(raw) {
		return nil // nothing escaped, nothing invalid: the common case costs a scan
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return gamekit.Errorf(gamekit.ErrInvalid, "The query string is malformed.")
	}
	bad := &gamekit.InvalidError{}
	for name, vs := range values {
		if textProblem(name) != "" {
			bad.Add("query", "A parameter name holds null characters or invalid UTF-8.")
			continue
		}
		for _, v := range vs {
			if problem := textProblem(v); problem != "" {
				bad.Add(name, problem)
				break
			}
		}
	}
	return bad.Err()
}

// CheckRequest is CheckURL as middleware: a request whose path or query no
// database can hold is answered 404 or 400 and goes no further.
func CheckRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckURL(r); err != nil {
			WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
