package realtime_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

func TestRequestsAndEvents(t *testing.T) {
	e := setup(t, nil)
	alice := e.dial(t, "alice")

	// A reply echoes the request's id, whatever JSON value it is.
	for _, id := range []string{`1`, `"a"`, `{"n":2}`} {
		alice.Send(`{"id":` + id + `,"route":"test","verb":"echo","args":{"say":"hi"}}`)
		f := alice.Read()
		if string(f.ID) != id || !f.OK || !apitest.JSONEqual(t, string(f.Data), `{"said":"hi","by":"alice"}`) {
			t.Fatalf("echo with id %s: got %+v", id, f)
		}
	}
	// The handler's context carries the caller.
	if f := alice.Call(map[string]any{"id": 1, "route": "test", "verb": "whoami"}); string(f.Data) != "1" {
		t.Errorf("whoami: got %s, want 1", f.Data)
	}

	subscribe(t, alice, "players")
	subscribe(t, alice, "players") // twice is once
	e.publish(t, "players", "updated", map[string]int{"id": 1, "position_x": 1})
	e.publish(t, "players", "updated", map[string]int{"id": 1, "position_x": 2})
	for seq := uint64(1); seq <= 2; seq++ {
		f := alice.Read()
		if f.Channel != "players" || f.Event != "updated" || f.Seq != seq ||
			!apitest.JSONEqual(t, string(f.Data), `{"id":1,"position_x":`+string(rune('0'+seq))+`}`) {
			t.Fatalf("event %d: got %+v (data %s)", seq, f, f.Data)
		}
	}

	// After unsubscribing, the next event alice reads is from the channel
	// she is still on: nothing from players came between.
	subscribe(t, alice, "user.1")
	if f := alice.Call(map[string]any{"id": 9, "verb": "unsubscribe", "channel": "players"}); !f.OK || string(f.ID) != "9" {
		t.Fatalf("unsubscribe: %+v", f)
	}
	e.publish(t, "players", "updated", map[string]int{"id": 1})
	e.publish(t, "user.1", "gift", map[string]int{"tick": 7})
	if f := alice.Read(); f.Channel != "user.1" || f.Seq != 1 || f.Event != "gift" {
		t.Fatalf("after unsubscribing: got %+v", f)
	}
	// The sequence of players went on without alice: 3 was published.
	subscribe(t, alice, "players")
	e.publish(t, "players", "updated", map[string]int{"id": 1})
	if f := alice.Read(); f.Seq != 4 {
		t.Errorf("seq after resubscribing: got %d, want 4", f.Seq)
	}
}

func TestErrorCodes(t *testing.T) {
	e := setup(t, nil)
	alice := e.dial(t, "alice")
	tests := []struct {
		name, send string
		code       string
		message    string // a part of it
	}{
		{"not JSON", `{"id":1,"verb":`, realtime.CodeBadRequest, "JSON"},
		{"not an object", `[1,2]`, realtime.CodeBadRequest, ""},
		{"unknown field", `{"id":2,"verb":"subscribe","chanel":"players"}`, realtime.CodeBadRequest, "chanel"},
		{"no verb", `{"id":3}`, realtime.CodeBadRequest, "verb"},
		{"no channel", `{"id":4,"verb":"subscribe"}`, realtime.CodeBadRequest, "channel"},
		{"unknown verb", `{"id":5,"verb":"dance"}`, realtime.CodeNotFound, "dance"},
		{"unknown route", `{"id":6,"route":"nope","verb":"get"}`, realtime.CodeNotFound, "nope"},
		{"unknown route verb", `{"id":7,"route":"test","verb":"nope"}`, realtime.CodeNotFound, "nope"},
		{"unknown channel", `{"id":8,"verb":"subscribe","channel":"secrets"}`, realtime.CodeNotFound, "secrets"},
		{"another's channel", `{"id":9,"verb":"subscribe","channel":"user.2"}`, realtime.CodeForbidden, "another user"},
		{"admins only", `{"id":10,"verb":"subscribe","channel":"admins"}`, realtime.CodeForbidden, "admins only"},
		{"bad args", `{"id":11,"route":"test","verb":"echo","args":{"say":1}}`, realtime.CodeBadRequest, "say"},
		{"unauthenticated", `{"id":12,"route":"test","verb":"fail","args":{"kind":"unauthenticated"}}`, realtime.CodeUnauthorized, "sign in again"},
		{"forbidden", `{"id":13,"route":"test","verb":"fail","args":{"kind":"forbidden"}}`, realtime.CodeForbidden, "not yours"},
		{"not found", `{"id":14,"route":"test","verb":"fail","args":{"kind":"not_found"}}`, realtime.CodeNotFound, "no such thing"},
		{"conflict", `{"id":15,"route":"test","verb":"fail","args":{"kind":"conflict"}}`, realtime.CodeConflict, "changed meanwhile"},
		{"rate limited", `{"id":16,"route":"test","verb":"fail","args":{"kind":"rate"}}`, realtime.CodeRateLimited, "rate limited"},
		{"internal", `{"id":17,"route":"test","verb":"fail","args":{"kind":"other"}}`, realtime.CodeInternal, "internal error"},
		{"panic", `{"id":18,"route":"test","verb":"fail","args":{"kind":"panic"}}`, realtime.CodeInternal, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := alice.Call(tt.send)
			if f.OK || f.Error == nil || f.Error.Code != tt.code || !strings.Contains(f.Error.Message, tt.message) {
				t.Fatalf("got %+v (error %+v), want code %s with %q", f, f.Error, tt.code, tt.message)
			}
			if strings.Contains(f.Error.Message, "fire") || strings.Contains(f.Error.Message, "boom") {
				t.Errorf("internal error text leaked: %q", f.Error.Message)
			}
		})
	}
	// Replies carry what the client needs to act on.
	if f := alice.Call(`{"id":1,"route":"test","verb":"fail","args":{"kind":"invalid"}}`); f.Error.Code != realtime.CodeBadRequest ||
		len(f.Error.Fields["x"]) != 1 {
		t.Errorf("invalid: got %+v, want fields", f.Error)
	}
	if f := alice.Call(`{"id":1,"route":"test","verb":"fail","args":{"kind":"rate"}}`); f.Error.RetryAfter != 2 {
		t.Errorf("rate: got retry_after %v, want 2", f.Error.RetryAfter)
	}
	// A bad message's reply echoes its id when the id can be read; the
	// connection stays open for the next request.
	if f := alice.Call(`{"id":77,"verb":"subscribe","channel":7}`); string(f.ID) != "77" || f.Error.Code != realtime.CodeBadRequest {
		t.Errorf("wrong type: got %+v", f)
	}
	if f := alice.Call(`{"id":78,"route":"test","verb":"echo"}`); !f.OK {
		t.Errorf("after bad messages: got %+v", f.Error)
	}
}

// Requests and route args are read as strictly as the HTTP API's bodies
// (rest.Unmarshal): a key that differs from a field's only in case (which
// encoding/json would take for the field, getting around the check for
// repeated keys), invalid UTF-8, a lone surrogate and a NUL are each
// answered bad_request, with the id, and the connection stays open.
// gorilla/websocket neither refuses to send a text frame of invalid UTF-8
// nor checks the frames it reads, so the raw bytes reach the hub.
func TestStrictJSON(t *testing.T) {
	e := setup(t, nil)
	alice := e.dial(t, "alice")
	for _, tc := range []struct{ name, send, message string }{
		{"case-variant key", `{"id":1,"ID":2,"route":"test","verb":"echo"}`, "ID"},
		{"case-variant verb", `{"id":1,"route":"test","verb":"echo","Verb":"fail"}`, "Verb"},
		{"case-variant key in args", `{"id":2,"route":"test","verb":"echo","args":{"say":"lower","Say":"UPPER"}}`, "Say"},
		{"invalid UTF-8", "{\"id\":3,\"route\":\"test\",\"verb\":\"echo\",\"args\":{\"say\":\"\xff\xfe\"}}", "UTF-8"},
		{"lone surrogate", `{"id":4,"route":"test","verb":"echo","args":{"say":"\ud800"}}`, "surrogate"},
		{"NUL", `{"id":5,"route":"test","verb":"echo","args":{"say":"a\u0000b"}}`, "Null characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := alice.Call(tc.send)
			if f.OK || f.Error == nil || f.Error.Code != realtime.CodeBadRequest ||
				!strings.Contains(fmt.Sprint(f.Error.Message, f.Error.Fields), tc.message) {
				t.Fatalf("got %s %+v, want bad_request naming %q", f.Data, f.Error, tc.message)
			}
			if want := tc.send[len(`{"id":`):][:1]; string(f.ID) != want {
				t.Errorf("id: got %s, want %s", f.ID, want)
			}
			if f := alice.Call(`{"id":9,"route":"test","verb":"echo","args":{"say":"still here"}}`); !f.OK {
				t.Errorf("after it: got %+v, want the connection open and answering", f.Error)
			}
		})
	}
	// An id that is not valid UTF-8 is not echoed: the reply is a text
	// frame, which a browser would refuse, closing the connection.
	alice.Send("{\"id\":\"\xff\",\"route\":\"test\",\"verb\":\"echo\"}")
	alice.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, reply, err := alice.ReadMessage(); err != nil || !utf8.Valid(reply) || !strings.Contains(string(reply), realtime.CodeBadRequest) {
		t.Errorf("an id of invalid UTF-8: got %q, %v; want a bad_request in valid UTF-8", reply, err)
	}
}

func TestPrivateChannels(t *testing.T) {
	e := setup(t, nil)
	alice, bob, admin := e.dial(t, "alice"), e.dial(t, "bob"), e.dial(t, "admin")
	subscribe(t, alice, "user.1")
	subscribe(t, bob, "user.2")
	subscribe(t, admin, "admins")
	// Not even an admin reads another user's channel.
	if f := admin.Call(`{"id":1,"verb":"subscribe","channel":"user.1"}`); f.Error == nil || f.Error.Code != realtime.CodeForbidden {
		t.Fatalf("admin on user.1: got %+v", f)
	}
	e.publish(t, "user.1", "gift", "for alice")
	e.publish(t, "user.2", "gift", "for bob")
	if f := alice.Read(); string(f.Data) != `"for alice"` {
		t.Errorf("alice got %s", f.Data)
	}
	if f := bob.Read(); string(f.Data) != `"for bob"` {
		t.Errorf("bob got %s", f.Data)
	}
}

func TestMessageRate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := make(chan time.Time, 1)
	clock <- now
	e := setup(t, &realtime.Options{MessageRate: 2, MessageBurst: 3, Now: func() time.Time {
		t := <-clock
		clock <- t
		return t
	}})
	alice := e.dial(t, "alice")
	echo := `{"id":1,"route":"test","verb":"echo"}`
	for i := range 3 {
		if f := alice.Call(echo); !f.OK {
			t.Fatalf("message %d of the burst: %+v", i+1, f.Error)
		}
	}
	f := alice.Call(echo)
	if f.OK || f.Error.Code != realtime.CodeRateLimited || f.Error.RetryAfter != 0.5 {
		t.Fatalf("message 4: got %+v, want rate_limited, retry after 0.5", f.Error)
	}
	<-clock
	clock <- now.Add(500 * time.Millisecond) // one message's worth
	if f := alice.Call(echo); !f.OK {
		t.Fatalf("after waiting: %+v", f.Error)
	}
	if f := alice.Call(echo); f.OK {
		t.Fatal("the budget refilled by more than one message")
	}
}

func TestOversizedMessageCloses1009(t *testing.T) {
	e := setup(t, &realtime.Options{MaxMessageSize: 1024})
	alice := e.dial(t, "alice")
	if f := alice.Call(`{"id":1,"route":"test","verb":"echo","args":{"say":"` + strings.Repeat("a", 900) + `"}}`); !f.OK {
		t.Fatalf("under the limit: %+v", f.Error)
	}
	alice.Send(`{"id":2,"route":"test","verb":"echo","args":{"say":"` + strings.Repeat("a", 1100) + `"}}`)
	_, err := alice.ReadFrame()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("got %v, want close 1009", err)
	}
	waitFor(t, "the connection to end", func() bool { return e.hub.Stats().Clients == 0 })
}
