package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

const adminPassword = "correct horse battery"

type site struct {
	t   *testing.T
	srv *apitest.Server
	b   *backend
}

// newSite runs the backend with the demo content on db.
func newSite(t *testing.T, db *bun.DB) *site {
	t.Helper()
	b, err := newBackend(db, config{register: true}, slog.New(slog.DiscardHandler), accounts.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if created, err := b.createDemo(context.Background(), adminPassword, slog.New(slog.DiscardHandler)); err != nil || !created {
		t.Fatalf("demo content: created %v, %v", created, err)
	}
	return &site{t: t, srv: apitest.Serve(t, b.handler), b: b}
}

func runSite(t *testing.T, fn func(t *testing.T, s *site)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) { fn(t, newSite(t, db)) }, migrations()...)
}

// do sends a request with the given Authorization header ("" for none).
func (s *site) do(auth, method, path, body string) (int, http.Header, string) {
	s.t.Helper()
	return s.srv.Do(auth, method, path, body)
}

func basic(user, password string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return req.Header.Get("Authorization")
}

// register signs a player up and returns a bearer Authorization header.
func (s *site) register(username string) string {
	s.t.Helper()
	creds := fmt.Sprintf(`{"username":%q,"password":"p4ssword-%s"}`, username, username)
	if status, _, body := s.do("", "POST", "/api/auth/register/", creds); status != 201 {
		s.t.Fatalf("register %s: %d %s", username, status, body)
	}
	status, _, body := s.do("", "POST", "/api/auth/token/", creds)
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.Token == "" || tok.ExpiresAt == "" {
		s.t.Fatalf("token for %s: %d %s", username, status, body)
	}
	return "Bearer " + tok.Token
}

// The tutorial's curl session, with HTTP Basic as with Django REST
// framework, gives the tutorial's JSON.
func TestTutorialSession(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		admin := basic("admin", adminPassword)
		status, _, body := s.do(admin, "GET", "/api/items/", "")
		if want := `[{"id":1,"name":"Guitar","weight":2.0},{"id":2,"name":"Piano","weight":10.0}]`; status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("curl -u admin:... /api/items/: got %d %s, want %s", status, body, want)
		}
		status, _, body = s.do(admin, "GET", "/api/inventories/?username=admin", "")
		if want := `[{"id":1,"user":1,"items":[1,2]}]`; status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("curl -u admin:... /api/inventories/?username=admin: got %d %s, want %s", status, body, want)
		}
		status, _, body = s.do("", "GET", "/api/", "")
		want := fmt.Sprintf(`{"items":"%[1]s/api/items/","inventories":"%[1]s/api/inventories/","monsters":"%[1]s/api/monsters/","players":"%[1]s/api/players/","leaderboards":"%[1]s/api/leaderboards/","chat":"%[1]s/api/chat/"}`, s.srv.URL)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("GET /api/: got %d %s, want %s", status, body, want)
		}
		status, _, body = s.do("", "GET", "/api/monsters/", "")
		if want := `[{"id":1,"state":"wandering","user_being_attacked":null,"health_points":10}]`; status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("GET /api/monsters/: got %d %s, want %s", status, body, want)
		}
		if status, _, body := s.do("", "GET", "/healthz", ""); status != 200 || !apitest.JSONEqual(t, body, `{"status":"ok"}`) {
			t.Errorf("GET /healthz: got %d %s", status, body)
		}
		if status, _, body := s.do("", "GET", "/api/nowhere/", ""); status != 404 || !apitest.JSONEqual(t, body, `{"detail":"Not found."}`) {
			t.Errorf("GET /api/nowhere/: got %d %s", status, body)
		}
		// The admin is mounted, and sends strangers (redirected) to its
		// sign-in page.
		if status, _, body := s.do("", "GET", "/admin/", ""); status != 200 || !strings.Contains(body, "<h1>Sign in</h1>") {
			t.Errorf("GET /admin/: got %d %.200s", status, body)
		}
		// Outside the API is the live page's ground.
		if status, _, _ := s.do("", "GET", "/nowhere", ""); status != 404 {
			t.Errorf("GET /nowhere: got %d", status)
		}
		if status, header, _ := s.do("", "GET", "/", ""); status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /: got %d %s", status, header.Get("Content-Type"))
		}
	})
}

// Who may do what, with real credentials: anonymous, a player, another
// player and an admin against every route.
func TestAuthorization(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		alice, bob := s.register("alice"), s.register("bob")
		admin := basic("admin", adminPassword)
		// alice's inventory is 2, bob's 3; the demo's items are 1 and 2.
		callers := []struct {
			name, auth string
		}{{"anonymous", ""}, {"alice", alice}, {"bob", bob}, {"admin", admin}}
		for _, tc := range []struct {
			method, path, body string
			want               [4]int // anonymous, alice, bob, admin
		}{
			{"GET", "/api/items/", "", [4]int{200, 200, 200, 200}},
			{"GET", "/api/items/1/", "", [4]int{200, 200, 200, 200}},
			{"POST", "/api/items/", `{"name":"Drum","weight":1}`, [4]int{401, 403, 403, 201}},
			{"PUT", "/api/items/1/", `{"name":"Guitar","weight":2}`, [4]int{401, 403, 403, 200}},
			{"PATCH", "/api/items/1/", `{"weight":2}`, [4]int{401, 403, 403, 200}},
			{"GET", "/api/inventories/", "", [4]int{401, 200, 200, 200}},
			{"GET", "/api/inventories/2/", "", [4]int{401, 200, 404, 200}},
			{"GET", "/api/inventories/3/", "", [4]int{401, 404, 200, 200}},
			{"PATCH", "/api/inventories/2/", `{"items":[1]}`, [4]int{401, 403, 403, 200}},
			{"PUT", "/api/inventories/2/", `{"user":2,"items":[1]}`, [4]int{401, 403, 403, 200}},
			{"POST", "/api/inventories/", `{"user":2}`, [4]int{401, 403, 403, 400}},
			{"DELETE", "/api/items/99/", "", [4]int{401, 403, 403, 404}},
			{"GET", "/api/monsters/1/", "", [4]int{200, 200, 200, 200}},
			{"GET", "/api/monsters/graph/", "", [4]int{200, 200, 200, 200}},
			{"PATCH", "/api/monsters/1/", `{"health_points":9}`, [4]int{401, 403, 403, 200}},
			{"POST", "/api/monsters/1/attack/", `{"user":2}`, [4]int{401, 403, 403, 200}},
			{"POST", "/api/monsters/1/wander/", "", [4]int{401, 403, 403, 200}},
			{"GET", "/api/monsters/1/history/", "", [4]int{200, 200, 200, 200}},
			{"DELETE", "/api/inventories/99/", "", [4]int{401, 403, 403, 404}},
		} {
			for i, c := range callers {
				if status, _, body := s.do(c.auth, tc.method, tc.path, tc.body); status != tc.want[i] {
					t.Errorf("%s %s as %s: got %d %s, want %d", tc.method, tc.path, c.name, status, body, tc.want[i])
				}
			}
		}
		// A player sees only their own inventory, whatever they ask for.
		for _, q := range []string{"", "?username=alice", "?username=bob", "?username=admin", "?limit=10"} {
			_, _, body := s.do(alice, "GET", "/api/inventories/"+q, "")
			if strings.Contains(body, `"user":1`) || strings.Contains(body, `"user":3`) {
				t.Errorf("alice asking %q sees another's inventory: %s", q, body)
			}
		}
		// Wrong credentials are refused, not served as anonymous.
		for _, auth := range []string{basic("admin", "wrong"), "Bearer nonsense", "Digest x"} {
			if status, _, _ := s.do(auth, "GET", "/api/items/", ""); status != 401 {
				t.Errorf("%q: got %d, want 401", auth, status)
			}
		}
	})
}

// Registering gives a player an inventory; logging out ends the token.
func TestAccountLifecycle(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		carol := s.register("carol")
		status, _, body := s.do(carol, "GET", "/api/inventories/", "")
		if status != 200 || !apitest.JSONEqual(t, body, `[{"id":2,"user":2,"items":[]}]`) {
			t.Errorf("carol's inventory: got %d %s", status, body)
		}
		if status, _, body := s.do("", "POST", "/api/auth/register/", `{"username":"carol","password":"another-pass"}`); status != 400 {
			t.Errorf("second carol: got %d %s, want 400", status, body)
		}
		if status, _, _ := s.do(carol, "POST", "/api/auth/logout/", ""); status != 204 {
			t.Errorf("logout: got %d, want 204", status)
		}
		if status, _, _ := s.do(carol, "GET", "/api/inventories/", ""); status != 401 {
			t.Errorf("after logout: got %d, want 401", status)
		}
	})
}

// Sign-in attempts are throttled per username: the sixth failure within a
// minute is answered 429 with Retry-After.
func TestSignInThrottled(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, migrations()...)
	s := newSite(t, db)
	for i := range 5 {
		if status, _, _ := s.do(basic("admin", "wrong"), "GET", "/api/items/", ""); status != 401 {
			t.Fatalf("failure %d: got %d, want 401", i+1, status)
		}
	}
	status, header, _ := s.do(basic("admin", adminPassword), "GET", "/api/items/", "")
	if status != 429 || header.Get("Retry-After") == "" {
		t.Errorf("after 5 failures: got %d Retry-After %q, want 429 with Retry-After", status, header.Get("Retry-After"))
	}
}

func TestRegistrationOff(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, migrations()...)
	b, err := newBackend(db, config{register: false}, slog.New(slog.DiscardHandler), accounts.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop(context.Background())
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, httptest.NewRequest("POST", "/api/auth/register/", strings.NewReader(`{"username":"x","password":"p4ssword!"}`)))
	if rec.Code != 403 {
		t.Errorf("register with -register=false: got %d %s, want 403", rec.Code, rec.Body)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The server starts on a new database with the demo content, serves, and
// shuts down cleanly when told to; started again, it creates nothing twice.
func TestServe(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "game.db")
	for round := range 2 {
		addr := freeAddr(t)
		var logs syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"-addr", addr, "-gift-interval", "1s"}, env(map[string]string{"GAMEKIT_DB": dbPath, "GAMEKIT_PASSWORD": adminPassword}),
				strings.NewReader(""), io.Discard, slog.New(slog.NewTextHandler(&logs, nil)))
		}()
		// Starting hashes passwords at bcrypt's full cost, which takes
		// seconds under the race detector: wait for it, up to a deadline.
		var res *http.Response
		var err error
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("server never answered: %v\n%s", err, logs.String())
		}
		res.Body.Close()
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/items/", nil)
		req.SetBasicAuth("admin", adminPassword)
		if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("items as admin: %v %v", res, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The demo content exists once, beside whatever gifts were given.
		if !strings.Contains(string(body), `{"id":1,"name":"Guitar","weight":2}`) || !strings.Contains(string(body), `{"id":2,"name":"Piano","weight":10}`) ||
			strings.Count(string(body), `"Guitar"`) != 1 || strings.Count(string(body), `"Piano"`) != 1 {
			t.Errorf("round %d: items %s", round, body)
		}
		// Gifts are announced live on the admin's private channel, through
		// the whole server (its logging wrapper included).
		header := http.Header{"Authorization": {basic("admin", adminPassword)}}
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", header)
		if err != nil {
			t.Fatalf("round %d: websocket: %v", round, err)
		}
		ws.SetReadDeadline(time.Now().Add(time.Minute))
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"verb":"subscribe","channel":"user.1"}`)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"ok":true`, `"event":"gift"`} {
			if _, msg, err := ws.ReadMessage(); err != nil || !strings.Contains(string(msg), want) {
				t.Fatalf("round %d: waiting for %s: got %s %v", round, want, msg, err)
			}
		}
		// The scheduler gives the current tick at once: a gift shows up in
		// the admin's inventory next to the Guitar and the Piano.
		var inv string
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			req, _ := http.NewRequest("GET", "http://"+addr+"/api/inventories/?username=admin", nil)
			req.SetBasicAuth("admin", adminPassword)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if inv = string(body); strings.Count(inv, ",") >= 4 { // id, user, and three items
				break
			}
		}
		if strings.Count(inv, ",") < 4 {
			t.Errorf("round %d: no gift for admin: %s\n%s", round, inv, logs.String())
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
		}
		// Stopping said goodbye to the websocket.
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			for err == nil { // skip the gifts that came before
				_, _, err = ws.ReadMessage()
			}
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Errorf("round %d: websocket ended with %v, want 1001", round, err)
			}
		}
		ws.Close()
		created := strings.Contains(logs.String(), "demo content created")
		if created != (round == 0) {
			t.Errorf("round %d: demo content created = %v\n%s", round, created, logs.String())
		}
		if !strings.Contains(logs.String(), "stopped") {
			t.Errorf("round %d: no clean stop in the log:\n%s", round, logs.String())
		}
	}
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "game.db")
	quiet := slog.New(slog.DiscardHandler)
	none := env(nil)
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"migrate", []string{"migrate", "-db", dbPath}, nil, ""},
		{"migrate again", []string{"migrate"}, map[string]string{"GAMEKIT_DB": dbPath}, ""},
		{"superuser", []string{"createsuperuser", "-db", dbPath, "-username", "root", "-password", "s3cret-pass"}, nil, ""},
		{"superuser from env", []string{"createsuperuser", "-username", "root2"}, map[string]string{"GAMEKIT_DB": dbPath, "GAMEKIT_PASSWORD": "s3cret-pass"}, ""},
		{"taken", []string{"createsuperuser", "-db", dbPath, "-username", "root", "-password", "s3cret-pass"}, nil, "already exists"},
		{"no password, no terminal", []string{"createsuperuser", "-db", dbPath, "-username", "x"}, nil, "no password"},
		{"no username", []string{"createsuperuser", "-db", dbPath, "-password", "s3cret-pass"}, nil, "-username is required"},
		{"short password", []string{"createsuperuser", "-db", dbPath, "-username", "y", "-password", "short"}, nil, "password"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"unknown flag", []string{"migrate", "-nope"}, nil, "flag provided but not defined"},
		{"bad env value", []string{"-addr", "127.0.0.1:0"}, map[string]string{"GAMEKIT_DEMO": "maybe"}, "GAMEKIT_DEMO"},
	} {
		getenv := none
		if tc.env != nil {
			getenv = env(tc.env)
		}
		err := run(ctx, tc.args, getenv, strings.NewReader(""), io.Discard, quiet)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.wantErr)
		}
	}
	// The flag on the command line wins over the environment.
	cfgDB := filepath.Join(t.TempDir(), "flag.db")
	err := run(ctx, []string{"migrate", "-db", cfgDB}, env(map[string]string{"GAMEKIT_DB": "/nonexistent/dir/x.db"}), nil, io.Discard, quiet)
	if err != nil {
		t.Errorf("flag over env: %v", err)
	}
}

// Every package's migrations merge into one set: no two share a version.
func TestMigrationsMerge(t *testing.T) {
	merged, err := storage.Merge(migrations()...)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, set := range migrations() {
		want += len(set.Sorted())
	}
	if got := len(merged.Sorted()); got != want || got < 4 {
		t.Errorf("merged migrations: got %d, want %d (one or more per package)", got, want)
	}
	// A package whose version clashed would be refused.
	if _, err := storage.Merge(append(migrations(), inventory.Migrations())...); err == nil {
		t.Error("a clashing version merged")
	}
}

// A NUL or invalid UTF-8 anywhere in a URL, as a path segment or a query
// parameter, is refused before a store sees it, on every route of the
// whole server and on both databases: 404 for a path that names nothing,
// 400 for a parameter, never a 500.
func TestUnstorableURLs(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		admin := basic("admin", adminPassword)
		for _, bad := range []string{"%00", "a%00b", "%ff"} {
			for _, tc := range []struct {
				method, path string
				status       int
			}{
				{"GET", "/api/items/?search=" + bad, 400},
				{"GET", "/api/inventories/?username=" + bad, 400},
				{"GET", "/api/leaderboards/?limit=" + bad, 400},
				{"GET", "/api/items/" + bad + "/", 404},
				{"GET", "/api/inventories/" + bad + "/", 404},
				{"GET", "/api/monsters/" + bad + "/", 404},
				{"GET", "/api/players/" + bad + "/", 404},
				{"GET", "/api/leaderboards/" + bad + "/", 404},
				{"GET", "/api/leaderboards/" + bad + "/records/", 404},
				{"POST", "/api/leaderboards/" + bad + "/reset/", 404},
				{"GET", "/api/chat/" + bad + "/messages/", 404},
				{"GET", "/api/" + bad + "/", 404},
			} {
				for _, auth := range []string{"", admin} {
					if status, _, body := s.do(auth, tc.method, tc.path, ""); status != tc.status {
						t.Errorf("%s %s (auth %v): got %d %s, want %d", tc.method, tc.path, auth != "", status, body, tc.status)
					}
				}
			}
		}
	})
}
