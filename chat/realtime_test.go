package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// live is a realtime hub serving the chat route over a store that
// publishes to it, on loopback, with the rooms of api.
type live struct {
	*api
	srv *apitest.Server
}

func runLive(t *testing.T, fn func(t *testing.T, l *live)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		hub, err := realtime.New(&realtime.Options{MessageRate: 1000, MessageBurst: 1000})
		if err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, db)
		store := storagetest.Must(chat.NewSQLStore(db, &chat.StoreOptions{Publisher: hub}))
		a.store = store
		chat.RegisterRealtime(hub, store)
		mux := http.NewServeMux()
		mux.Handle("/ws", withCarol(hub))
		l := &live{api: a, srv: apitest.Serve(t, mux)}
		t.Cleanup(func() { // before the server closes
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hub.Close(ctx); err != nil {
				t.Errorf("close the hub: %v", err)
			}
		})
		fn(t, l)
	}, chat.Migrations())
}

func (l *live) dial(t *testing.T, caller string) *apitest.WS {
	t.Helper()
	return apitest.Dial(t, l.srv, "/ws", apitest.As(caller))
}

func subscribe(t *testing.T, ws *apitest.WS, room int64) apitest.Frame {
	t.Helper()
	return ws.Call(fmt.Sprintf(`{"id":"s","verb":"subscribe","channel":%q}`, chat.ChannelOf(room)))
}

// Members get messages live; non-members cannot subscribe to a group or
// DM, anyone signed in can to a public room.
func TestRealtimeMessages(t *testing.T) {
	runLive(t, func(t *testing.T, l *live) {
		wa, wb, wc := l.dial(t, "alice"), l.dial(t, "bob"), l.dial(t, "carol")
		for _, tc := range []struct {
			ws   *apitest.WS
			room int64
			code string // "" for allowed
		}{
			{wc, l.global.ID, ""},
			{wc, l.group.ID, realtime.CodeForbidden},
			{wc, l.dm.ID, realtime.CodeForbidden},
			{wc, 999, realtime.CodeNotFound},
			{wb, l.group.ID, ""},
			{wb, l.dm.ID, ""},
			{wa, l.group.ID, ""},
		} {
			f := subscribe(t, tc.ws, tc.room)
			if (tc.code == "" && !f.OK) || (tc.code != "" && (f.OK || f.Error.Code != tc.code)) {
				t.Errorf("subscribe to room %d: got %+v %+v, want %q", tc.room, f.OK, f.Error, tc.code)
			}
		}
		if f := wc.Call(`{"id":1,"verb":"subscribe","channel":"chat.x"}`); f.OK || f.Error.Code != realtime.CodeNotFound {
			t.Errorf("subscribe to chat.x: got %+v, want not_found", f.Error)
		}

		// alice sends over the websocket; bob, subscribed, gets it live.
		f := wa.Call(fmt.Sprintf(`{"id":2,"route":"chat","verb":"send","args":{"room":%d,"body":"pull now"}}`, l.group.ID))
		if !f.OK {
			t.Fatalf("send: %+v", f.Error)
		}
		var sent chat.Message
		json.Unmarshal(f.Data, &sent)
		ev := wb.Read()
		if ev.Channel != chat.ChannelOf(l.group.ID) || ev.Event != chat.EventMessage || !apitest.JSONEqual(t, string(ev.Data), string(f.Data)) {
			t.Errorf("bob got %s %s %s, want the message %s", ev.Channel, ev.Event, ev.Data, f.Data)
		}
		// Over HTTP too: the store announces, whoever calls it.
		if _, err := l.store.Send(context.Background(), l.global.ID, bob, "from http"); err != nil {
			t.Fatal(err)
		}
		if ev := wc.Read(); ev.Event != chat.EventMessage || !strings.Contains(string(ev.Data), "from http") {
			t.Errorf("carol got %s %s, want bob's message in global", ev.Event, ev.Data)
		}
		// An edit and a deletion reach members too, the deletion without its body.
		if _, err := l.store.Edit(context.Background(), l.group.ID, sent.ID, alice, "pull NOW"); err != nil {
			t.Fatal(err)
		}
		if ev := wb.Read(); ev.Event != chat.EventEdited || !strings.Contains(string(ev.Data), "pull NOW") {
			t.Errorf("edit: got %s %s", ev.Event, ev.Data)
		}
		if _, err := l.store.DeleteMessage(context.Background(), l.group.ID, sent.ID, admin); err != nil {
			t.Fatal(err)
		}
		if ev := wb.Read(); ev.Event != chat.EventDeleted || strings.Contains(string(ev.Data), "pull") {
			t.Errorf("delete: got %s %s", ev.Event, ev.Data)
		}

		for _, tc := range []struct{ send, code string }{
			{fmt.Sprintf(`{"id":3,"route":"chat","verb":"send","args":{"room":%d,"body":"let me in"}}`, l.group.ID), realtime.CodeForbidden},
			{fmt.Sprintf(`{"id":4,"route":"chat","verb":"send","args":{"room":%d,"body":"a\u0000b"}}`, l.global.ID), realtime.CodeBadRequest},
			{fmt.Sprintf(`{"id":5,"route":"chat","verb":"send","args":{"room":%d}}`, l.global.ID), realtime.CodeBadRequest},
			{`{"id":6,"route":"chat","verb":"send","args":{"body":"where?"}}`, realtime.CodeBadRequest},
			{fmt.Sprintf(`{"id":7,"route":"chat","verb":"history","args":{"room":%d}}`, l.dm.ID), realtime.CodeForbidden},
			{`{"id":8,"route":"chat","verb":"history","args":{}}`, realtime.CodeBadRequest},
			{`{"id":9,"route":"chat","verb":"send","args":{"to":1,"body":"hi alice"}}`, ""},
		} {
			f := wc.Call(tc.send)
			if (tc.code == "" && !f.OK) || (tc.code != "" && (f.OK || f.Error.Code != tc.code)) {
				t.Errorf("%s: got %+v %s %+v, want %q", tc.send, f.OK, f.Data, f.Error, tc.code)
			}
		}
		// What a reconnecting client missed: history since the last it saw.
		f = wb.Call(fmt.Sprintf(`{"id":10,"route":"chat","verb":"history","args":{"room":%d,"since":%d}}`, l.global.ID, l.aliceMsg.ID))
		var missed []chat.Message
		if json.Unmarshal(f.Data, &missed); !f.OK || len(missed) != 1 || missed[0].Body != "from http" {
			t.Errorf("history since: got %+v %s", f.Error, f.Data)
		}
	})
}
