package players_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage/storagetest"
)

type api struct {
	t   *testing.T
	env *env
	srv *apitest.Server
	p   players.Player // alice's, at (0, 0)
	b   players.Player // bob's, at (999.5, -3)
}

func runAPI(t *testing.T, opts *players.HandlerOptions, fn func(t *testing.T, a *api)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newAPI(t, db, opts))
	}, players.Migrations())
}

func newAPI(t *testing.T, db *bun.DB, opts *players.HandlerOptions) *api {
	t.Helper()
	e := newEnv(t, db, nil)
	h, err := players.NewHandler(e.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	a := &api{t: t, env: e, srv: apitest.Serve(t, apitest.WithCallers(mux)),
		p: mustPlayer(t, e.store, alice, "alice", 0, 0),
		b: mustPlayer(t, e.store, bob, "bob", 999.5, -3)}
	e.events.Take()
	return a
}

type call struct {
	caller, method, path, body string
	status                     int
	want                       string // JSON, or "" not to check
}

func (a *api) check(calls []call) {
	a.t.Helper()
	for _, tc := range calls {
		status, _, body := a.srv.Do(apitest.As(tc.caller), tc.method, tc.path, tc.body)
		if status != tc.status || (tc.want != "" && !apitest.JSONEqual(a.t, body, tc.want)) {
			a.t.Errorf("%s %s %s as %q: got %d %s, want %d %s", tc.method, tc.path, tc.body, tc.caller, status, body, tc.status, tc.want)
		}
	}
}

const (
	notFound        = `{"detail":"Not found."}`
	unauthenticated = `{"detail":"Authentication credentials were not provided."}`
)

func playerJSON(p players.Player) string {
	return fmt.Sprintf(`{"id":%d,"user":%d,"position_x":%v,"position_y":%v}`, p.ID, p.UserID, p.X, p.Y)
}

func TestReadRoutes(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		p, b := playerJSON(a.p), playerJSON(a.b)
		a.check([]call{
			{"alice", "GET", "/api/players/", "", 200, "[" + p + "," + b + "]"},
			{"alice", "GET", "/api/players", "", 200, "[" + p + "," + b + "]"},
			{"", "GET", "/api/players/", "", 401, `{"detail":"Authentication credentials were not provided."}`},
			{"", "GET", fmt.Sprintf("/api/players/%d/", a.p.ID), "", 401, `{"detail":"Authentication credentials were not provided."}`},
			{"alice", "GET", "/api/players/?user=2", "", 200, "[" + b + "]"},
			{"alice", "GET", "/api/players/?user=3", "", 200, "[]"},
			{"alice", "GET", "/api/players/?user=bob", "", 400, `{"user":["A valid integer is required."]}`},
			{"alice", "GET", "/api/players/?user=0", "", 400, `{"user":["Ensure this value is greater than or equal to 1."]}`},
			{"alice", "GET", "/api/players/?ordering=-id", "", 200, "[" + b + "," + p + "]"},
			{"alice", "GET", "/api/players/?ordering=-position_x", "", 200, "[" + b + "," + p + "]"},
			{"alice", "GET", "/api/players/?ordering=position_y", "", 200, "[" + b + "," + p + "]"},
			{"alice", "GET", "/api/players/?ordering=-user", "", 200, "[" + b + "," + p + "]"},
			// The API shows no usernames, so it does not sort by them.
			{"alice", "GET", "/api/players/?ordering=username", "", 400, `{"ordering":["Unknown sort \"username\"."]}`},
			{"alice", "GET", "/api/players/?ordering=colour", "", 400, `{"ordering":["Unknown sort \"colour\"."]}`},
			{"alice", "GET", "/api/players/?limit=1&ordering=-id", "", 200, fmt.Sprintf(
				`{"count":2,"next":"%s/api/players/?limit=1&offset=1&ordering=-id","previous":null,"results":[%s]}`, a.srv.URL, b)},
			{"alice", "GET", "/api/players/?offset=1&limit=1&user=1", "", 200,
				fmt.Sprintf(`{"count":1,"next":null,"previous":"%s/api/players/?limit=1&user=1","results":[]}`, a.srv.URL)},
			{"alice", "GET", "/api/players/?limit=x", "", 400, `{"limit":["Ensure this value is a positive integer."]}`},
			{"alice", "GET", fmt.Sprintf("/api/players/%d/", a.p.ID), "", 200, p},
			{"bob", "GET", fmt.Sprintf("/api/players/%d", a.p.ID), "", 200, p},
			{"alice", "GET", fmt.Sprintf("/api/players/%d/", a.b.ID+1), "", 404, notFound},
			{"alice", "GET", "/api/players/x/", "", 404, notFound},
			{"alice", "GET", "/api/players/-1/", "", 404, notFound},
			{"", "GET", "/api/players/1/2/3/", "", 404, notFound},
			// Reads only: the admin manages players through the Store.
			{"admin", "POST", "/api/players/", `{"user":1}`, 405, `{"detail":"Method \"POST\" not allowed."}`},
			{"admin", "DELETE", fmt.Sprintf("/api/players/%d/", a.p.ID), "", 405, `{"detail":"Method \"DELETE\" not allowed."}`},
			{"admin", "PUT", fmt.Sprintf("/api/players/%d/", a.p.ID), `{"position_x":5}`, 405, `{"detail":"Method \"PUT\" not allowed."}`},
			{"alice", "GET", fmt.Sprintf("/api/players/%d/move/", a.p.ID), "", 405, `{"detail":"Method \"GET\" not allowed."}`},
		})
	})
}

func TestMoveRoute(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		move := fmt.Sprintf("/api/players/%d/move/", a.p.ID)
		bobs := fmt.Sprintf("/api/players/%d/move", a.b.ID)
		at := func(x, y float64) string { return playerJSON(players.Player{ID: a.p.ID, UserID: alice, X: x, Y: y}) }
		a.check([]call{
			{"", "POST", move, `{"dx":1}`, 401, unauthenticated},
			{"bob", "POST", move, `{"dx":1}`, 403,
				fmt.Sprintf(`{"detail":"players: player %d belongs to another user: only its owner may move it"}`, a.p.ID)},
			{"admin", "POST", move, `{"dx":1}`, 403, ""}, // an admin is not the owner either
			{"alice", "POST", fmt.Sprintf("/api/players/%d/move/", a.b.ID+1), `{"dx":1}`, 404, notFound},
			{"alice", "POST", "/api/players/x/move/", `{"dx":1}`, 404, notFound},
			{"alice", "POST", move, `{"dx":1.5}`, 400, `{"dx":["Ensure this value is between -1 and 1."]}`},
			{"alice", "POST", move, `{"dx":-1.5,"dy":2}`, 400,
				`{"dx":["Ensure this value is between -1 and 1."],"dy":["Ensure this value is between -1 and 1."]}`},
			{"alice", "POST", move, `{"dx":"1"}`, 400, `{"dx":["A valid number is required."]}`},
			{"alice", "POST", move, `{"dx":1e400}`, 400, ""},
			{"alice", "POST", move, `{"dx":NaN}`, 400, ""},
			{"alice", "POST", move, `{"dx":1,"dx":1}`, 400, `{"dx":["This key appears more than once."]}`},
			{"alice", "POST", move, `{"dx":1,"position_x":50}`, 400, `{"position_x":["This field is not allowed."]}`},
			{"alice", "POST", move, `{"dx":1} {}`, 400, ""},
			{"alice", "POST", move, `{"dx":1,"dy":-1}`, 200, at(1, -1)},
			{"alice", "POST", strings.TrimSuffix(move, "/"), `{"dy":0.5}`, 200, at(1, -0.5)},
			{"alice", "POST", move, `{}`, 200, at(1, -0.5)},
			{"alice", "POST", move, "", 200, at(1, -0.5)},
			{"bob", "POST", bobs, `{"dx":1}`, 400, `{"dx":["Ensure this move keeps position_x between -1000 and 1000; it would be 1000.5."]}`},
			{"bob", "POST", bobs, `{"dx":0.5,"dy":1}`, 200,
				playerJSON(players.Player{ID: a.b.ID, UserID: bob, X: 1000, Y: -2})},
		})
		if got := mustGet(t, a.env.store, a.p.ID); got.X != 1 || got.Y != -0.5 {
			t.Errorf("stored after the moves: got %+v, want (1, -0.5)", got)
		}
		// Four moves of alice's were saved and announced; bob's one too.
		if n := len(a.env.events.Take()); n != 5 {
			t.Errorf("%d events, want 5", n)
		}
	})
}

// The 11th move in a second is a 429 whose Retry-After says when to come
// back; after the window, moves are accepted again.
func TestMoveRouteRateLimit(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		move := fmt.Sprintf("/api/players/%d/move/", a.p.ID)
		for i := range players.DefaultRate {
			dx := 1 - 2*(i%2) // there and back
			if status, _, body := a.srv.Do(apitest.As("alice"), "POST", move, fmt.Sprintf(`{"dx":%d}`, dx)); status != 200 {
				t.Fatalf("move %d: got %d %s", i+1, status, body)
			}
		}
		a.env.clock.Advance(300 * time.Millisecond)
		status, header, body := a.srv.Do(apitest.As("alice"), "POST", move, `{"dx":1}`)
		if status != 429 || header.Get("Retry-After") != "1" ||
			!apitest.JSONEqual(t, body, `{"detail":"Request was throttled. Expected available in 1 seconds."}`) {
			t.Errorf("11th move: got %d, Retry-After %q, %s; want 429 after 1 s", status, header.Get("Retry-After"), body)
		}
		a.env.clock.Advance(700 * time.Millisecond)
		a.check([]call{{"alice", "POST", move, `{"dx":1}`, 200, playerJSON(players.Player{ID: a.p.ID, UserID: alice, X: 1})}})
	})
}

// Lists are capped, with a Link to the rest.
func TestListCap(t *testing.T) {
	runAPI(t, &players.HandlerOptions{MaxRows: 1}, func(t *testing.T, a *api) {
		status, header, body := a.srv.Do(apitest.As("alice"), "GET", "/api/players/?user=1&user=2", "")
		if status != 200 || !apitest.JSONEqual(t, body, "["+playerJSON(a.p)+"]") {
			t.Errorf("capped list: got %d %s", status, body)
		}
		status, header, body = a.srv.Do(apitest.As("alice"), "GET", "/api/players/", "")
		if want := "<" + a.srv.URL + `/api/players/?limit=1&offset=1>; rel="next"`; status != 200 || header.Get("Link") != want {
			t.Errorf("Link: got %d %q %s, want %q", status, header.Get("Link"), body, want)
		}
	})
}

func TestNewHandlerOptions(t *testing.T) {
	if _, err := players.NewHandler(nil, &players.HandlerOptions{MaxRows: -1}); err == nil {
		t.Error("negative MaxRows accepted")
	}
}
