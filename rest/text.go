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

// CheckQuery applies CheckText to every query parameter of r. Mux and API
// run it on every request, so no handler passes such a parameter to a
// store; a host's own router runs it, or CheckRequest, itself.
func CheckQuery(r *http.Request) error {
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

// CheckRequest is CheckQuery as middleware: a request with a query
// parameter no database can hold is answered 400 and goes no further.
func CheckRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckQuery(r); err != nil {
			WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
