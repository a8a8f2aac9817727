package rest_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gamekit/gamekit/rest"
)

// An API serves each mounted package under its prefix with or without the
// trailing slash, lists its collections at the prefix, and answers
// anything else under the prefix with DRF's JSON bodies.
func TestAPI(t *testing.T) {
	echo := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rest.WriteJSON(w, r, http.StatusOK, map[string]string{"handler": name, "path": r.URL.Path})
		})
	}
	api := rest.NewAPI("/api")
	api.Mount(echo("inventory"), "items", "inventories")
	mux := http.NewServeMux()
	api.Register(mux)
	api.Handle("auth", echo("auth")) // after Register
	for name, h := range map[string]http.Handler{"on a ServeMux": mux, "alone": api} {
		t.Run(name, func(t *testing.T) { testAPI(t, h) })
	}
}

func testAPI(t *testing.T, h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/api/items", 200, `{"handler":"inventory","path":"/items"}`},
		{"GET", "/api/items/", 200, `{"handler":"inventory","path":"/items/"}`},
		{"GET", "/api/items/1/", 200, `{"handler":"inventory","path":"/items/1/"}`},
		{"GET", "/api/inventories", 200, `{"handler":"inventory","path":"/inventories"}`},
		{"POST", "/api/auth/token/", 200, `{"handler":"auth","path":"/auth/token/"}`},
		{"GET", "/api/", 200, `{"items":"` + srv.URL + `/api/items/","inventories":"` + srv.URL + `/api/inventories/"}`},
		{"GET", "/api", 200, `{"items":"` + srv.URL + `/api/items/","inventories":"` + srv.URL + `/api/inventories/"}`},
		{"DELETE", "/api/", 405, `{"detail":"Method \"DELETE\" not allowed."}`},
		{"GET", "/api/monsters/", 404, `{"detail":"Not found."}`},
		{"GET", "/api/itemsx", 404, `{"detail":"Not found."}`},
		{"GET", "/api/items/?search=%00", 400, `{"search":["Null characters are not allowed."]}`},
		{"GET", "/api/items/?search=%ff", 400, `{"search":["Enter valid UTF-8 text."]}`},
		{"GET", "/api/items/%00/", 404, `{"detail":"Not found."}`},
		{"GET", "/api/items/a%ffb/", 404, `{"detail":"Not found."}`},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
			t.Errorf("%s %s: got %d %s, want %d %s", tc.method, tc.path, res.StatusCode, body, tc.status, tc.body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want application/json", tc.method, tc.path, ct)
		}
	}
}

// A Mux's Logger receives the errors its handlers answer with 500; the
// client sees no internals.
func TestMuxLogger(t *testing.T) {
	var logs bytes.Buffer
	mux := rest.NewMux(slog.New(slog.NewTextHandler(&logs, nil)))
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteError(w, r, io.ErrUnexpectedEOF)
	})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/boom/", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "EOF") {
		t.Errorf("got %d %s, want 500 without the error's text", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "unexpected EOF") || !strings.Contains(logs.String(), "/boom/") {
		t.Errorf("the Mux's logger got %q, want the error and the path", logs.String())
	}
	// A request that carries a host's logger on its context is still
	// logged to the Mux's own.
	logs.Reset()
	var host bytes.Buffer
	req := httptest.NewRequest("GET", "/boom/", nil)
	req = req.WithContext(rest.WithLogger(req.Context(), slog.New(slog.NewTextHandler(&host, nil))))
	mux.ServeHTTP(httptest.NewRecorder(), req)
	if !strings.Contains(logs.String(), "unexpected EOF") || host.Len() != 0 {
		t.Errorf("with the host's logger on the request: the Mux's logger got %q, the host's %q; want the error in the Mux's only", logs.String(), host.String())
	}
}
