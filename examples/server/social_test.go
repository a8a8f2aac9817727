package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// moves reads a user's count on moves-today through the API, 0 when they
// have no record yet.
func (s *site) moves(user int64) int64 {
	s.t.Helper()
	status, _, body := s.do("", "GET", fmt.Sprintf("/api/leaderboards/%s/records/%d/", movesBoard, user), "")
	if status == 404 {
		return 0
	}
	var rec leaderboards.Record
	if status != 200 || json.Unmarshal([]byte(body), &rec) != nil {
		s.t.Fatalf("alice's record on %s: %d %s", movesBoard, status, body)
	}
	return rec.Score
}

// Every move the server accepts adds exactly 1 to the mover's count on
// moves-today, by REST and by the websocket alike; a refused move adds
// nothing; players cannot write the board themselves.
func TestMovesToday(t *testing.T) {
	runSite(t, func(t *testing.T, s *site) {
		alice, bob := s.register("alice"), s.register("bob")
		aliceWS, aliceID := s.connect(alice)
		_, bobID := s.connect(bob)
		var list []struct {
			ID   int64 `json:"id"`
			User int64 `json:"user"`
		}
		_, _, body := s.do(alice, "GET", "/api/players/", "")
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		var player int64
		for _, p := range list {
			if p.User == aliceID {
				player = p.ID
			}
		}
		if player == 0 {
			t.Fatalf("alice has no player in %s", body)
		}
		if n := s.moves(aliceID); n != 0 {
			t.Fatalf("before any move alice has %d moves today", n)
		}
		// The board's channel tells the live page of each change.
		if f := aliceWS.Call(`{"id":1,"verb":"subscribe","channel":"leaderboard.moves-today"}`); !f.OK {
			t.Fatalf("subscribe to the board: %+v", f.Error)
		}

		move := fmt.Sprintf("/api/players/%d/move/", player)
		if status, _, body := s.do(alice, "POST", move, `{"dx":1,"dy":0}`); status != 200 {
			t.Fatalf("REST move: %d %s", status, body)
		}
		if n := s.moves(aliceID); n != 1 {
			t.Errorf("after one REST move alice has %d moves today, want 1", n)
		}
		for {
			f := aliceWS.Read()
			if f.Channel != "leaderboard.moves-today" {
				continue
			}
			var c leaderboards.Change
			if f.Event != leaderboards.EventRecord || json.Unmarshal(f.Data, &c) != nil ||
				c.Record.UserID != aliceID || c.Record.Username != "alice" || c.Record.Score != 1 || c.Record.Rank != 1 {
				t.Errorf("the board's event: %s %s", f.Event, f.Data)
			}
			break
		}

		update := fmt.Sprintf(`{"id":2,"route":"player","verb":"update","args":{"id":%d,"position_x":0,"position_y":0}}`, player)
		if f := aliceWS.Call(update); !f.OK {
			t.Fatalf("websocket move: %+v", f.Error)
		}
		if n := s.moves(aliceID); n != 2 {
			t.Errorf("after a websocket move alice has %d moves today, want 2", n)
		}

		// Refused moves, by either road: too far, and someone else's player.
		if status, _, _ := s.do(alice, "POST", move, `{"dx":5,"dy":0}`); status != 400 {
			t.Errorf("a move of 5: got %d, want 400", status)
		}
		if status, _, _ := s.do(bob, "POST", move, `{"dx":1,"dy":0}`); status != 403 {
			t.Errorf("bob moving alice's player: got %d, want 403", status)
		}
		far := fmt.Sprintf(`{"id":3,"route":"player","verb":"update","args":{"id":%d,"position_x":9,"position_y":0}}`, player)
		if f := aliceWS.Call(far); f.OK {
			t.Errorf("a websocket move of 9 was accepted")
		}
		if n := s.moves(aliceID); n != 2 {
			t.Errorf("after refused moves alice has %d moves today, want still 2", n)
		}
		if n := s.moves(bobID); n != 0 {
			t.Errorf("bob's refused move counted %d for him", n)
		}

		// The server alone writes the board: not alice for herself, not
		// bob for alice.
		for _, body := range []string{`{"score":100}`, fmt.Sprintf(`{"score":100,"user":%d}`, bobID)} {
			if status, _, reply := s.do(alice, "POST", "/api/leaderboards/moves-today/", body); status != 403 {
				t.Errorf("alice submitting %s: got %d %s, want 403", body, status, reply)
			}
		}
		status, _, body := s.do("", "GET", "/api/leaderboards/moves-today/", "")
		want := `{"id":"moves-today","order":"desc","operator":"incr","reset":"@daily","client_writable":false}`
		var got map[string]any
		if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("the board: %d %s", status, body)
		}
		delete(got, "created_at")
		delete(got, "period")
		delete(got, "records")
		delete(got, "next")
		if b, _ := json.Marshal(got); !apitest.JSONEqual(t, string(b), want) {
			t.Errorf("the board: got %s, want %s", b, want)
		}
	})
}

// The global room is there from the first start and the same after a
// restart; chat knows the users by the accounts: a DM to a user who does
// not exist is refused, one to bob carries both names.
func TestChatWiring(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		s := newSite(t, db)
		alice := s.register("alice")
		s.register("bob")
		bob, err := s.b.accounts.UserByUsername(context.Background(), "bob")
		if err != nil {
			t.Fatal(err)
		}
		global := s.b.social.global
		if global.Kind != chat.Public || global.Name != globalRoom {
			t.Fatalf("the global room: %+v", global)
		}
		status, _, body := s.do(alice, "POST", fmt.Sprintf("/api/chat/rooms/%d/messages/", global.ID), `{"body":"hello all"}`)
		if status != 201 {
			t.Fatalf("alice posting in the global room: %d %s", status, body)
		}
		if status, _, body := s.do(alice, "POST", "/api/chat/dm/999/", `{"body":"anyone?"}`); status != 404 {
			t.Errorf("a DM to nobody: got %d %s, want 404", status, body)
		}
		status, _, body = s.do(alice, "POST", fmt.Sprintf("/api/chat/dm/%d/", bob.ID), `{"body":"hi bob"}`)
		var dm struct {
			Room     int64  `json:"room"`
			Username string `json:"username"`
		}
		if status != 201 || json.Unmarshal([]byte(body), &dm) != nil || dm.Username != "alice" {
			t.Fatalf("a DM to bob: %d %s", status, body)
		}
		members, err := s.b.social.chat.Members(context.Background(), dm.Room, gamekit.Identity{Admin: true}, 10, 0)
		if err != nil || len(members) != 2 || members[0].Username != "alice" || members[1].Username != "bob" {
			t.Errorf("the DM's members: %+v, %v", members, err)
		}

		// A restart on the same database finds the room and the board.
		again, err := newBackend(db, config{register: true}, slog.New(slog.DiscardHandler), accounts.Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		defer again.stop(context.Background())
		if again.social.global.ID != global.ID {
			t.Errorf("after a restart the global room is %d, want %d", again.social.global.ID, global.ID)
		}
		n, err := again.social.chat.CountRooms(context.Background(), chat.RoomListOptions{Kind: chat.Public})
		if err != nil || n != 1 {
			t.Errorf("public rooms after a restart: %d, %v", n, err)
		}
		if _, err := again.social.boards.Board(context.Background(), movesBoard); err != nil {
			t.Errorf("the board after a restart: %v", err)
		}
	}, migrations()...)
}
