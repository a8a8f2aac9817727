package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/players"
)

func TestUserList(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		e.mustUser(t, "bob", false)
		c := e.signIn(t, "root")
		res := c.get("/admin/users/")
		expect(t, res, http.StatusOK, "root", "alice", "1–2 of 3", "Next ›")
		absent(t, res, "bob")
		expect(t, c.get("/admin/users/?page=2"), http.StatusOK, "bob", "3–3 of 3")
		res = c.get("/admin/users/?q=LIC")
		expect(t, res, http.StatusOK, "alice", "1–1 of 1")
		absent(t, res, "<td>root</td>", "<td>bob</td>")
		res = c.get("/admin/users/?sort=username")
		expect(t, res, http.StatusOK, "<td>alice</td>", "<td>bob</td>", "1–2 of 3", `href="/admin/users/?sort=-username"`)
		absent(t, res, "<td>root</td>")
	})
}

// TestUserPages reads every page of every order of users, joined at three
// times, two at once: pages past the middle are read from the other end
// and turned round, and must come out as if read from the start.
func TestUserPages(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		e.clock.Advance(-time.Hour) // bob's account is older than root's
		e.mustUser(t, "bob", false)
		e.clock.Advance(2 * time.Hour)
		e.mustUser(t, "dave", false)
		e.mustUser(t, "carol", false)
		c := e.signIn(t, "root")
		for _, sort := range []string{"", "id", "-id", "username", "-username", "date_joined", "-date_joined"} {
			all, err := e.acc.Users(context.Background(), accounts.ListOptions{Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, u := range all {
				want = append(want, fmt.Sprintf(`<a href="/admin/users/%d/">`, u.ID))
			}
			for page := 1; page <= 4; page++ {
				res := c.get(fmt.Sprintf("/admin/users/?sort=%s&page=%d", sort, page))
				expect(t, res, http.StatusOK)
				got = append(got, userLinks.FindAllString(res.body, -1)...)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("sort %q: pages show\n%v\nwant\n%v", sort, got, want)
			}
		}
	})
}

// userLinks finds the links of the user list's rows.
var userLinks = regexp.MustCompile(`<a href="/admin/users/\d+/">`)

func TestUserAdd(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/users/add"), http.StatusOK, "Add user")

		// The registration's rules, next to their fields; the passwords are
		// never sent back.
		res := c.post("/admin/users/add", url.Values{"username": {"bad name!"}, "password": {"12345678"}, "password2": {"12345678"}})
		expect(t, res, http.StatusBadRequest, "Enter a valid username.", "This password is entirely numeric.", `value="bad name!"`)
		absent(t, res, "12345678")
		res = c.post("/admin/users/add", url.Values{"username": {"alice"}, "password": {password}, "password2": {password}})
		expect(t, res, http.StatusBadRequest, "A user with that username already exists.", `value="alice"`)
		res = c.post("/admin/users/add", url.Values{"username": {"carol"}, "password": {password}, "password2": {"other"}})
		expect(t, res, http.StatusBadRequest, "The two password fields didn't match.")
		if _, err := e.acc.UserByUsername(context.Background(), "carol"); !errors.Is(err, gamekit.ErrNotFound) {
			t.Fatalf("a refused form created carol: %v", err)
		}

		res = c.post("/admin/users/add", url.Values{"username": {"carol"}, "password": {password}, "password2": {password}, "admin": {"on"}})
		carol, err := e.acc.UserByUsername(context.Background(), "carol")
		if err != nil || !carol.Admin {
			t.Fatalf("carol: %v, %v; want an admin", carol, err)
		}
		expectRedirect(t, res, fmt.Sprintf("/admin/users/%d/?done=added", carol.ID))
		// What the host makes for every user came with her.
		if _, err := e.items.InventoryOfUser(context.Background(), carol.ID); err != nil {
			t.Errorf("carol's inventory: %v", err)
		}
		expect(t, c.follow(res), http.StatusOK, "Added.", "carol", "Inventory")
		checkAudit(t, e.lastAudit(t), e.root, "add", "user", carol.ID, "",
			fmt.Sprintf(`{"id":%d,"username":"carol","admin":true,"created_at":%q}`, carol.ID, start.Format("2006-01-02T15:04:05Z07:00")))
		e.signIn(t, "carol")
	})
}

func TestUserSetAdmin(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/users/%d/", e.alice.ID)
		expect(t, c.get(path), http.StatusOK, fmt.Sprintf("User #%d: alice", e.alice.ID), "Reset password")

		expectRedirect(t, c.post(path+"admin", url.Values{"admin": {"on"}}), path+"?done=saved")
		if u, _ := e.acc.User(context.Background(), e.alice.ID); !u.Admin {
			t.Fatal("alice is not an admin")
		}
		entry := e.lastAudit(t)
		checkAudit(t, entry, e.root, "set admin", "user", e.alice.ID,
			fmt.Sprintf(`{"id":%d,"username":"alice","admin":false,"created_at":%q}`, e.alice.ID, start.Format("2006-01-02T15:04:05Z07:00")),
			fmt.Sprintf(`{"id":%d,"username":"alice","admin":true,"created_at":%q}`, e.alice.ID, start.Format("2006-01-02T15:04:05Z07:00")))
		e.signIn(t, "alice")

		expectRedirect(t, c.post(path+"admin", nil), path+"?done=saved")
		if u, _ := e.acc.User(context.Background(), e.alice.ID); u.Admin {
			t.Fatal("alice is still an admin")
		}

		// An admin cannot demote themselves.
		self := fmt.Sprintf("/admin/users/%d/", e.root.ID)
		expect(t, c.post(self+"admin", nil), http.StatusBadRequest, "You cannot take away your own admin rights")
		if u, _ := e.acc.User(context.Background(), e.root.ID); !u.Admin {
			t.Fatal("root demoted themselves")
		}
	})
}

func TestUserSetPassword(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		aliceToken, _, err := e.acc.IssueToken(ctx, e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/users/%d/password", e.alice.ID)

		res := c.post(path, url.Values{"password": {"short"}, "password2": {"short"}})
		expect(t, res, http.StatusBadRequest, "This password is too short.")
		absent(t, res, `value="short"`)
		expect(t, c.post(path, url.Values{"password": {"a new password"}, "password2": {"another"}}), http.StatusBadRequest,
			"The two password fields didn't match.")

		expectRedirect(t, c.post(path, url.Values{"password": {"a new password"}, "password2": {"a new password"}}),
			fmt.Sprintf("/admin/users/%d/?done=password", e.alice.ID))
		if _, err := e.acc.Authenticate(ctx, "alice", "a new password", ""); err != nil {
			t.Errorf("alice's new password: %v", err)
		}
		if _, err := e.acc.UserByToken(ctx, aliceToken); err == nil {
			t.Error("alice's token survived the reset")
		}
		checkAudit(t, e.lastAudit(t), e.root, "set password", "user", e.alice.ID, "", "")
		for _, entry := range e.audit(t) {
			if strings.Contains(string(entry.Before)+string(entry.After), "new password") {
				t.Errorf("the audit trail holds the password: %+v", entry)
			}
		}

		// An admin who resets their own password stays signed in.
		self := fmt.Sprintf("/admin/users/%d/password", e.root.ID)
		old := c.cookie
		expectRedirect(t, c.post(self, url.Values{"password": {"root's new one"}, "password2": {"root's new one"}}),
			fmt.Sprintf("/admin/users/%d/?done=password", e.root.ID))
		if c.cookie == old || c.cookie == "" {
			t.Fatal("no new session after resetting one's own password")
		}
		expect(t, c.get("/admin/"), http.StatusOK, "Dashboard")
	})
}

func TestUserDelete(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, err := e.items.InventoryOfUser(ctx, e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		extra := players.Player{UserID: e.alice.ID, Username: "alice", X: 3}
		if err := e.players.CreatePlayer(ctx, &extra); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/users/%d/delete", e.alice.ID)
		expect(t, c.get(path), http.StatusOK, "Delete user?", "alice", fmt.Sprintf("Their inventory #%d is deleted", inv.ID),
			"Their 2 player(s) are deleted.")

		expectRedirect(t, c.post(path, nil), "/admin/users/?done=deleted")
		if _, err := e.acc.User(ctx, e.alice.ID); !errors.Is(err, accounts.ErrUserNotFound) {
			t.Errorf("alice after delete: %v", err)
		}
		if _, err := e.items.Inventory(ctx, inv.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("alice's inventory after delete: %v", err)
		}
		if n, _ := e.players.CountPlayers(ctx, players.ListOptions{UserID: e.alice.ID}); n != 0 {
			t.Errorf("alice has %d players after delete", n)
		}
		// One entry per object deleted, the user's first.
		entries := e.audit(t)
		var got []string
		for _, entry := range entries[:4] {
			got = append(got, entry.Action+" "+entry.ObjectType)
		}
		if fmt.Sprint(got) != "[delete player delete player delete inventory delete user]" {
			t.Errorf("audit entries: %v", got)
		}
		checkAudit(t, entries[3], e.root, "delete", "user", e.alice.ID,
			fmt.Sprintf(`{"id":%d,"username":"alice","admin":false,"created_at":%q}`, e.alice.ID, start.Format("2006-01-02T15:04:05Z07:00")), "")

		// Nobody deletes themselves.
		self := fmt.Sprintf("/admin/users/%d/delete", e.root.ID)
		expect(t, c.get(self), http.StatusBadRequest, "You cannot delete your own account")
		expect(t, c.post(self, nil), http.StatusBadRequest, "You cannot delete your own account")
		if _, err := e.acc.User(ctx, e.root.ID); err != nil {
			t.Errorf("root after deleting themselves: %v", err)
		}
	})
}
