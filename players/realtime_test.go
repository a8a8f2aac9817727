package players_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// live is a realtime hub serving the players route over a store that
// publishes to it, on loopback.
type live struct {
	store *players.SQLStore
	clock *clock
	srv   *apitest.Server
	p, b  players.Player // alice's at (0, 0), bob's at (5, 5)
}

func runLive(t *testing.T, fn func(t *testing.T, l *live)) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		// Generous message limits: the tests send quickly, and the hub's
		// own limits are the realtime package's to test.
		hub, err := realtime.New(&realtime.Options{MessageRate: 1000, MessageBurst: 1000})
		if err != nil {
			t.Fatal(err)
		}
		l := &live{clock: newClock()}
		if l.store, err = players.NewSQLStore(db, &players.StoreOptions{Publisher: hub, Now: l.clock.Now}); err != nil {
			t.Fatal(err)
		}
		players.RegisterRealtime(hub, l.store)
		l.p = mustPlayer(t, l.store, alice, "alice", 0, 0)
		l.b = mustPlayer(t, l.store, bob, "bob", 5, 5)
		mux := http.NewServeMux()
		mux.Handle("/ws", apitest.WithCallers(hub))
		l.srv = apitest.Serve(t, mux)
		t.Cleanup(func() { // before the server closes
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hub.Close(ctx); err != nil {
				t.Errorf("close the hub: %v", err)
			}
		})
		fn(t, l)
	}, players.Migrations())
}

func (l *live) dial(t *testing.T, caller string) *apitest.WS {
	t.Helper()
	return apitest.Dial(t, l.srv, "/ws", apitest.As(caller))
}

// reply is what a request should get: data (JSON) when ok, else an error.
type reply struct {
	send   string
	data   string // JSON, for ok
	code   string // for an error
	fields []string
}

func (r reply) check(t *testing.T, ws *apitest.WS) {
	t.Helper()
	f := ws.Call(r.send)
	switch {
	case r.code == "" && (!f.OK || !apitest.JSONEqual(t, string(f.Data), r.data)):
		t.Errorf("%s: got %+v %s %+v, want %s", r.send, f.OK, f.Data, f.Error, r.data)
	case r.code != "" && (f.OK || f.Error == nil || f.Error.Code != r.code || len(f.Error.Fields) != len(r.fields)):
		t.Errorf("%s: got %+v %s %+v, want %s with fields %v", r.send, f.OK, f.Data, f.Error, r.code, r.fields)
	case r.code != "":
		for _, field := range r.fields {
			if len(f.Error.Fields[field]) == 0 {
				t.Errorf("%s: got %+v, want a message for %s", r.send, f.Error, field)
			}
		}
	}
}

func TestRealtimeReads(t *testing.T) {
	runLive(t, func(t *testing.T, l *live) {
		p, b := playerJSON(l.p), playerJSON(l.b)
		ws := l.dial(t, "bob")
		for _, r := range []reply{
			{send: `{"id":1,"route":"player","verb":"get_list"}`, data: "[" + p + "," + b + "]"},
			{send: `{"id":2,"route":"player","verb":"get_list","args":{}}`, data: "[" + p + "," + b + "]"},
			{send: `{"id":3,"route":"player","verb":"get_list","args":{"user":1}}`, code: realtime.CodeBadRequest, fields: []string{"user"}},
			{send: fmt.Sprintf(`{"id":4,"route":"player","verb":"get","args":{"id":%d}}`, l.p.ID), data: p},
			{send: `{"id":5,"route":"player","verb":"get","args":{}}`, code: realtime.CodeBadRequest, fields: []string{"id"}},
			{send: `{"id":6,"route":"player","verb":"get","args":{"id":"1"}}`, code: realtime.CodeBadRequest, fields: []string{"id"}},
			{send: fmt.Sprintf(`{"id":7,"route":"player","verb":"get","args":{"id":%d}}`, l.b.ID+1), code: realtime.CodeNotFound},
			{send: `{"id":8,"route":"player","verb":"delete","args":{"id":1}}`, code: realtime.CodeNotFound},
		} {
			r.check(t, ws)
		}
		if f := ws.Call(`{"id":9,"verb":"subscribe","channel":"players"}`); !f.OK {
			t.Errorf("subscribe to players: %+v", f.Error)
		}
	})
}

// update moves the caller's player by the rules of MoveTo; subscribers see
// each saved move, with only the id and the position, and nothing of the
// refused ones.
func TestRealtimeUpdate(t *testing.T) {
	runLive(t, func(t *testing.T, l *live) {
		ws, watcher := l.dial(t, "alice"), l.dial(t, "admin")
		if f := watcher.Call(`{"id":"s","verb":"subscribe","channel":"players"}`); !f.OK {
			t.Fatalf("subscribe: %+v", f.Error)
		}
		update := func(id int64, x, y any) string {
			return fmt.Sprintf(`{"id":1,"route":"player","verb":"update","args":{"id":%d,"position_x":%v,"position_y":%v}}`, id, x, y)
		}
		at := func(x, y float64) string { return playerJSON(players.Player{ID: l.p.ID, UserID: alice, X: x, Y: y}) }
		// The events the watcher must see, in order.
		var want []string
		moved := func(x, y float64) {
			want = append(want, fmt.Sprintf(`{"id":%d,"position_x":%v,"position_y":%v}`, l.p.ID, x, y))
		}
		for _, r := range []reply{
			{send: update(l.p.ID, 1, 0), data: at(1, 0)},
			{send: update(l.b.ID, 6, 5), code: realtime.CodeForbidden},
			{send: update(l.p.ID, 2.5, 0), code: realtime.CodeBadRequest, fields: []string{"position_x"}},
			{send: update(l.p.ID, 0, -1.5), code: realtime.CodeBadRequest, fields: []string{"position_y"}},
			{send: update(l.p.ID, 1001, -1001), code: realtime.CodeBadRequest, fields: []string{"position_x", "position_y"}},
			{send: update(l.p.ID, `"2"`, 0), code: realtime.CodeBadRequest, fields: []string{"position_x"}},
			{send: update(l.b.ID+1, 1, 0), code: realtime.CodeNotFound},
			{send: `{"id":1,"route":"player","verb":"update","args":{"id":1}}`, code: realtime.CodeBadRequest,
				fields: []string{"position_x", "position_y"}},
			{send: `{"id":1,"route":"player","verb":"update"}`, code: realtime.CodeBadRequest,
				fields: []string{"id", "position_x", "position_y"}},
			{send: update(l.p.ID, 1.5, -1), data: at(1.5, -1)},
		} {
			r.check(t, ws)
			if r.code == "" {
				var got players.Player
				if err := jsonUnmarshal(r.data, &got); err != nil {
					t.Fatal(err)
				}
				moved(got.X, got.Y)
			}
		}
		// The rate limit: 10 moves a second, then rate_limited with the
		// time left.
		for i := range 8 {
			x := 1.5 - float64(i%2)
			r := reply{send: update(l.p.ID, x, -1), data: at(x, -1)}
			r.check(t, ws)
			moved(x, -1)
		}
		l.clock.Advance(250 * time.Millisecond)
		f := ws.Call(update(l.p.ID, 1, -1))
		if f.OK || f.Error == nil || f.Error.Code != realtime.CodeRateLimited || f.Error.RetryAfter != 0.75 {
			t.Errorf("11th move in a second: got %+v %+v, want rate_limited, retry after 0.75 s", f.OK, f.Error)
		}
		if stored := mustGet(t, l.store, l.p.ID); stored.X != 0.5 || stored.Y != -1 {
			t.Errorf("stored: got %+v, want (0.5, -1)", stored)
		}

		for i, data := range want {
			f := watcher.Read()
			if f.Channel != players.Channel || f.Event != players.EventUpdated || !apitest.JSONEqual(t, string(f.Data), data) {
				t.Errorf("event %d: got %s %s %s, want updated %s", i+1, f.Channel, f.Event, f.Data, data)
			}
		}
		// Nothing more: the next event is one published now.
		if _, err := l.store.SetPosition(context.Background(), l.b.ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		if f := watcher.Read(); !apitest.JSONEqual(t, string(f.Data), fmt.Sprintf(`{"id":%d,"position_x":0,"position_y":0}`, l.b.ID)) {
			t.Errorf("after the moves: got %s %s, want bob's player at (0, 0)", f.Event, f.Data)
		}
	})
}

var _ gamekit.Publisher = (*realtime.Hub)(nil)
