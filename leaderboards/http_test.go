package leaderboards_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// now is the clock of the API tests: 2027-01-15 08:00 UTC.
var now = time.Unix(1_800_000_000, 0).UTC()

type api struct {
	t      *testing.T
	store  *leaderboards.SQLStore
	srv    *apitest.Server
	events *apitest.Events
}

// runAPI serves the API over a store holding two boards: "server", which
// only the server writes, and "open", which players write through a check
// that refuses scores over 1000 and rate-limits a score of 666.
func runAPI(t *testing.T, fn func(t *testing.T, a *api)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		a := &api{t: t, events: &apitest.Events{}}
		a.store = storagetest.Must(leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{Publisher: a.events, Now: func() time.Time { return now }}))
		check := func(ctx context.Context, caller gamekit.Identity, b leaderboards.Board, s leaderboards.Submission) error {
			if id, ok := gamekit.IdentityFrom(ctx); !ok || id != caller || b.ID != "open" {
				t.Errorf("check: identity %+v on the context, caller %+v, board %s", id, caller, b.ID)
			}
			switch {
			case s.Score > 1000:
				return gamekit.Invalid("score", "Ensure this value is less than or equal to 1000.")
			case s.Score == 666:
				return &gamekit.RateLimitError{RetryAfter: 2 * time.Second}
			}
			return nil
		}
		h, err := leaderboards.NewHandler(a.store, &leaderboards.HandlerOptions{CheckSubmit: check})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/api/", http.StripPrefix("/api", h))
		a.srv = apitest.Serve(t, apitest.WithCallers(mux))
		for _, b := range []leaderboards.Board{{ID: "server"}, {ID: "open", ClientWritable: true, Reset: "@daily"}} {
			if err := a.store.CreateBoard(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
		}
		fn(t, a)
	}, leaderboards.Migrations())
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
	forbidden       = `{"detail":"You do not have permission to perform this action."}`
	at              = `"2027-01-15T08:00:00Z"`
)

func record(rank, user int, username string, score int) string {
	return fmt.Sprintf(`{"rank":%d,"user":%d,"username":%q,"score":%d,"subscore":0,"metadata":{},"updated_at":%s}`,
		rank, user, username, score, at)
}

// Who may do what, on every route.
func TestAuthorization(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		a.check([]call{
			// Boards: anyone reads, the admin writes.
			{"", "GET", "/api/leaderboards/", "", 200, ""},
			{"alice", "POST", "/api/leaderboards/", `{"id":"x"}`, 403, forbidden},
			{"", "POST", "/api/leaderboards/", `{"id":"x"}`, 401, unauthenticated},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x"}`, 201, ""},
			{"alice", "PATCH", "/api/leaderboards/x/", `{"client_writable":true}`, 403, forbidden},
			{"", "PATCH", "/api/leaderboards/x/", `{"client_writable":true}`, 401, unauthenticated},
			{"alice", "DELETE", "/api/leaderboards/x/", "", 403, forbidden},
			{"bob", "POST", "/api/leaderboards/x/reset/", "", 403, forbidden},
			{"", "POST", "/api/leaderboards/x/reset/", "", 401, unauthenticated},
			{"admin", "POST", "/api/leaderboards/x/reset/", "", 200, ""},
			{"admin", "DELETE", "/api/leaderboards/x/", "", 204, ""},

			// Submits: never anonymous; a player only their own, only to a
			// client-writable board, only through the check; the admin
			// anything.
			{"", "POST", "/api/leaderboards/open/", `{"score":1}`, 401, unauthenticated},
			{"alice", "POST", "/api/leaderboards/server/", `{"score":1}`, 403,
				`{"detail":"leaderboards: board server takes scores from the server only"}`},
			{"alice", "POST", "/api/leaderboards/open/", `{"score":1,"user":2}`, 403,
				`{"detail":"leaderboards: a player submits only their own scores"}`},
			{"alice", "POST", "/api/leaderboards/open/", `{"score":1,"username":"bob"}`, 400, `{"username":["This field is not allowed."]}`},
			{"alice", "POST", "/api/leaderboards/open/", `{"score":1001}`, 400, `{"score":["Ensure this value is less than or equal to 1000."]}`},
			{"alice", "POST", "/api/leaderboards/open/", `{"score":10,"user":1}`, 200, record(1, 1, "alice", 10)},
			{"bob", "POST", "/api/leaderboards/open/", `{"score":20}`, 200, record(1, 2, "bob", 20)},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":5,"user":2,"username":"bob"}`, 200, record(1, 2, "bob", 5)},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":7}`, 200, record(1, 3, "admin", 7)},
			{"admin", "POST", "/api/leaderboards/open/", `{"score":5000,"user":1}`, 200, record(1, 1, "alice", 5000)}, // no check for the admin
			{"alice", "POST", "/api/leaderboards/nope/", `{"score":1}`, 404, notFound},

			// Reads: anyone; "me" needs a caller.
			{"", "GET", "/api/leaderboards/server/", "", 200, ""},
			{"", "GET", "/api/leaderboards/server/records/?users=1,2", "", 200, "[" + record(2, 2, "bob", 5) + "]"},
			{"", "GET", "/api/leaderboards/server/records/2/", "", 200, record(2, 2, "bob", 5)},
			{"", "GET", "/api/leaderboards/server/records/me/", "", 401, unauthenticated},
			{"admin", "GET", "/api/leaderboards/server/records/me/", "", 200, record(1, 3, "admin", 7)},
			{"bob", "GET", "/api/leaderboards/server/around/2/", "", 200, ""},
			{"", "GET", "/api/leaderboards/server/around/me/", "", 401, unauthenticated},
			{"", "GET", "/api/leaderboards/server/?around=me", "", 401, unauthenticated},
			{"alice", "GET", "/api/leaderboards/server/around/me/", "", 404, notFound}, // no record
		})
		// The refused submits stored nothing.
		if _, err := a.store.Record(context.Background(), "server", 1, nil); err == nil {
			t.Error("alice has a record on the server-only board")
		}
		// 429 with Retry-After from the host's check.
		status, header, _ := a.srv.Do(apitest.As("alice"), "POST", "/api/leaderboards/open/", `{"score":666}`)
		if status != 429 || header.Get("Retry-After") != "2" {
			t.Errorf("rate-limited submit: got %d, Retry-After %q", status, header.Get("Retry-After"))
		}
	})
}

// Without a CheckSubmit, players submit nowhere.
func TestNoCheckNoPlayerSubmits(t *testing.T) {
	storagetest.RunOn(t, []storagetest.Kind{storagetest.Memory}, func(t *testing.T, db *bun.DB) {
		store := storagetest.Must(leaderboards.NewSQLStore(db, nil))
		if err := store.CreateBoard(context.Background(), &leaderboards.Board{ID: "open", ClientWritable: true}); err != nil {
			t.Fatal(err)
		}
		h := storagetest.Must(leaderboards.NewHandler(store, nil))
		srv := apitest.Serve(t, apitest.WithCallers(h))
		if status, _, body := srv.Do(apitest.As("alice"), "POST", "/leaderboards/open/", `{"score":1}`); status != 403 ||
			!strings.Contains(body, "no scores from players") {
			t.Errorf("got %d %s, want 403", status, body)
		}
		if status, _, _ := srv.Do(apitest.As("admin"), "POST", "/leaderboards/open/", `{"score":1}`); status != 200 {
			t.Errorf("admin: got %d, want 200", status)
		}
	}, leaderboards.Migrations())
}

func TestReadRoutes(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		ctx := context.Background()
		for user := int64(1); user <= 5; user++ {
			if _, err := a.store.Submit(ctx, "server", user, fmt.Sprintf("u%d", user), 100-user, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		board := `"id":"server","order":"desc","operator":"best","reset":"","client_writable":false,"created_at":` + at
		period := `{"id":0,"start":"1970-01-01T00:00:00Z","end":null}`
		status, _, body := a.srv.Do("", "GET", "/api/leaderboards/server/?limit=2", "")
		if status != 200 || !strings.Contains(body, `"next":"`+a.srv.URL+`/api/leaderboards/server/?cursor=`) {
			t.Fatalf("first page: got %d %s", status, body)
		}
		next := body[strings.Index(body, `"next":"`)+8:]
		next = strings.TrimPrefix(next[:strings.Index(next, `"`)], a.srv.URL)
		a.check([]call{
			{"", "GET", next, "", 200, `{` + board + `,"period":` + period + `,"records":[` +
				record(3, 3, "u3", 97) + `,` + record(4, 4, "u4", 96) + `],"next":"` + a.srv.URL +
				`/api/leaderboards/server/?cursor=` + cursorAfter(t, a, 4) + `&limit=2"}`},
			{"", "GET", "/api/leaderboards/", "", 200, `[{"id":"open","order":"desc","operator":"best","reset":"@daily","client_writable":true,"created_at":` + at + `},{` + board + `}]`},
			{"", "GET", "/api/leaderboards/?search=serv&limit=1", "", 200, `{"count":1,"next":null,"previous":null,"results":[{` + board + `}]}`},
			{"", "GET", "/api/leaderboards/server/around/3/?limit=1", "", 200, `{"period":` + period + `,"records":[` +
				record(2, 2, "u2", 98) + `,` + record(3, 3, "u3", 97) + `,` + record(4, 4, "u4", 96) + `],"next":"` + a.srv.URL + `/api/leaderboards/server/?cursor=` + cursorAfter(t, a, 4) + `&limit=1"}`},
			{"", "GET", "/api/leaderboards/server/records/?users=5,1", "", 200, `[` + record(1, 1, "u1", 99) + `,` + record(5, 5, "u5", 95) + `]`},
			{"", "GET", "/api/leaderboards/server/records/", "", 200, `[]`},
			{"", "GET", "/api/leaderboards/server/?period=5", "", 200, `{` + board + `,"period":{"id":5,"start":"1970-01-01T00:00:05Z","end":null},"records":[],"next":null}`},
			{"", "GET", "/api/leaderboards/open/", "", 200, `{"id":"open","order":"desc","operator":"best","reset":"@daily","client_writable":true,"created_at":` + at +
				`,"period":{"id":1799971200,"start":"2027-01-15T00:00:00Z","end":"2027-01-16T00:00:00Z"},"records":[],"next":null}`},
		})
	})
}

// cursorAfter is the cursor Top gives after the record of user.
func cursorAfter(t *testing.T, a *api, user int64) string {
	t.Helper()
	r, err := a.store.Record(context.Background(), "server", user, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.store.Top(context.Background(), "server", leaderboards.TopOptions{Limit: int(r.Rank)})
	if err != nil {
		t.Fatal(err)
	}
	return p.Next
}

// Bad input is a 400 (or the 404 of a URL that names nothing), never a 500.
func TestBadInput(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		a.check([]call{
			{"admin", "POST", "/api/leaderboards/", `{}`, 400, `{"id":["This field is required."]}`},
			{"admin", "POST", "/api/leaderboards/", `{"id":"Bad Id"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x","order":"up"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x","operator":"max"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x","reset":"sometimes"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x","client_writable":"yes"}`, 400, `{"client_writable":["Must be a valid boolean."]}`},
			{"admin", "POST", "/api/leaderboards/", `{"id":"x","colour":1}`, 400, `{"colour":["This field is not allowed."]}`},
			{"admin", "POST", "/api/leaderboards/", `{"id":"server"}`, 409, ""},
			{"admin", "PUT", "/api/leaderboards/server/", `{"operator":"set"}`, 400, `{"reset":["This field is required."],"client_writable":["This field is required."]}`},
			{"admin", "PATCH", "/api/leaderboards/server/", `{"order":"asc"}`, 400, ""},
			{"admin", "PATCH", "/api/leaderboards/server/", `{"id":"other"}`, 400, ""},
			{"admin", "PATCH", "/api/leaderboards/nope/", `{"operator":"set"}`, 404, notFound},
			{"admin", "PATCH", "/api/leaderboards/server/", `{"operator":"incr","reset":"every 1h"}`, 200, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{}`, 400, `{"score":["This field is required."]}`},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1.5}`, 400, `{"score":["A valid integer is required."]}`},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":"1"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1e300}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":9007199254740992}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1,"metadata":[1]}`, 400, `{"metadata":["Enter a JSON object."]}`},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1,"metadata":{"a":"\u0000"}}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1,"user":0}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1,"username":"x\ud800"}`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1} x`, 400, ""},
			{"admin", "POST", "/api/leaderboards/server/", `{"score":1,"score":2}`, 400, ""},
			{"", "GET", "/api/leaderboards/server/?limit=x", "", 400, `{"limit":["A valid integer is required."]}`},
			{"", "GET", "/api/leaderboards/server/?limit=0", "", 200, ""},
			{"", "GET", "/api/leaderboards/server/?limit=1001", "", 400, ""},
			{"", "GET", "/api/leaderboards/server/?limit=-1", "", 400, ""},
			{"", "GET", "/api/leaderboards/server/?cursor=nope", "", 400, `{"cursor":["Invalid cursor."]}`},
			{"", "GET", "/api/leaderboards/server/?period=x", "", 400, `{"period":["A valid integer is required."]}`},
			{"", "GET", "/api/leaderboards/server/?search=%00", "", 400, ""},
			{"", "GET", "/api/leaderboards/server/records/?users=1,x", "", 400, `{"users":["Enter user ids separated by commas."]}`},
			{"", "GET", "/api/leaderboards/server/records/?users=" + strings.Repeat("1,", 100) + "1", "", 400, ""},
			{"", "GET", "/api/leaderboards/server/records/x/", "", 404, notFound},
			{"", "GET", "/api/leaderboards/server/around/-1/", "", 404, notFound},
			{"", "GET", "/api/leaderboards/server/around/1/?limit=101", "", 400, ""},
			{"", "GET", "/api/leaderboards/nope/", "", 404, notFound},
			{"", "GET", "/api/leaderboards/Bad%20Id/", "", 404, notFound},
			{"", "GET", "/api/leaderboards/" + strings.Repeat("a", 300) + "/", "", 404, notFound},
			{"", "GET", "/api/leaderboards/nope/records/?users=1", "", 404, notFound},
			{"", "GET", "/api/leaderboards/server/a/b/c/", "", 404, notFound},
			{"admin", "PUT", "/api/leaderboards/", `{}`, 405, ""},
			{"admin", "GET", "/api/leaderboards/server/reset/", "", 405, ""},
			{"admin", "POST", "/api/leaderboards/server/records/", "", 405, ""},
			{"admin", "DELETE", "/api/leaderboards/server/around/1/", "", 405, ""},
		})
	})
}

func TestNewHandlerOptions(t *testing.T) {
	if _, err := leaderboards.NewHandler(nil, &leaderboards.HandlerOptions{MaxRows: -1}); err == nil {
		t.Error("negative MaxRows accepted")
	}
}
