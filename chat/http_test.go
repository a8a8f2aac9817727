package chat_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// api is the chat API on loopback over a store, with rooms of every kind:
// global (public), alice's group with bob, and alice's DM with bob.
type api struct {
	t                  *testing.T
	store              *chat.SQLStore
	srv                *apitest.Server
	global, group, dm  chat.Room
	aliceMsg, groupMsg chat.Message
}

// carol is a third player, for the tests that need one outside a room.
var carol = gamekit.Identity{UserID: 4, Username: "carol"}

// withCarol is apitest.WithCallers with carol too.
func withCarol(next http.Handler) http.Handler {
	return apitest.WithCallers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Caller carol" {
			r = r.WithContext(gamekit.WithIdentity(r.Context(), carol))
		}
		next.ServeHTTP(w, r)
	}))
}

var (
	alice = apitest.Callers["alice"]
	bob   = apitest.Callers["bob"]
	admin = apitest.Callers["admin"]
)

func runAPI(t *testing.T, fn func(t *testing.T, a *api)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newAPI(t, db))
	}, chat.Migrations())
}

func newAPI(t *testing.T, db *bun.DB) *api {
	t.Helper()
	ctx := context.Background()
	// The clock stands still, so the rate limit's burst is the same however
	// long the machine takes between the setup's message and a test's: on
	// the wall clock a loaded machine refilled a message and let one more
	// through.
	now := time.Now()
	store := storagetest.Must(chat.NewSQLStore(db, &chat.StoreOptions{Now: func() time.Time { return now }}))
	h := storagetest.Must(chat.NewHandler(store, nil))
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	a := &api{t: t, store: store, srv: apitest.Serve(t, withCarol(mux))}
	var err error
	if a.global, err = store.EnsurePublicRoom(ctx, "global"); err != nil {
		t.Fatal(err)
	}
	a.group = chat.Room{Kind: chat.Group, Name: "raid"}
	if err := store.CreateRoom(ctx, alice, &a.group); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddMember(ctx, a.group.ID, alice, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if a.aliceMsg, err = store.Send(ctx, a.global.ID, alice, "hello"); err != nil {
		t.Fatal(err)
	}
	if a.groupMsg, err = store.Send(ctx, a.group.ID, bob, "in the group"); err != nil {
		t.Fatal(err)
	}
	dm, err := store.SendDirect(ctx, bob.UserID, alice, "psst")
	if err != nil {
		t.Fatal(err)
	}
	a.dm, _ = store.Room(ctx, dm.Room, alice)
	return a
}

type call struct {
	caller, method, path, body string
	status                     int
	want                       string // JSON, or a part of the body after "~", or "" not to check
}

func (a *api) check(calls []call) {
	a.t.Helper()
	for _, tc := range calls {
		status, _, body := a.srv.Do(apitest.As(tc.caller), tc.method, tc.path, tc.body)
		ok := status == tc.status
		switch {
		case strings.HasPrefix(tc.want, "~"):
			ok = ok && strings.Contains(body, tc.want[1:])
		case tc.want != "":
			ok = ok && apitest.JSONEqual(a.t, body, tc.want)
		}
		if !ok {
			a.t.Errorf("%s %s %s as %q: got %d %s, want %d %s", tc.method, tc.path, tc.body, tc.caller, status, body, tc.status, tc.want)
		}
	}
}

const (
	notFound        = `{"detail":"Not found."}`
	unauthenticated = `{"detail":"Authentication credentials were not provided."}`
)

// TestAuthorization is the table of who may do what on every route.
func TestAuthorization(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		rooms := "/api/chat/rooms/"
		global := fmt.Sprintf("/api/chat/rooms/%d/", a.global.ID)
		group := fmt.Sprintf("/api/chat/rooms/%d/", a.group.ID)
		dm := fmt.Sprintf("/api/chat/rooms/%d/", a.dm.ID)
		msg := func(room string, m chat.Message) string { return fmt.Sprintf("%smessages/%d/", room, m.ID) }
		a.check([]call{
			// Anonymous callers get nothing anywhere.
			{"", "GET", rooms, "", 401, unauthenticated},
			{"", "POST", rooms, `{"name":"x"}`, 401, unauthenticated},
			{"", "GET", global, "", 401, unauthenticated},
			{"", "GET", global + "messages/", "", 401, unauthenticated},
			{"", "POST", global + "messages/", `{"body":"x"}`, 401, unauthenticated},
			{"", "PATCH", msg(global, a.aliceMsg), `{"body":"x"}`, 401, unauthenticated},
			{"", "DELETE", msg(global, a.aliceMsg), "", 401, unauthenticated},
			{"", "GET", group + "members/", "", 401, unauthenticated},
			{"", "POST", group + "members/", `{"user":4}`, 401, unauthenticated},
			{"", "DELETE", group + "members/2/", "", 401, unauthenticated},
			{"", "POST", "/api/chat/dm/1/", `{"body":"x"}`, 401, unauthenticated},
			{"", "GET", "/api/chat/blocks/", "", 401, unauthenticated},
			{"", "POST", "/api/chat/blocks/", `{"user":1}`, 401, unauthenticated},
			{"", "DELETE", "/api/chat/blocks/1/", "", 401, unauthenticated},
			{"", "GET", "/api/chat/mutes/", "", 401, unauthenticated},
			{"", "POST", "/api/chat/mutes/", `{"user":1,"seconds":60}`, 401, unauthenticated},
			{"", "DELETE", "/api/chat/mutes/1/", "", 401, unauthenticated},

			// Rooms: carol sees the public room only; a player creates groups.
			{"carol", "GET", rooms, "", 200, "~" + `"name":"global"`},
			{"carol", "GET", group, "", 403, "~only the room's members"},
			{"carol", "GET", dm, "", 403, ""},
			{"carol", "POST", rooms, `{"name":"mine","kind":"public"}`, 403, "~only an admin"},
			{"carol", "POST", rooms, `{"name":"mine"}`, 201, "~" + `"kind":"group"`},
			{"admin", "POST", rooms, `{"name":"news"}`, 201, "~" + `"kind":"public"`},
			{"admin", "GET", group, "", 200, ""},
			{"bob", "DELETE", group, "", 403, ""},
			{"carol", "DELETE", global, "", 403, ""},

			// Reading messages: not a group or DM one is not in.
			{"carol", "GET", global + "messages/", "", 200, "~hello"},
			{"carol", "GET", group + "messages/", "", 403, ""},
			{"carol", "GET", dm + "messages/", "", 403, ""},
			{"bob", "GET", group + "messages/", "", 200, "~in the group"},
			{"bob", "GET", dm + "messages/", "", 200, "~psst"},
			{"admin", "GET", dm + "messages/", "", 200, "~psst"},

			// Posting: nobody posts as another (the sender is the caller),
			// nor in a room they are not in.
			{"bob", "POST", global + "messages/", `{"body":"hi","sender":1}`, 400, ""},
			{"carol", "POST", group + "messages/", `{"body":"let me in"}`, 403, ""},
			{"carol", "POST", dm + "messages/", `{"body":"let me in"}`, 403, ""},
			{"admin", "POST", dm + "messages/", `{"body":"admin here"}`, 403, ""},

			// Editing and deleting: the sender; deleting: an admin too.
			{"bob", "PATCH", msg(global, a.aliceMsg), `{"body":"bob was here"}`, 403, ""},
			{"admin", "PATCH", msg(global, a.aliceMsg), `{"body":"x"}`, 403, ""},
			{"bob", "DELETE", msg(global, a.aliceMsg), "", 403, ""},
			{"carol", "PATCH", msg(group, a.groupMsg), `{"body":"x"}`, 403, ""},
			{"carol", "DELETE", msg(group, a.groupMsg), "", 403, ""},
			{"alice", "PATCH", msg(global, a.aliceMsg), `{"body":"hello!"}`, 200, "~hello!"},
			{"alice", "PATCH", msg(group, a.aliceMsg), `{"body":"x"}`, 404, notFound},
			{"admin", "DELETE", msg(group, a.groupMsg), "", 204, ""},

			// Members: the owner manages; a member leaves; outsiders nothing.
			{"carol", "GET", group + "members/", "", 403, ""},
			{"bob", "GET", group + "members/", "", 200, "~" + `"user":2`},
			{"bob", "POST", group + "members/", `{"user":4}`, 403, ""},
			{"carol", "POST", group + "members/", `{"user":4}`, 403, ""},
			{"carol", "DELETE", group + "members/2/", "", 403, ""},
			{"alice", "POST", global + "members/", `{"user":4}`, 403, ""},
			{"alice", "POST", dm + "members/", `{"user":4}`, 403, ""},
			{"alice", "POST", group + "members/", `{"user":4}`, 201, "~" + `"user":4`},
			{"carol", "DELETE", group + "members/4/", "", 204, ""},
			{"bob", "DELETE", group + "members/1/", "", 403, ""},

			// DMs: not to someone who blocked you.
			{"carol", "POST", "/api/chat/blocks/", `{"user":2}`, 201, "~" + `"user":2`},
			{"bob", "POST", "/api/chat/dm/4/", `{"body":"hi carol"}`, 403, "~blocked"},
			{"carol", "POST", "/api/chat/dm/2/", `{"body":"hi bob"}`, 403, "~blocked"},
			{"carol", "GET", "/api/chat/blocks/", "", 200, "~" + `"user":2`},
			{"carol", "DELETE", "/api/chat/blocks/2/", "", 204, ""},
			{"bob", "POST", "/api/chat/dm/4/", `{"body":"hi carol"}`, 201, "~hi carol"},
			{"bob", "DELETE", "/api/chat/blocks/4/", "", 404, notFound},

			// Mutes: admins only; a muted player cannot post, and is told until when.
			{"alice", "GET", "/api/chat/mutes/", "", 403, ""},
			{"alice", "POST", "/api/chat/mutes/", `{"user":2,"seconds":60}`, 403, ""},
			{"alice", "DELETE", "/api/chat/mutes/2/", "", 403, ""},
			{"admin", "POST", "/api/chat/mutes/", fmt.Sprintf(`{"user":2,"room":%d,"until":"2099-01-02T03:04:05Z","reason":"spam"}`, a.global.ID), 201,
				fmt.Sprintf(`~{"room":%d,"user":2,"until":"2099-01-02T03:04:05Z","by":3,"reason":"spam","created":`, a.global.ID)},
			{"bob", "POST", global + "messages/", `{"body":"let me speak"}`, 403, `{"detail":"chat: you are muted in this room until 2099-01-02T03:04:05Z"}`},
			{"bob", "PATCH", msg(global, a.aliceMsg), `{"body":"x"}`, 403, "~muted"},
			{"bob", "POST", group + "messages/", `{"body":"elsewhere"}`, 201, ""},
			{"admin", "GET", "/api/chat/mutes/", "", 200, "~" + `"user":2`},
			{"admin", "DELETE", fmt.Sprintf("/api/chat/mutes/2/?room=%d", a.global.ID), "", 204, ""},
			{"bob", "POST", global + "messages/", `{"body":"free"}`, 201, ""},
		})
	})
}

// Bad input is a 400 naming the field, never a 500, and nothing is stored.
func TestBadInput(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		post := fmt.Sprintf("/api/chat/rooms/%d/messages/", a.global.ID)
		long := strings.Repeat("é", chat.DefaultMaxBodyLength+1)
		a.check([]call{
			{"alice", "POST", post, `{"body":"a\u0000b"}`, 400, ""},
			{"alice", "POST", post, "{\"body\":\"\xff\"}", 400, ""},
			{"alice", "POST", post, `{"body":"\ud800"}`, 400, ""},
			{"alice", "POST", post, `{"body":"` + long + `"}`, 400, `{"body":["Ensure this field has no more than 2000 characters."]}`},
			{"alice", "POST", post, `{"body":"a\rb"}`, 400, `{"body":["Control characters other than newline and tab are not allowed."]}`},
			{"alice", "POST", post, `{"body":"   "}`, 400, `{"body":["This field may not be blank."]}`},
			{"alice", "POST", post, `{}`, 400, `{"body":["This field is required."]}`},
			{"alice", "POST", post, `{"body":5}`, 400, ""},
			{"alice", "POST", post, `{"body":"x"} trailing`, 400, ""},
			{"alice", "POST", post, `{"body":"x","body":"y"}`, 400, ""},
			{"alice", "POST", post, `not json`, 400, ""},
			{"alice", "GET", post + "?before=x", "", 400, ""},
			{"alice", "GET", post + "?limit=0", "", 400, ""},
			{"alice", "GET", post + "?limit=501", "", 400, ""},
			{"alice", "GET", post + "?before=2&since=1", "", 400, ""},
			{"alice", "GET", post + "?before=%00", "", 400, ""},
			{"alice", "GET", "/api/chat/rooms/?kind=secret", "", 400, ""},
			{"alice", "POST", "/api/chat/rooms/", `{"name":"a\u0000"}`, 400, ""},
			{"alice", "POST", "/api/chat/rooms/", `{"name":""}`, 400, ""},
			{"alice", "POST", "/api/chat/dm/1/", `{"body":"me"}`, 400, `{"to":["Choose another user."]}`},
			{"alice", "POST", "/api/chat/blocks/", `{"user":"bob"}`, 400, ""},
			{"admin", "POST", "/api/chat/mutes/", `{"user":2}`, 400, ""},
			{"admin", "POST", "/api/chat/mutes/", `{"user":2,"until":"yesterday"}`, 400, ""},
			{"admin", "POST", "/api/chat/mutes/", `{"user":2,"until":"2001-01-01T00:00:00Z"}`, 400, ""},
			{"admin", "POST", "/api/chat/mutes/", `{"user":2,"seconds":60,"reason":"\u0007"}`, 400, ""},
			{"alice", "GET", "/api/chat/rooms/x/", "", 404, notFound},
			{"alice", "GET", "/api/chat/rooms/999/messages/", "", 404, notFound},
			{"alice", "PUT", post, `{"body":"x"}`, 405, ""},
		})
		h, err := a.store.History(context.Background(), a.global.ID, alice, chat.HistoryOptions{})
		if err != nil || len(h) != 1 {
			t.Errorf("after bad input: %d messages (%v), want only the first", len(h), err)
		}
	})
}

// History pages backward through before, with a Link to the older page,
// and forward through since; the rate limit answers 429 with Retry-After.
func TestHistoryAndRate(t *testing.T) {
	runAPI(t, func(t *testing.T, a *api) {
		post := fmt.Sprintf("/api/chat/rooms/%d/messages/", a.global.ID)
		for i := range 9 { // the burst is 10, and alice has sent one
			a.check([]call{{"alice", "POST", post, fmt.Sprintf(`{"body":"m%d"}`, i), 201, fmt.Sprintf("~m%d", i)}})
		}
		status, header, body := a.srv.Do(apitest.As("alice"), "POST", post, `{"body":"one too many"}`)
		if status != 429 || header.Get("Retry-After") != "1" {
			t.Errorf("over the rate: got %d %s with Retry-After %q, want 429 and 1", status, body, header.Get("Retry-After"))
		}
		status, header, body = a.srv.Do(apitest.As("bob"), "GET", post+"?limit=4", "")
		if status != 200 || !strings.Contains(body, `"body":"m5"`) || strings.Contains(body, `"body":"m4"`) {
			t.Fatalf("latest 4: got %d %s", status, body)
		}
		link := header.Get("Link")
		if !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "before=") || !strings.HasPrefix(link, "<"+a.srv.URL+"/api/chat/rooms/") {
			t.Errorf("Link: got %q, want the older page", link)
		}
		status, _, body = a.srv.Do(apitest.As("bob"), "GET", fmt.Sprintf("%s?since=%d", post, a.aliceMsg.ID), "")
		if status != 200 || strings.Count(body, `"id"`) != 9 || !strings.HasPrefix(body, `[{"id":`) {
			t.Errorf("since the first: got %d %s, want the 9 after it", status, body)
		}
		// The JSON of a message.
		_, _, body = a.srv.Do(apitest.As("bob"), "GET", post+"?limit=1&before="+fmt.Sprint(a.aliceMsg.ID+1), "")
		want := fmt.Sprintf(`[{"id":%d,"room":%d,"sender":1,"username":"alice","body":"hello","created":%q,"edited":null,"deleted":null,"deleted_by":null}]`,
			a.aliceMsg.ID, a.global.ID, a.aliceMsg.Created.Format(time.RFC3339Nano))
		if !apitest.JSONEqual(t, body, want) {
			t.Errorf("message JSON: got %s, want %s", body, want)
		}
	})
}
