package rest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{gamekit.Invalid("name", "This field is required."), 400, `{"name":["This field is required."]}`},
		{gamekit.Errorf(gamekit.ErrInvalid, "JSON parse error - x"), 400, `{"detail":"JSON parse error - x"}`},
		{gamekit.ErrUnauthenticated, 401, `{"detail":"Authentication credentials were not provided."}`},
		{gamekit.Errorf(gamekit.ErrUnauthenticated, "Invalid token."), 401, `{"detail":"Invalid token."}`},
		{gamekit.ErrForbidden, 403, `{"detail":"You do not have permission to perform this action."}`},
		{gamekit.Errorf(gamekit.ErrNotFound, "inventory: item not found"), 404, `{"detail":"Not found."}`},
		{gamekit.Errorf(gamekit.ErrConflict, "attack not allowed from evading"), 409, `{"detail":"attack not allowed from evading"}`},
		{&http.MaxBytesError{Limit: 10}, 413, `{"detail":"Request body is larger than 10 bytes."}`},
		{fmt.Errorf("x: %w", &gamekit.RateLimitError{RetryAfter: 1500 * time.Millisecond}), 429, `{"detail":"Request was throttled. Expected available in 2 seconds."}`},
		{errors.New("disk on fire"), 500, `{"detail":"A server error occurred."}`},
	} {
		rec := httptest.NewRecorder()
		rest.WriteError(rec, httptest.NewRequest("GET", "/", nil), tc.err)
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != tc.status || got != tc.body {
			t.Errorf("WriteError(%v): got %d %s, want %d %s", tc.err, rec.Code, got, tc.status, tc.body)
		}
	}
	rec := httptest.NewRecorder()
	rest.WriteError(rec, httptest.NewRequest("GET", "/", nil), &gamekit.RateLimitError{RetryAfter: 30 * time.Second})
	if got := rec.Header().Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After: got %v, want 30", got)
	}
	rec = httptest.NewRecorder()
	rest.WriteError(rec, httptest.NewRequest("GET", "/", nil), gamekit.ErrUnauthenticated)
	if rec.Header().Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

func TestAuthorization(t *testing.T) {
	for _, tc := range []struct {
		id              *gamekit.Identity
		signedIn, admin error
	}{
		{nil, gamekit.ErrUnauthenticated, gamekit.ErrUnauthenticated},
		{&gamekit.Identity{UserID: 1, Username: "p"}, nil, gamekit.ErrForbidden},
		{&gamekit.Identity{UserID: 2, Username: "a", Admin: true}, nil, nil},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.id != nil {
			r = r.WithContext(gamekit.WithIdentity(r.Context(), *tc.id))
		}
		if _, err := rest.SignedIn(r); err != tc.signedIn {
			t.Errorf("SignedIn(%v): got %v, want %v", tc.id, err, tc.signedIn)
		}
		if err := rest.Admin(r); err != tc.admin {
			t.Errorf("Admin(%v): got %v, want %v", tc.id, err, tc.admin)
		}
	}
}

// ?limit= and ?offset= take whole numbers in range: an offset near the
// largest int would overflow into a "next" link back to the first page.
func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  rest.Page
		bad   string
	}{
		{"", rest.Page{Limit: 100}, ""},
		{"limit=5", rest.Page{Limit: 5, Envelope: true}, ""},
		{"limit=500", rest.Page{Limit: 100, Envelope: true}, ""},
		{"offset=7", rest.Page{Limit: 100, Offset: 7, Envelope: true}, ""},
		{"limit=0", rest.Page{}, "limit"},
		{"limit=x", rest.Page{}, "limit"},
		{"offset=-1", rest.Page{}, "offset"},
		{"offset=9223372036854775807", rest.Page{}, "offset"},
		{fmt.Sprintf("offset=%d", rest.MaxOffset+1), rest.Page{}, "offset"},
	} {
		got, err := rest.ParsePage(httptest.NewRequest("GET", "/items/?"+tc.query, nil).URL.Query(), 100)
		var invalid *gamekit.InvalidError
		switch {
		case tc.bad == "" && (err != nil || got != tc.want):
			t.Errorf("%q: got %+v %v, want %+v", tc.query, got, err, tc.want)
		case tc.bad != "" && (!errors.As(err, &invalid) || invalid.Fields[tc.bad] == nil):
			t.Errorf("%q: got %+v %v, want a message for %s", tc.query, got, err, tc.bad)
		}
	}
}

// A path id is digits, as DRF's [0-9]+ converter takes: no sign, no space.
func TestID(t *testing.T) {
	mux := http.NewServeMux()
	var got []string
	mux.HandleFunc("/items/{id}/", func(w http.ResponseWriter, r *http.Request) {
		id, err := rest.ID(r, "id")
		got = append(got, fmt.Sprint(id, err != nil))
	})
	for _, path := range []string{"/items/1/", "/items/+1/", "/items/-1/", "/items/0/", "/items/01/", "/items/1x/", "/items/99999999999999999999/"} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	want := []string{"1 false", "0 true", "0 true", "0 true", "1 false", "0 true", "0 true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Reply and WriteList write what the store returned, or its error as
// WriteError would, and never both.
func TestReplyWritesTheErrorInstead(t *testing.T) {
	notFound := gamekit.Errorf(gamekit.ErrNotFound, "no such thing")
	for name, write := range map[string]func(w http.ResponseWriter, r *http.Request, err error){
		"Reply": func(w http.ResponseWriter, r *http.Request, err error) { rest.Reply(w, r, 201, []int{1}, err) },
		"WriteList": func(w http.ResponseWriter, r *http.Request, err error) {
			rest.WriteList(w, r, rest.Page{Limit: 10}, []int{1}, err, nil)
		},
	} {
		rec := httptest.NewRecorder()
		write(rec, httptest.NewRequest("GET", "/", nil), notFound)
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != 404 || got != `{"detail":"Not found."}` {
			t.Errorf("%s with an error: got %d %s, want 404 Not found", name, rec.Code, got)
		}
		rec = httptest.NewRecorder()
		write(rec, httptest.NewRequest("GET", "/", nil), nil)
		if got := strings.TrimSpace(rec.Body.String()); got != "[1]" {
			t.Errorf("%s without an error: got %d %s, want [1]", name, rec.Code, got)
		}
	}
}
