package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// social are the chat and leaderboard stores the admin's social pages
// work on, on the test's clock.
type social struct {
	boards *leaderboards.SQLStore
	chat   *chat.SQLStore
}

// runSocial is run with the admin given the chat and leaderboard stores.
func runSocial(t *testing.T, fn func(t *testing.T, e *env, s *social)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		var e *env
		now := func() time.Time { return e.clock.Now() }
		s := &social{
			boards: storagetest.Must(leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{Now: now})),
			chat:   storagetest.Must(chat.NewSQLStore(db, &chat.StoreOptions{Now: now, Users: usernames{&e}})),
		}
		e = newEnv(t, db, &admin.Options{Leaderboards: s.boards, Chat: s.chat})
		fn(t, e, s)
	}, migrations()...)
}

// usernames names users from the accounts, as the example server does
// for chat.
type usernames struct{ e **env }

func (u usernames) Username(ctx context.Context, id int64) (string, error) {
	user, err := (*u.e).acc.User(ctx, id)
	return user.Username, err
}

// checkKeyed checks an audit entry about an object named by a key.
func checkKeyed(t *testing.T, got admin.AuditEntry, who accounts.User, action, objectType, key, before, after string) {
	t.Helper()
	if got.ObjectKey != key {
		t.Errorf("audit entry's key: got %q, want %q", got.ObjectKey, key)
	}
	checkAudit(t, got, who, action, objectType, 0, before, after)
}

func identity(u accounts.User) gamekit.Identity {
	return gamekit.Identity{UserID: u.ID, Username: u.Username, Admin: u.Admin}
}

// The leaderboard pages list and search boards, show a board's records
// and period, reset it (the old period stays readable) and delete it,
// each change audited.
func TestLeaderboardPages(t *testing.T) {
	runSocial(t, func(t *testing.T, e *env, s *social) {
		ctx := context.Background()
		for _, b := range []leaderboards.Board{{ID: "moves-today", Operator: leaderboards.Incr, Reset: "@daily"}, {ID: "weekly-best", Reset: "@weekly"}} {
			if err := s.boards.CreateBoard(ctx, &b); err != nil {
				t.Fatal(err)
			}
		}
		for _, sub := range []struct {
			user  accounts.User
			score int64
		}{{e.alice, 5}, {e.root, 3}, {e.alice, 2}} {
			if _, err := s.boards.Submit(ctx, "moves-today", sub.user.ID, sub.user.Username, sub.score, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/"), http.StatusOK, `href="/admin/leaderboards/"`, "Leaderboards", "Chat rooms")
		expect(t, c.get("/admin/leaderboards/"), http.StatusOK, "moves-today", "weekly-best", "1–2 of 2", "@daily", "incr")
		res := c.get("/admin/leaderboards/?q=WEEK")
		expect(t, res, http.StatusOK, "weekly-best")
		absent(t, res, "moves-today")

		path := "/admin/leaderboards/moves-today/"
		res = c.get(path)
		expect(t, res, http.StatusOK, "Leaderboard moves-today", "Current period", "2026-11-23 00:00:00 UTC", "2026-11-24 00:00:00 UTC",
			`<td class="num">1</td><td><a href="/admin/users/2/">alice</a>`, `<td class="num">7</td>`,
			`<td class="num">2</td><td><a href="/admin/users/1/">root</a>`)
		oldPeriod := start.Truncate(24 * time.Hour).Unix()

		expect(t, c.get(path+"reset"), http.StatusOK, "Reset leaderboard moves-today?", "holds 2 records", "Nothing is deleted")
		e.clock.Advance(time.Hour)
		expectRedirect(t, c.post(path+"reset", nil), path+"?done=reset")
		res = c.get(path + "?done=reset")
		expect(t, res, http.StatusOK, "Board reset", "No records in this period.", "13:00:00 UTC")
		newPeriod := start.Add(time.Hour).Unix()
		checkKeyed(t, e.lastAudit(t), e.root, "reset", "leaderboard", "moves-today",
			fmt.Sprintf(`{"id":"moves-today","order":"desc","operator":"incr","reset":"@daily","client_writable":false,"period":%d}`, oldPeriod),
			fmt.Sprintf(`{"id":"moves-today","order":"desc","operator":"incr","reset":"@daily","client_writable":false,"period":%d}`, newPeriod))
		// The ended period is still there, by its id.
		res = c.get(fmt.Sprintf("%s?period=%d", path, oldPeriod))
		expect(t, res, http.StatusOK, "Past period", "alice", `<td class="num">7</td>`)
		expect(t, c.get(path+"?period=abc"), http.StatusBadRequest, "A period is a whole number")
		// The audit trail of the board is found from its page.
		expect(t, c.get("/admin/audit/?type=leaderboard&key=moves-today"), http.StatusOK,
			"Audit trail: leaderboard moves-today", "reset", `href="/admin/leaderboards/moves-today/"`)

		expect(t, c.get(path+"delete"), http.StatusOK, "Delete leaderboard?", "moves-today", "of every period")
		expectRedirect(t, c.post(path+"delete", nil), "/admin/leaderboards/?done=deleted")
		if _, err := s.boards.Board(ctx, "moves-today"); !errors.Is(err, leaderboards.ErrBoardNotFound) {
			t.Errorf("the board after its delete: %v", err)
		}
		checkKeyed(t, e.lastAudit(t), e.root, "delete", "leaderboard", "moves-today",
			fmt.Sprintf(`{"id":"moves-today","order":"desc","operator":"incr","reset":"@daily","client_writable":false,"period":%d}`, newPeriod), "")
		for _, p := range []string{path, path + "reset", path + "delete", "/admin/leaderboards/no%20such/"} {
			expect(t, c.get(p), http.StatusNotFound, "There is no such object")
		}
		n := len(e.audit(t))
		expect(t, c.post(path+"reset", nil), http.StatusNotFound)
		expect(t, c.post(path+"delete", nil), http.StatusNotFound)
		if got := len(e.audit(t)); got != n {
			t.Errorf("refused changes wrote %d audit entries", got-n)
		}
	})
}

// The chat pages list and search rooms, show a room as a moderator reads
// it, delete a message (its body kept for moderators) and mute and unmute
// a user in a room or everywhere, each change audited.
func TestChatPages(t *testing.T) {
	runSocial(t, func(t *testing.T, e *env, s *social) {
		ctx := context.Background()
		alice := identity(e.alice)
		global, err := s.chat.EnsurePublicRoom(ctx, "global")
		if err != nil {
			t.Fatal(err)
		}
		hello, err := s.chat.Send(ctx, global.ID, alice, "hello <b>world</b>")
		if err != nil {
			t.Fatal(err)
		}
		spam, err := s.chat.Send(ctx, global.ID, alice, "buy gold at example.com")
		if err != nil {
			t.Fatal(err)
		}
		dm, err := s.chat.SendDirect(ctx, e.root.ID, alice, "psst")
		if err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")

		res := c.get("/admin/chat/")
		expect(t, res, http.StatusOK, "Chat rooms", "global", "DM of users #1 and #2", "1–2 of 2")
		res = c.get("/admin/chat/?q=GLOB")
		expect(t, res, http.StatusOK, "global")
		absent(t, res, "DM of users")
		res = c.get("/admin/chat/?kind=dm")
		expect(t, res, http.StatusOK, "DM of users #1 and #2", `<option value="dm" selected>`)
		absent(t, res, ">global<")
		expect(t, c.get("/admin/chat/?kind=bogus"), http.StatusBadRequest)

		path := fmt.Sprintf("/admin/chat/%d/", global.ID)
		res = c.get(path)
		expect(t, res, http.StatusOK, "Room global", "everyone signed in", "buy gold at example.com")
		if !strings.Contains(res.body, "hello &lt;b&gt;world&lt;/b&gt;") {
			t.Errorf("the room page does not escape a message:\n%s", res.main())
		}
		expect(t, c.get(fmt.Sprintf("/admin/chat/%d/", dm.Room)), http.StatusOK, "psst", ">alice</a>", ">root</a>", "Members")

		// A moderator's deletion: gone for the players, kept here.
		del := fmt.Sprintf("%smessages/%d/delete", path, spam.ID)
		expectRedirect(t, c.post(del, nil), path+"?done=deleted")
		history, err := s.chat.History(ctx, global.ID, alice, chat.HistoryOptions{})
		if err != nil || len(history) != 2 || history[0].Body != hello.Body || history[1].Body != "" || history[1].Deleted == nil {
			t.Fatalf("alice's history after the deletion: %+v, %v", history, err)
		}
		expect(t, c.get(path), http.StatusOK, "buy gold at example.com", "deleted by the moderator at 2026-11-23 12:00:00 UTC")
		created := spam.Created.Format(time.RFC3339Nano)
		checkAudit(t, e.lastAudit(t), e.root, "delete message", "room", global.ID,
			fmt.Sprintf(`{"id":%d,"room":%d,"sender":%d,"username":"alice","body":"buy gold at example.com","created":%q}`, spam.ID, global.ID, e.alice.ID, created),
			fmt.Sprintf(`{"id":%d,"room":%d,"sender":%d,"username":"alice","body":"","created":%q,"deleted":"2026-11-23T12:00:00Z","deleted_by":%d}`, spam.ID, global.ID, e.alice.ID, created, e.root.ID))
		n := len(e.audit(t))
		expectRedirect(t, c.post(del, nil), path+"?done=deleted") // deleted already: nothing to do
		expect(t, c.post(fmt.Sprintf("%smessages/%d/delete", path, dm.ID), nil), http.StatusNotFound)
		if got := len(e.audit(t)); got != n {
			t.Errorf("deleting nothing wrote %d audit entries", got-n)
		}

		// Mute alice in the room, from its page.
		mute := func(form url.Values) *response {
			t.Helper()
			return c.post("/admin/chat/mutes/add", form)
		}
		room := fmt.Sprint(global.ID)
		expect(t, mute(url.Values{"user": {"nobody"}, "room": {room}, "until": {"2h"}, "back": {room}}), http.StatusBadRequest,
			`There is no user "nobody"`, "Room global")
		expect(t, mute(url.Values{"user": {"alice"}, "room": {room}, "until": {"tomorrow"}, "back": {room}}), http.StatusBadRequest,
			"Enter a duration from now", `value="tomorrow"`)
		expect(t, mute(url.Values{"user": {"alice"}, "room": {room}, "until": {"2020-01-01 00:00"}, "back": {room}}), http.StatusBadRequest,
			"Ensure this time is in the future.")
		expect(t, mute(url.Values{"user": {"alice"}, "room": {"999"}, "until": {"2h"}}), http.StatusBadRequest,
			"There is no room #999.", "Mutes")
		expect(t, mute(url.Values{"user": {"alice"}, "room": {room}, "until": {"2h"}, "reason": {strings.Repeat("x", 501)}, "back": {room}}),
			http.StatusBadRequest, "no more than 500 characters")
		if got := len(e.audit(t)); got != n {
			t.Errorf("refused mutes wrote %d audit entries", got-n)
		}
		expectRedirect(t, mute(url.Values{"user": {"alice"}, "room": {room}, "until": {"2h"}, "reason": {"gold seller"}, "back": {room}}), path+"?done=muted")
		checkAudit(t, e.lastAudit(t), e.root, "mute", "user", e.alice.ID, "",
			fmt.Sprintf(`{"user":%d,"room":%d,"until":"2026-11-23T14:00:00Z","reason":"gold seller"}`, e.alice.ID, global.ID))
		var muted *chat.MutedError
		if _, err := s.chat.Send(ctx, global.ID, alice, "let me talk"); !errors.As(err, &muted) || muted.Room != global.ID {
			t.Errorf("alice sending while muted: %v", err)
		}
		expect(t, c.get(path), http.StatusOK, "Mutes in this room", "2026-11-23 14:00:00 UTC", "gold seller")

		// And everywhere, from the mutes page, until a time.
		expectRedirect(t, mute(url.Values{"user": {fmt.Sprint(e.alice.ID)}, "until": {"2026-11-30 08:00"}, "reason": {"again"}}), "/admin/chat/mutes/?done=muted")
		checkAudit(t, e.lastAudit(t), e.root, "mute", "user", e.alice.ID, "",
			fmt.Sprintf(`{"user":%d,"room":null,"until":"2026-11-30T08:00:00Z","reason":"again"}`, e.alice.ID))
		res = c.get("/admin/chat/mutes/")
		expect(t, res, http.StatusOK, "every room", "2026-11-30 08:00:00 UTC", fmt.Sprintf("room #%d", global.ID))

		// Unmute in the room: the mute everywhere still holds.
		expectRedirect(t, c.post("/admin/chat/mutes/remove", url.Values{"user": {fmt.Sprint(e.alice.ID)}, "room": {room}, "back": {room}}), path+"?done=unmuted")
		checkAudit(t, e.lastAudit(t), e.root, "unmute", "user", e.alice.ID,
			fmt.Sprintf(`{"user":%d,"room":%d,"until":"2026-11-23T14:00:00Z","reason":"gold seller"}`, e.alice.ID, global.ID), "")
		if _, err := s.chat.Send(ctx, global.ID, alice, "let me talk"); !errors.As(err, &muted) || muted.Room != 0 {
			t.Errorf("alice sending while muted everywhere: %v", err)
		}
		expectRedirect(t, c.post("/admin/chat/mutes/remove", url.Values{"user": {fmt.Sprint(e.alice.ID)}, "room": {"0"}, "back": {"0"}}), "/admin/chat/mutes/?done=unmuted")
		if _, err := s.chat.Send(ctx, global.ID, alice, "thanks"); err != nil {
			t.Errorf("alice sending once unmuted: %v", err)
		}
		expect(t, c.post("/admin/chat/mutes/remove", url.Values{"user": {fmt.Sprint(e.alice.ID)}, "room": {"0"}}), http.StatusNotFound)
		expect(t, c.get("/admin/chat/mutes/"), http.StatusOK, "No one is muted.")
		expect(t, c.get("/admin/chat/999/"), http.StatusNotFound)
		expect(t, c.get(fmt.Sprintf("/admin/audit/?type=user&id=%d", e.alice.ID)), http.StatusOK, "unmute", "mute")
	})
}

// Strangers, players and other sites change nothing on the social pages;
// an admin without the stores has no such pages.
func TestSocialPagesRefused(t *testing.T) {
	runSocial(t, func(t *testing.T, e *env, s *social) {
		ctx := context.Background()
		if err := s.boards.CreateBoard(ctx, &leaderboards.Board{ID: "daily"}); err != nil {
			t.Fatal(err)
		}
		global, err := s.chat.EnsurePublicRoom(ctx, "global")
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.chat.Send(ctx, global.ID, identity(e.alice), "hi")
		if err != nil {
			t.Fatal(err)
		}
		room := fmt.Sprintf("/admin/chat/%d/", global.ID)
		posts := []struct {
			path string
			form url.Values
		}{
			{"/admin/leaderboards/daily/reset", nil},
			{"/admin/leaderboards/daily/delete", nil},
			{fmt.Sprintf("%smessages/%d/delete", room, m.ID), nil},
			{"/admin/chat/mutes/add", url.Values{"user": {"alice"}, "until": {"1h"}}},
			{"/admin/chat/mutes/remove", url.Values{"user": {"2"}, "room": {"0"}}},
		}
		pages := []string{"/admin/leaderboards/", "/admin/leaderboards/daily/", "/admin/leaderboards/daily/reset",
			"/admin/chat/", room, "/admin/chat/mutes/"}

		token, _, err := e.acc.IssueToken(ctx, e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		player := e.anonymous(t)
		for _, c := range []*client{e.anonymous(t), player} {
			for _, p := range pages {
				player.cookie = token
				if res := c.get(p); res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header().Get("Location"), "/admin/signin?next=") {
					t.Errorf("GET %s without an admin's session: got %d to %q", p, res.Code, res.Header().Get("Location"))
				}
			}
			for _, p := range posts {
				player.cookie = token
				if res := c.post(p.path, p.form); res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/admin/signin" {
					t.Errorf("POST %s without an admin's session: got %d to %q", p.path, res.Code, res.Header().Get("Location"))
				}
			}
		}
		// An admin's browser tricked into posting from another site.
		root := e.signIn(t, "root")
		for _, p := range posts {
			req := httptest.NewRequest(http.MethodPost, origin+p.path, strings.NewReader(p.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			expect(t, root.do(req), http.StatusForbidden, "sent from another site")
		}
		if _, err := s.boards.Board(ctx, "daily"); err != nil {
			t.Errorf("the board after refused posts: %v", err)
		}
		if h, err := s.chat.History(ctx, global.ID, identity(e.alice), chat.HistoryOptions{}); err != nil || len(h) != 1 || h[0].Body != "hi" {
			t.Errorf("the room after refused posts: %+v, %v", h, err)
		}
		if mutes, err := s.chat.Mutes(ctx, identity(e.root), chat.MuteListOptions{Expired: true}); err != nil || len(mutes) != 0 {
			t.Errorf("mutes after refused posts: %+v, %v", mutes, err)
		}
		for _, entry := range e.audit(t) {
			if entry.ObjectType != "session" {
				t.Errorf("a refused post was audited: %+v", entry)
			}
		}
	})
	// A host that gives no chat or leaderboard store has no such pages.
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		res := c.get("/admin/")
		expect(t, res, http.StatusOK, "Dashboard")
		absent(t, res, "Leaderboards", "Chat")
		for _, p := range []string{"/admin/leaderboards/", "/admin/chat/", "/admin/chat/mutes/"} {
			expect(t, c.get(p), http.StatusNotFound, "There is no such page.")
		}
	})
}

// A NUL or invalid UTF-8 in a board's or a room's id names nothing: every
// page that reads one answers 404, on both databases, before a store sees it.
func TestUnstorablePath(t *testing.T) {
	runSocial(t, func(t *testing.T, e *env, s *social) {
		c := e.signIn(t, "root")
		for _, id := range []string{"%00", "a%00b", "%ff"} {
			for _, path := range []string{"/admin/leaderboards/" + id + "/", "/admin/leaderboards/" + id + "/reset", "/admin/leaderboards/" + id + "/delete", "/admin/chat/" + id + "/", "/admin/items/" + id + "/"} {
				expect(t, c.get(path), http.StatusNotFound)
			}
			expect(t, c.post("/admin/leaderboards/"+id+"/reset", nil), http.StatusNotFound)
			expect(t, c.post("/admin/leaderboards/"+id+"/delete", nil), http.StatusNotFound)
		}
	})
}
