package leaderboards_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// A submit reaches the board's subscribers and the player's own channel
// through the hub once committed; one rolled back reaches nobody; the read
// verbs answer as the store does.
func TestRealtime(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		hub, err := realtime.New(&realtime.Options{MessageRate: 1000, MessageBurst: 1000})
		if err != nil {
			t.Fatal(err)
		}
		store := storagetest.Must(leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{Publisher: hub, Now: func() time.Time { return now }}))
		leaderboards.RegisterRealtime(hub, store)
		if err := store.CreateBoard(context.Background(), &leaderboards.Board{ID: "points"}); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/ws", apitest.WithCallers(hub))
		srv := apitest.Serve(t, mux)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hub.Close(ctx); err != nil {
				t.Errorf("close the hub: %v", err)
			}
		})
		watcher, alice := apitest.Dial(t, srv, "/ws", apitest.As("bob")), apitest.Dial(t, srv, "/ws", apitest.As("alice"))
		for _, sub := range []struct {
			ws      *apitest.WS
			channel string
			ok      bool
		}{{watcher, "leaderboard.points", true}, {alice, "user.1", true}, {watcher, "user.1", false}} {
			if f := sub.ws.Call(`{"id":1,"verb":"subscribe","channel":"` + sub.channel + `"}`); f.OK != sub.ok {
				t.Errorf("subscribe to %s: got %+v %+v, want ok %v", sub.channel, f.OK, f.Error, sub.ok)
			}
		}

		// Rolled back: nothing announced.
		errRollback := context.Canceled
		err = storage.RunInTx(context.Background(), db, func(ctx context.Context, tx bun.Tx) error {
			inTx := storagetest.Must(leaderboards.NewSQLStore(tx, &leaderboards.StoreOptions{Publisher: hub, Now: func() time.Time { return now }}))
			if _, err := inTx.Submit(ctx, "points", 1, "alice", 999, 0, nil); err != nil {
				return err
			}
			return errRollback
		})
		if err != errRollback {
			t.Fatalf("rolled back submit: %v", err)
		}
		if _, err := store.Submit(context.Background(), "points", 1, "alice", 10, 0, nil); err != nil {
			t.Fatal(err)
		}
		for _, ws := range []*apitest.WS{watcher, alice} {
			f := ws.Read()
			var c leaderboards.Change
			if err := json.Unmarshal(f.Data, &c); err != nil || c.Record.Score != 10 || c.Record.Rank != 1 || c.Board != "points" {
				t.Errorf("event on %s: got %s %s %v, want the committed score of 10 at #1", f.Channel, f.Event, f.Data, err)
			}
		}

		for _, tc := range []struct{ send, want, code string }{
			{`{"id":2,"route":"leaderboard","verb":"get","args":{"id":"points","limit":1}}`, `"records":[{"rank":1,"user":1`, ""},
			{`{"id":3,"route":"leaderboard","verb":"around","args":{"id":"points"}}`, `"records":[{"rank":1,"user":1`, ""},
			{`{"id":4,"route":"leaderboard","verb":"get","args":{}}`, "", realtime.CodeBadRequest},
			{`{"id":5,"route":"leaderboard","verb":"get","args":{"id":"nope"}}`, "", realtime.CodeNotFound},
			{`{"id":6,"route":"leaderboard","verb":"get","args":{"id":"points","limit":"x"}}`, "", realtime.CodeBadRequest},
		} {
			f := alice.Call(tc.send)
			switch {
			case tc.code == "" && (!f.OK || !strings.Contains(string(f.Data), tc.want)):
				t.Errorf("%s: got %v %s %+v", tc.send, f.OK, f.Data, f.Error)
			case tc.code != "" && (f.OK || f.Error == nil || f.Error.Code != tc.code):
				t.Errorf("%s: got %v %+v, want %s", tc.send, f.OK, f.Error, tc.code)
			}
		}
	}, leaderboards.Migrations())
}
