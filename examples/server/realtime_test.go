package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
)

// connect opens the live connection of a signed-in player the way the page
// does: a ticket with the bearer token, then /ws?ticket=.
func (s *site) connect(authorization string) (*apitest.WS, int64) {
	s.t.Helper()
	status, _, body := s.do(authorization, "POST", "/api/realtime/ticket/", "")
	var ticket struct {
		Ticket string `json:"ticket"`
		User   struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &ticket) != nil {
		s.t.Fatalf("ticket: %d %s", status, body)
	}
	return apitest.Dial(s.t, s.srv, "/ws?ticket="+ticket.Ticket, ""), ticket.User.ID
}

// TestLiveUpdates follows what the page shows: a new player appears, a
// move over REST or over the websocket reaches everyone, a monster's
// transition is announced, and another's player cannot be moved.
func TestLiveUpdates(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		alice := s.register("alice")
		watcher, _ := s.connect(alice)
		if f := watcher.Call(`{"id":1,"verb":"subscribe","channel":"players"}`); !f.OK {
			t.Fatalf("subscribe players: %+v", f.Error)
		}
		if f := watcher.Call(`{"id":2,"verb":"subscribe","channel":"monsters"}`); !f.OK {
			t.Fatalf("subscribe monsters: %+v", f.Error)
		}

		// Registration gives bob a player at the origin, and everyone sees it.
		bob := s.register("bob")
		created := watcher.Read()
		var player struct {
			ID   int64 `json:"id"`
			User int64 `json:"user"`
		}
		if created.Channel != "players" || created.Event != "created" || json.Unmarshal(created.Data, &player) != nil {
			t.Fatalf("bob's player: got %+v %s", created, created.Data)
		}
		bobWS, bobID := s.connect(bob)
		if player.User != bobID {
			t.Fatalf("the new player belongs to user %d, want bob (%d)", player.User, bobID)
		}

		// bob moves right over REST; alice's screen hears of it.
		status, _, body := s.do(bob, "POST", fmt.Sprintf("/api/players/%d/move/", player.ID), `{"dx":1,"dy":0}`)
		if status != 200 {
			t.Fatalf("move: %d %s", status, body)
		}
		want := fmt.Sprintf(`{"id":%d,"position_x":1,"position_y":0}`, player.ID)
		if f := watcher.Read(); f.Event != "updated" || !apitest.JSONEqual(t, string(f.Data), want) {
			t.Fatalf("after the REST move: got %+v %s", f, f.Data)
		}
		// ... and left over the websocket, which the server validates the same way.
		update := fmt.Sprintf(`{"id":3,"route":"player","verb":"update","args":{"id":%d,"position_x":0,"position_y":0}}`, player.ID)
		if f := bobWS.Call(update); !f.OK {
			t.Fatalf("update over the websocket: %+v", f.Error)
		}
		want = fmt.Sprintf(`{"id":%d,"position_x":0,"position_y":0}`, player.ID)
		if f := watcher.Read(); f.Event != "updated" || !apitest.JSONEqual(t, string(f.Data), want) {
			t.Fatalf("after the websocket move: got %+v %s", f, f.Data)
		}
		// alice cannot move bob's player, by either road.
		if f := watcher.Call(update); f.OK || f.Error.Code != "forbidden" {
			t.Errorf("alice moving bob's player: got %+v", f)
		}
		if status, _, _ := s.do(alice, "POST", fmt.Sprintf("/api/players/%d/move/", player.ID), `{"dx":1}`); status != 403 {
			t.Errorf("alice moving bob's player over REST: got %d, want 403", status)
		}

		// An admin's transition of the monster is announced.
		if status, _, body := s.do(basic("admin", adminPassword), "POST", "/api/monsters/1/attack/", fmt.Sprintf(`{"user":%d}`, bobID)); status != 200 {
			t.Fatalf("attack: %d %s", status, body)
		}
		if f := watcher.Read(); f.Channel != "monsters" || f.Event != "updated" {
			t.Fatalf("after the attack: got %+v %s", f, f.Data)
		}
	})
}

func TestWebsocketNeedsIdentity(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		if status, _ := apitest.DialStatus(t, s.srv, "/ws", ""); status != 401 {
			t.Errorf("anonymous: got %d, want 401", status)
		}
		// A non-browser client may use its Authorization header.
		ws := apitest.Dial(t, s.srv, "/ws", basic("admin", adminPassword))
		if f := ws.Call(`{"id":1,"route":"player","verb":"get_list"}`); !f.OK || !apitest.JSONEqual(t, string(f.Data), `[{"id":1,"user":1,"position_x":0,"position_y":0}]`) {
			t.Errorf("get_list as admin: got %+v %s", f.Error, f.Data)
		}
		if status, _, _ := s.do("", "POST", "/api/realtime/ticket/", ""); status != 401 {
			t.Errorf("anonymous ticket: got %d, want 401", status)
		}
	})
}

// A new password ends the user's open websockets (close 1008) and makes
// the tickets already issued useless, as it makes the user's tokens; a
// demoted admin's websocket, which carries admin rights, is closed too.
func TestRevokedUserLeavesRealtime(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		alice := s.register("alice")
		ws, aliceID := s.connect(alice)
		status, _, body := s.do(alice, "POST", "/api/realtime/ticket/", "")
		var unused struct {
			Ticket string `json:"ticket"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &unused) != nil {
			t.Fatalf("ticket: %d %s", status, body)
		}
		if err := s.b.accounts.SetPassword(context.Background(), aliceID, "a new password!"); err != nil {
			t.Fatal(err)
		}
		var closeErr *websocket.CloseError
		if _, err := ws.ReadFrame(); !errors.As(err, &closeErr) || closeErr.Code != websocket.ClosePolicyViolation {
			t.Errorf("alice's websocket after a new password: got %v, want close 1008", err)
		}
		if status, _ := apitest.DialStatus(t, s.srv, "/ws?ticket="+unused.Ticket, ""); status != 401 {
			t.Errorf("a ticket issued before the new password: got %d, want 401", status)
		}

		admin, _ := s.connect(basic("admin", adminPassword))
		if err := s.b.accounts.SetAdmin(context.Background(), 1, false); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ReadFrame(); !errors.As(err, &closeErr) || closeErr.Code != websocket.ClosePolicyViolation {
			t.Errorf("a demoted admin's websocket: got %v, want close 1008", err)
		}
	})
}
