package enemies_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

type api struct {
	t      *testing.T
	env    *env
	srv    *apitest.Server
	m      enemies.Monster // a wandering monster
	mURL   string
	notOne string // a URL of no monster
}

func runAPI(t *testing.T, opts *enemies.HandlerOptions, fn func(t *testing.T, a *api)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newAPI(t, db, opts))
	}, enemies.Migrations())
}

func newAPI(t *testing.T, db *bun.DB, opts *enemies.HandlerOptions) *api {
	t.Helper()
	e := newEnv(db)
	h, err := enemies.NewHandler(e.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	srv := apitest.Serve(t, apitest.WithCallers(mux))
	a := &api{t: t, env: e, srv: srv, m: mustMonster(t, e.store)}
	a.mURL = fmt.Sprintf("/api/monsters/%d/", a.m.ID)
	a.notOne = fmt.Sprintf("/api/monsters/%d/", a.m.ID+100)
	e.events.Take()
	return a
}

// do sends a request as one of apitest.Callers ("" for anonymous).
func (a *api) do(caller, method, path, body string) (int, http.Header, string) {
	a.t.Helper()
	return a.srv.Do(apitest.As(caller), method, path, body)
}

type call struct {
	caller, method, path, body string
	status                     int
	want                       string // JSON, or "" not to check
}

func (a *api) check(calls []call) {
	a.t.Helper()
	for _, tc := range calls {
		status, _, body := a.do(tc.caller, tc.method, tc.path, tc.body)
		if status != tc.status || (tc.want != "" && !apitest.JSONEqual(a.t, body, tc.want)) {
			a.t.Errorf("%s %s %s as %q: got %d %s, want %d %s", tc.method, tc.path, tc.body, tc.caller, status, body, tc.status, tc.want)
		}
	}
}

const (
	notFound        = `{"detail":"Not found."}`
	unauthenticated = `{"detail":"Authentication credentials were not provided."}`
	forbidden       = `{"detail":"You do not have permission to perform this action."}`
)

// The tutorial's session over HTTP: the monster's JSON at each step, and
// the refusals with their statuses.
func TestTutorialOverHTTP(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		id := a.m.ID
		monster := func(state, target string, hp int) string {
			return fmt.Sprintf(`{"id":%d,"state":%q,"user_being_attacked":%s,"health_points":%d}`, id, state, target, hp)
		}
		a.check([]call{
			{"", "GET", a.mURL, "", 200, monster("wandering", "null", 10)},
			{"admin", "POST", a.mURL + "evade/", "", 409,
				`{"detail":"fsm: transition \"evade\" not allowed from wandering"}`},
			{"admin", "POST", a.mURL + "attack/", `{}`, 400, `{"user":["This field is required."]}`},
			{"admin", "POST", a.mURL + "attack/", "", 400, `{"user":["This field is required."]}`},
			{"admin", "POST", a.mURL + "attack/", `{"user":0}`, 400, `{"user":["Ensure this value is greater than or equal to 1."]}`},
			{"admin", "POST", a.mURL + "attack/", `{"user":"1"}`, 400, `{"user":["A valid integer is required."]}`},
			{"admin", "POST", a.mURL + "attack/", `{"user":1,"force":9}`, 400, `{"force":["This field is not allowed."]}`},
			{"admin", "POST", a.mURL + "attack", `{"user":1}`, 200, monster("attacking", "1", 10)},
			{"admin", "POST", a.mURL + "attack/", `{"user":1}`, 409,
				`{"detail":"fsm: transition \"attack\" not allowed from attacking"}`},
			{"admin", "POST", a.mURL + "evade/", `{"user":1}`, 400, `{"user":["This field is not allowed."]}`},
			{"admin", "POST", a.mURL + "evade/", `{}`, 200, monster("evading", "1", 10)},
			{"admin", "POST", a.mURL + "look_for_aid/", "", 409,
				`{"detail":"fsm: transition \"look_for_aid\" from evading: guard \"health_points <= 5\" failed"}`},
			{"admin", "PATCH", a.mURL, `{"health_points":-1}`, 400, `{"health_points":["Ensure this value is greater than or equal to 0."]}`},
			{"admin", "PATCH", a.mURL, `{"health_points":2}`, 200, monster("looking for aid", "1", 2)},
			{"", "GET", strings.TrimSuffix(a.mURL, "/"), "", 200, monster("looking for aid", "1", 2)},
			{"admin", "POST", a.mURL + "wander/", "", 200, monster("wandering", "null", 2)},
		})
		status, _, body := a.do("", "GET", a.mURL+"history/", "")
		entries := decodeList(t, body)
		var got []string
		for _, e := range entries {
			e := e.(map[string]any)
			got = append(got, fmt.Sprintf("%v %v>%v by %v", e["transition"], e["from"], e["to"], e["by"]))
		}
		want := "attack wandering>attacking by 3|evade attacking>evading by 3|" +
			"look_for_aid evading>looking for aid by <nil>|wander looking for aid>wandering by 3"
		if status != 200 || strings.Join(got, "|") != want {
			t.Errorf("history: got %d %v, want %v", status, got, want)
		}
		// One per committed change: attack, evade, the health change with
		// its look_for_aid, and wander.
		if n := len(a.env.events.Take()); n != 4 {
			t.Errorf("events: got %d, want 4", n)
		}
	})
}

// Every route and who may use it.
func TestRoutes(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		m := fmt.Sprintf(`{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, a.m.ID)
		a.check([]call{
			{"", "GET", "/api/monsters/", "", 200, "[" + m + "]"},
			{"", "GET", "/api/monsters", "", 200, "[" + m + "]"},
			{"", "GET", "/api/monsters/?state=attacking", "", 200, "[]"},
			{"", "GET", "/api/monsters/?state=wandering", "", 200, "[" + m + "]"},
			{"", "GET", "/api/monsters/?state=dead", "", 400, `{"state":["\"dead\" is not a valid choice."]}`},
			{"", "GET", "/api/monsters/?ordering=colour", "", 400, `{"ordering":["Unknown sort \"colour\"."]}`},
			{"", "GET", a.notOne, "", 404, notFound},
			{"", "GET", "/api/monsters/abc/", "", 404, notFound},
			{"", "GET", "/api/monsters/0/", "", 404, notFound},
			{"", "GET", a.notOne + "history/", "", 404, notFound},
			{"", "GET", a.mURL + "history", "", 200, "[]"},
			{"", "GET", "/api/monsters/1/2/3/", "", 404, notFound},
			{"", "GET", "/api/other/", "", 404, notFound},
			// Writes are for admins.
			{"", "POST", "/api/monsters/", "", 401, unauthenticated},
			{"alice", "POST", "/api/monsters/", "", 403, forbidden},
			{"alice", "PATCH", a.mURL, `{"health_points":1}`, 403, forbidden},
			{"alice", "DELETE", a.mURL, "", 403, forbidden},
			{"", "POST", a.mURL + "attack/", `{"user":1}`, 401, unauthenticated},
			{"alice", "POST", a.mURL + "attack/", `{"user":1}`, 403, forbidden},
			// Unknown transitions and monsters are 404 whoever asks.
			{"", "POST", a.mURL + "fly/", "", 404, notFound},
			{"admin", "POST", a.mURL + "fly/", "", 404, notFound},
			{"admin", "POST", a.notOne + "attack/", `{"user":1}`, 404, notFound},
			{"admin", "POST", "/api/monsters/x/attack/", `{"user":1}`, 404, notFound},
			{"admin", "GET", a.mURL + "attack/", "", 405, `{"detail":"Method \"GET\" not allowed."}`},
			{"admin", "POST", a.mURL, "", 405, `{"detail":"Method \"POST\" not allowed."}`},
			{"admin", "DELETE", "/api/monsters/", "", 405, `{"detail":"Method \"DELETE\" not allowed."}`},
			{"admin", "POST", "/api/monsters/graph/", "", 405, ""},
			{"admin", "PATCH", a.notOne, `{"health_points":1}`, 404, notFound},
			{"admin", "DELETE", a.notOne, "", 404, notFound},
			// Creating: a new wandering monster, health optional.
			{"admin", "POST", "/api/monsters/", "", 201,
				fmt.Sprintf(`{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, a.m.ID+1)},
			{"admin", "POST", "/api/monsters", `{"health_points":3}`, 201,
				fmt.Sprintf(`{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":3}`, a.m.ID+2)},
			{"admin", "POST", "/api/monsters/", `{"health_points":-3}`, 400, `{"health_points":["Ensure this value is greater than or equal to 0."]}`},
			{"admin", "POST", "/api/monsters/", `{"health_points":2147483648}`, 400, `{"health_points":["Ensure this value is less than or equal to 2147483647."]}`},
			{"admin", "POST", "/api/monsters/", `{"health_points":1.5}`, 400, `{"health_points":["A valid integer is required."]}`},
			{"admin", "POST", "/api/monsters/", `{"hp":1}`, 400, `{"hp":["This field is not allowed."]}`},
			{"admin", "POST", "/api/monsters/", `{"health_points":1,"health_points":2}`, 400, `{"health_points":["This key appears more than once."]}`},
			{"admin", "POST", "/api/monsters/", `{} {}`, 400, ""},
			// What a client read, sent back with a change, is accepted; the
			// read-only fields are ignored.
			{"admin", "PUT", a.mURL, strings.Replace(m, `"health_points":10`, `"health_points":7`, 1), 200,
				strings.Replace(m, `"health_points":10`, `"health_points":7`, 1)},
			{"admin", "PATCH", a.mURL, `{"state":"evading","user_being_attacked":5}`, 200,
				strings.Replace(m, `"health_points":10`, `"health_points":7`, 1)},
			{"admin", "PATCH", a.mURL, `{"state":1}`, 400, ""},
			{"admin", "DELETE", fmt.Sprintf("/api/monsters/%d/", a.m.ID+1), "", 204, ""},
			{"", "GET", fmt.Sprintf("/api/monsters/%d/", a.m.ID+1), "", 404, notFound},
		})
		if got, _ := a.env.store.Monster(t.Context(), a.m.ID); got.State != enemies.Wandering || got.UserBeingAttacked != nil {
			t.Errorf("after writes of read-only fields: got %+v, want still wandering, attacking nobody", got)
		}
	})
}

func TestGraph(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		for _, tc := range []struct {
			query, contentType, want string
		}{
			{"", "text/vnd.graphviz; charset=utf-8", enemies.Machine().DOT()},
			{"?format=dot", "text/vnd.graphviz; charset=utf-8", enemies.Machine().DOT()},
			{"?format=mermaid", "text/plain; charset=utf-8", enemies.Machine().Mermaid()},
		} {
			status, header, body := a.do("", "GET", "/api/monsters/graph/"+tc.query, "")
			if status != 200 || header.Get("Content-Type") != tc.contentType || body != tc.want {
				t.Errorf("graph%s: got %d %s %q, want 200 %s %q", tc.query, status, header.Get("Content-Type"), body, tc.contentType, tc.want)
			}
		}
		a.check([]call{
			{"", "GET", "/api/monsters/graph", "", 200, ""},
			{"", "GET", "/api/monsters/graph/?format=svg", "", 400, `{"format":["Select \"dot\" or \"mermaid\"."]}`},
		})
	})
}

// Lists are capped, and ?limit= and ?offset= give DRF's envelope, for
// monsters and for a history.
func TestPagination(t *testing.T) {
	runAPI(t, &enemies.HandlerOptions{MaxRows: 2}, func(t *testing.T, a *api) {
		mustMonster(t, a.env.store)
		third := mustMonster(t, a.env.store)
		status, header, body := a.do("", "GET", "/api/monsters/", "")
		if status != 200 || len(decodeList(t, body)) != 2 {
			t.Errorf("capped list: got %d %s, want 2 rows", status, body)
		}
		if want := "<" + a.srv.URL + `/api/monsters/?limit=2&offset=2>; rel="next"`; header.Get("Link") != want {
			t.Errorf("Link: got %v, want %v", header.Get("Link"), want)
		}
		status, _, body = a.do("", "GET", "/api/monsters/?offset=2&ordering=id", "")
		want := fmt.Sprintf(`{"count":3,"next":null,"previous":"%s/api/monsters/?limit=2&ordering=id",
			"results":[{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}]}`, a.srv.URL, third.ID)
		if status != 200 || !apitest.JSONEqual(t, body, want) {
			t.Errorf("envelope: got %d %s, want %s", status, body, want)
		}
		for range 2 {
			a.do("admin", "POST", a.mURL+"attack/", `{"user":1}`)
			a.do("admin", "POST", a.mURL+"wander/", "")
		}
		status, _, body = a.do("", "GET", a.mURL+"history/?limit=1&offset=3", "")
		if status != 200 || !strings.Contains(body, `"count":4`) || !strings.Contains(body, `"transition":"wander"`) {
			t.Errorf("history envelope: got %d %s", status, body)
		}
		if status, _, body := a.do("", "GET", a.mURL+"history/?limit=x", ""); status != 400 {
			t.Errorf("history ?limit=x: got %d %s, want 400", status, body)
		}
	})
}

func TestNewHandlerOptions(t *testing.T) {
	if _, err := enemies.NewHandler(nil, &enemies.HandlerOptions{MaxRows: -1}); err == nil {
		t.Error("negative MaxRows accepted")
	}
}

func decodeList(t *testing.T, body string) []any {
	t.Helper()
	var list []any
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("not a list: %s", body)
	}
	return list
}
