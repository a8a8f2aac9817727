package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gamekit/gamekit/rest"
)

func TestVersionCache(t *testing.T) {
	version, calls := int64(1), 0
	h := rest.VersionCache(func(context.Context) (int64, error) { return version, nil },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			if r.URL.Query().Get("fail") != "" {
				http.Error(w, "no", http.StatusTeapot)
				return
			}
			w.Header().Set("Link", "next")
			fmt.Fprintf(w, "v%d %s %s", version, r.URL.RawQuery, r.Header.Get("Accept"))
		}))
	get := func(method, query, accept string) (int, string, string) {
		req := httptest.NewRequest(method, "/items/?"+query, nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header().Get("Link")
	}
	for _, tc := range []struct {
		method, query, accept string
		bump                  bool
		status                int
		body                  string
		calls                 int
	}{
		{"GET", "", "", false, 200, "v1  ", 1},
		{"GET", "", "", false, 200, "v1  ", 1},                                                     // replayed
		{"GET", "", "application/json; indent=4", false, 200, "v1  application/json; indent=4", 2}, // another Accept
		{"GET", "limit=1", "", false, 200, "v1 limit=1 ", 3},
		{"GET", "", "", true, 200, "v2  ", 4}, // the version moved
		{"GET", "fail=1", "", false, 418, "no\n", 5},
		{"GET", "fail=1", "", false, 418, "no\n", 6}, // errors are not kept
		{"POST", "", "", false, 200, "v2  ", 7},      // only GET is cached
	} {
		if tc.bump {
			version++
		}
		status, body, link := get(tc.method, tc.query, tc.accept)
		if status != tc.status || body != tc.body || calls != tc.calls || (status == 200 && link != "next") {
			t.Errorf("%s ?%s %q: got %d %q link %q after %d calls, want %d %q after %d",
				tc.method, tc.query, tc.accept, status, body, link, calls, tc.status, tc.body, tc.calls)
		}
	}
}
