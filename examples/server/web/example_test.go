package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gamekit/gamekit/examples/server/web"
)

// A host mounts the page at "/" beside its API; the realtime client is
// then at /gamekit.js for any page of its own to import.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/api/", http.NotFoundHandler()) // the host's API
	mux.Handle("/", web.Handler())

	for _, path := range []string{"/", "/gamekit.js", "/missing.js"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code, rec.Header().Get("Content-Type"))
	}
	// Output:
	// / 200 text/html; charset=utf-8
	// /gamekit.js 200 text/javascript; charset=utf-8
	// /missing.js 404 text/plain; charset=utf-8
}
