package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// The gift scheduler is what the dashboard's GiftStats asks for.
var _ admin.GiftStats = (*gifts.Scheduler)(nil)

func TestDashboardWithoutGiftsOrRealtime(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		e.mustItem(t, "Guitar", 2)
		e.mustMonster(t)
		c := e.signIn(t, "root")
		res := c.get("/admin/")
		expect(t, res, http.StatusOK, "The gift scheduler is off on this server.", "Realtime is off on this server.")
		for _, want := range []string{
			`<span class="n">2</span><span class="label">Users</span>`,
			`<span class="n">1</span><span class="label">Items</span>`,
			`<span class="n">2</span><span class="label">Inventories</span>`,
			`<span class="n">1</span><span class="label">Monsters</span>`,
			`<span class="n">2</span><span class="label">Players</span>`,
		} {
			expect(t, res, http.StatusOK, want)
		}
	})
}

// TestDashboard runs a real gift scheduler in a synctest bubble, so its
// ten-second tick takes no time.
func TestDashboard(t *testing.T) {
	for _, kind := range []storagetest.Kind{storagetest.Memory, storagetest.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				db := storagetest.Open(t, kind, append(migrations(), gifts.Migrations())...)
				sched, err := gifts.New(db, storagetest.Must(inventory.NewSQLStore(db, nil)), &gifts.Options{
					Interval: 10 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				clients := 3
				e := newEnv(t, db, &admin.Options{Gifts: sched, RealtimeClients: func() int { return clients }})
				c := e.signIn(t, "root")
				expect(t, c.get("/admin/"), http.StatusOK, "No tick yet since this server started.", "<dt>Connected clients</dt><dd>3</dd>")

				if err := sched.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				defer sched.Stop(context.Background())
				time.Sleep(10 * time.Second)
				synctest.Wait()
				st := sched.Stats()
				if st.Tick == 0 {
					t.Fatal("no tick after ten seconds")
				}
				clients = 0
				res := c.get("/admin/")
				expect(t, res, http.StatusOK, fmt.Sprintf("<dt>Last tick</dt><dd>#%d</dd>", st.Tick),
					"<dt>Users granted</dt><dd>2</dd>", fmt.Sprintf("<dt>Duration</dt><dd>%s</dd>", st.Duration),
					"<dt>Connected clients</dt><dd>0</dd>",
					`<span class="n">2</span><span class="label">Items</span>`) // the two gifts
			})
		})
	}
}

func TestDashboardNilScheduler(t *testing.T) {
	run(t, &admin.Options{Gifts: (*gifts.Scheduler)(nil)}, func(t *testing.T, e *env) {
		expect(t, e.signIn(t, "root").get("/admin/"), http.StatusOK, "The gift scheduler is off on this server.")
	})
}

func TestAuditPage(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		expectRedirect(t, c.post("/admin/items/add", url.Values{"name": {"Guitar <3"}, "weight": {"2"}}), "/admin/items/1/?done=added")
		expectRedirect(t, c.post("/admin/items/1/", url.Values{"name": {"Bass"}, "weight": {"2"}}), "/admin/items/1/?done=saved")
		expectRedirect(t, c.post("/admin/items/1/delete", nil), "/admin/items/?done=deleted")

		res := c.get("/admin/audit/")
		expect(t, res, http.StatusOK, "1–2 of 4", "Page 1 of 2", "<td>delete</td>", "<td>change</td>", `"name": "Bass"`, "item #1")
		absent(t, res, "<td>sign in</td>")
		expect(t, c.get("/admin/audit/?page=2"), http.StatusOK, "<td>add</td>", "<td>sign in</td>", `"name": "Guitar <3"`)
		res = c.get("/admin/audit/?type=item&id=1")
		expect(t, res, http.StatusOK, "Audit trail: item #1", "1–2 of 3")
		expect(t, c.get("/admin/audit/?type=monster"), http.StatusOK, "No changes recorded.")
	})
}

// state is everything a page could change, to check that GETs change
// nothing.
func (e *env) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	users, err1 := e.acc.Users(ctx, accounts.ListOptions{})
	items, err2 := e.items.Items(ctx, inventory.ListOptions{})
	invs, err3 := e.items.Inventories(ctx, inventory.ListOptions{})
	monsters, err4 := e.monsters.Monsters(ctx, enemies.ListOptions{})
	ps, err5 := e.players.Players(ctx, players.ListOptions{})
	history, err6 := e.monsters.CountHistory(ctx, enemies.HistoryOptions{})
	audit, err7 := e.adm.CountAudit(ctx, admin.AuditOptions{})
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("%+v\n%+v\n%+v\n%+v\n%+v\n%d %d", users, items, invs, monsters, ps, history, audit)
}

func TestGetChangesNothing(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		it := e.mustItem(t, "Guitar", 2)
		m := e.mustMonster(t)
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		ps, _ := e.players.Players(ctx, players.ListOptions{UserID: e.alice.ID})
		c := e.signIn(t, "root")
		before := e.state(t)
		form := "?user=alice&name=Stolen&weight=9&items=" + fmt.Sprint(it.ID) + "&admin=on&password=x12345678&password2=x12345678&health_points=1&position_x=9&position_y=9&state=evading"
		paths := []string{
			"/admin/signout",
			"/admin/users/add", fmt.Sprintf("/admin/users/%d/", e.alice.ID), fmt.Sprintf("/admin/users/%d/admin", e.alice.ID),
			fmt.Sprintf("/admin/users/%d/password", e.alice.ID), fmt.Sprintf("/admin/users/%d/delete", e.alice.ID),
			"/admin/items/add", fmt.Sprintf("/admin/items/%d/", it.ID), fmt.Sprintf("/admin/items/%d/delete", it.ID),
			"/admin/inventories/add", fmt.Sprintf("/admin/inventories/%d/", inv.ID),
			fmt.Sprintf("/admin/inventories/%d/items/add", inv.ID), fmt.Sprintf("/admin/inventories/%d/items/remove", inv.ID),
			fmt.Sprintf("/admin/inventories/%d/delete", inv.ID),
			"/admin/monsters/add", fmt.Sprintf("/admin/monsters/%d/", m.ID), fmt.Sprintf("/admin/monsters/%d/fire/attack", m.ID),
			fmt.Sprintf("/admin/monsters/%d/fire/evade", m.ID), fmt.Sprintf("/admin/monsters/%d/delete", m.ID),
			"/admin/players/add", fmt.Sprintf("/admin/players/%d/", ps[0].ID), fmt.Sprintf("/admin/players/%d/delete", ps[0].ID),
		}
		for _, path := range paths {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				res := c.do(newRequest(method, path+form))
				if res.Code >= 500 {
					t.Errorf("%s %s: %d", method, path, res.Code)
				}
			}
		}
		if after := e.state(t); after != before {
			t.Errorf("GET requests changed data:\nbefore %s\nafter  %s", before, after)
		}
		if c.cookie == "" {
			t.Error("GET /admin/signout signed the admin out")
		}
	})
}

func newRequest(method, path string) *http.Request {
	req, err := http.NewRequest(method, origin+path, nil)
	if err != nil {
		panic(err)
	}
	return req
}
