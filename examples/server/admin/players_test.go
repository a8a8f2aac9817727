package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
)

func TestPlayerList(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		res := c.get("/admin/players/")
		expect(t, res, http.StatusOK, "root", "alice", "1–2 of 2")
		res = c.get("/admin/players/?q=ALI")
		expect(t, res, http.StatusOK, "alice", "1–1 of 1")
		absent(t, res, "<td>root</td>")
		expect(t, c.get("/admin/players/?sort=-position_x"), http.StatusOK, `href="/admin/players/?sort=position_x"`)
	})
}

func TestPlayerAdd(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/players/add"), http.StatusOK, "Add player", `name="user"`)
		res := c.post("/admin/players/add", url.Values{"user": {"nobody"}, "position_x": {"abc"}, "position_y": {"1"}})
		expect(t, res, http.StatusBadRequest, `There is no user "nobody"`, "A valid number is required.", `value="abc"`)
		res = c.post("/admin/players/add", url.Values{"user": {"alice"}, "position_x": {"5000"}, "position_y": {"-5000"}})
		expect(t, res, http.StatusBadRequest, "Ensure this value is between -1000 and 1000.", `value="5000"`, `value="-5000"`)
		if n, _ := e.players.CountPlayers(ctx, players.ListOptions{UserID: e.alice.ID}); n != 1 {
			t.Fatalf("alice has %d players after refused forms, want 1", n)
		}

		res = c.post("/admin/players/add", url.Values{"user": {"alice"}, "position_x": {"2.5"}, "position_y": {"-3"}})
		list, _ := e.players.Players(ctx, players.ListOptions{UserID: e.alice.ID, Sort: "-id"})
		p := list[0]
		if len(list) != 2 || p.X != 2.5 || p.Y != -3 || p.Username != "alice" {
			t.Fatalf("alice's players: %+v", list)
		}
		expectRedirect(t, res, fmt.Sprintf("/admin/players/%d/?done=added", p.ID))
		checkAudit(t, e.lastAudit(t), e.root, "add", "player", p.ID, "",
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","position_x":2.5,"position_y":-3}`, p.ID, e.alice.ID))
	})
}

func TestPlayerChangeAndDelete(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		list, _ := e.players.Players(ctx, players.ListOptions{UserID: e.alice.ID})
		p := list[0]
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/players/%d/", p.ID)
		expect(t, c.get(path), http.StatusOK, fmt.Sprintf("Player #%d of alice", p.ID), `value="0"`)
		expect(t, c.post(path, url.Values{"position_x": {"1001"}, "position_y": {"0"}}), http.StatusBadRequest,
			"Ensure this value is between -1000 and 1000.", `value="1001"`)
		// An admin's move is not limited to a step.
		expectRedirect(t, c.post(path, url.Values{"position_x": {"500"}, "position_y": {"-20"}}), path+"?done=saved")
		got, _ := e.players.Player(ctx, p.ID)
		if got.X != 500 || got.Y != -20 {
			t.Fatalf("player after the change: %+v", got)
		}
		checkAudit(t, e.lastAudit(t), e.root, "change", "player", p.ID,
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","position_x":0,"position_y":0}`, p.ID, e.alice.ID),
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","position_x":500,"position_y":-20}`, p.ID, e.alice.ID))

		expect(t, c.get(path+"delete"), http.StatusOK, "Delete player?", "at (500, -20)")
		expectRedirect(t, c.post(path+"delete", nil), "/admin/players/?done=deleted")
		if _, err := e.players.Player(ctx, p.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("player after delete: %v", err)
		}
		checkAudit(t, e.lastAudit(t), e.root, "delete", "player", p.ID,
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","position_x":500,"position_y":-20}`, p.ID, e.alice.ID), "")
	})
}
