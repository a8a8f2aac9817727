// Package apitest drives gamekit's HTTP handlers in tests: a real server on
// loopback, requests made as one of a few named callers, and JSON compared
// as JSON.
package apitest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
)

// Callers are the identities a test can act as: two players and an admin.
var Callers = map[string]gamekit.Identity{
	"alice": {UserID: 1, Username: "alice"},
	"bob":   {UserID: 2, Username: "bob"},
	"admin": {UserID: 3, Username: "admin", Admin: true},
}

// As returns the Authorization header that WithCallers reads as the named
// caller; "" is anonymous.
func As(caller string) string {
	if caller == "" {
		return ""
	}
	return "Caller " + caller
}

// WithCallers stands in for a host's authentication, which a package's
// handler tests do not test: "Authorization: Caller alice" puts
// Callers["alice"] on the request context.
func WithCallers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Caller "); ok {
			if id, ok := Callers[name]; ok {
				r = r.WithContext(gamekit.WithIdentity(r.Context(), id))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Server is an httptest.Server closed when the test ends.
type Server struct {
	*httptest.Server
	t testing.TB
}

// Serve serves h on loopback for the rest of the test.
func Serve(t testing.TB, h http.Handler) *Server {
	return ServeOn(t, h, nil)
}

// ServeOn is Serve with the listener wrapped, for a test that shapes the
// server's connections (their socket buffers, say); nil wraps nothing.
func ServeOn(t testing.TB, h http.Handler, wrap func(net.Listener) net.Listener) *Server {
	srv := httptest.NewUnstartedServer(h)
	if wrap != nil {
		srv.Listener = wrap(srv.Listener)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return &Server{Server: srv, t: t}
}

// Do sends a request with the given Authorization header ("" for none) and
// body ("" for none, else sent as JSON), and returns the status, the
// headers and the body.
func (s *Server) Do(authorization, method, path, body string) (int, http.Header, string) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// JSONEqual reports whether two JSON texts hold the same value, numbers
// compared as numbers (2 equals 2.0, as a DRF client sees it).
func JSONEqual(t testing.TB, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("response is not JSON: %v: %q", err, got)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}
