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
