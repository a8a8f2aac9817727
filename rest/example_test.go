package rest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// A host serves several packages' handlers (inventory.NewHandler,
// enemies.NewHandler, ...) and its own under /api/ with one API: the
// trailing slash is optional, GET /api/ lists what is mounted, and
// anything else gets DRF's JSON errors. Its own handlers answer with
// WriteJSON and WriteError, like gamekit's.
func ExampleAPI() {
	scores := rest.NewMux(nil)
	scores.HandleFunc("/scores", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteJSON(w, r, http.StatusOK, []map[string]any{{"id": 1, "name": "alice", "points": 3}})
	})
	scores.HandleFunc("/scores/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := rest.ID(r, "id")
		if err == nil && id != 1 {
			err = gamekit.ErrNotFound
		}
		if err == nil && r.Method != http.MethodGet {
			err = rest.Admin(r) // an anonymous caller: 401
		}
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		rest.WriteJSON(w, r, http.StatusOK, map[string]any{"id": 1, "name": "alice", "points": 3})
	})
	news := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest.WriteJSON(w, r, http.StatusOK, []string{"Season 2 starts on Monday."})
	})

	api := rest.NewAPI("/api")
	api.Mount(scores, "scores")
	api.Mount(news, "news")
	mux := http.NewServeMux()
	api.Register(mux)

	for _, req := range []struct{ method, path string }{
		{"GET", "/api/"},
		{"GET", "/api/scores"},
		{"GET", "/api/scores/1/"},
		{"DELETE", "/api/scores/1/"},
		{"GET", "/api/scores/2/"},
		{"GET", "/api/news/"},
		{"GET", "/api/nothing/"},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(req.method, "http://game.example"+req.path, nil))
		body, _ := io.ReadAll(w.Result().Body)
		fmt.Printf("%s %s: %d %s", req.method, req.path, w.Code, body)
	}
	// Output:
	// GET /api/: 200 {"scores":"http://game.example/api/scores/","news":"http://game.example/api/news/"}
	// GET /api/scores: 200 [{"id":1,"name":"alice","points":3}]
	// GET /api/scores/1/: 200 {"id":1,"name":"alice","points":3}
	// DELETE /api/scores/1/: 401 {"detail":"Authentication credentials were not provided."}
	// GET /api/scores/2/: 404 {"detail":"Not found."}
	// GET /api/news/: 200 ["Season 2 starts on Monday."]
	// GET /api/nothing/: 404 {"detail":"Not found."}
}

// A server behind a load balancer at 10.0.0.0/8 sees each client's own
// address in r.RemoteAddr, so throttles, websocket caps and logs key on
// the player rather than on the balancer.
func ExampleTrustProxies() {
	trusted, err := rest.ParsePrefixes("10.0.0.0/8")
	if err != nil {
		panic(err)
	}
	handler := rest.TrustProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.RemoteAddr, rest.AbsoluteURL(r, "/api/"))
	}))

	r := httptest.NewRequest("GET", "http://game.example/api/", nil)
	r.RemoteAddr = "10.0.0.2:51000" // the balancer
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	handler.ServeHTTP(httptest.NewRecorder(), r)
	// Output: 198.51.100.7:0 https://game.example/api/
}
