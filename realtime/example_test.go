package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

// A host makes one hub, sets who may subscribe to each channel, registers
// routes, and serves the hub at /ws and its tickets under /api/, behind its
// own authentication. What it publishes reaches every subscriber. The
// client here is a Go program; a browser page does the same with its
// WebSocket.
func Example() {
	ctx := context.Background()
	hub, err := realtime.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	// Anyone signed in may follow the scores; only admins the audit log.
	hub.Channel("scores", realtime.Public)
	hub.Channel("audit", func(id gamekit.Identity, _ string) error {
		if !id.Admin {
			return gamekit.Errorf(gamekit.ErrForbidden, "admins only")
		}
		return nil
	})
	// A route answers requests, with the caller's identity.
	hub.Handle("chat", "say", func(ctx context.Context, req realtime.Request) (any, error) {
		var args struct {
			Text string `json:"text"`
		}
		if err := req.Decode(&args); err != nil {
			return nil, err
		}
		if args.Text == "" {
			return nil, gamekit.Invalid("text", "This field may not be blank.")
		}
		return map[string]string{"by": req.Identity.Username, "said": args.Text}, nil
	})

	mux := http.NewServeMux()
	mux.Handle("/ws", hub)
	mux.Handle("/api/realtime/ticket/", hub.TicketHandler())
	// The host's authentication puts the caller on the context; here a
	// bearer token "alice" is user 1.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer alice" {
				r = r.WithContext(gamekit.WithIdentity(r.Context(), gamekit.Identity{UserID: 1, Username: "alice"}))
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(auth(mux))
	defer srv.Close()
	defer hub.Close(ctx) // before the server: Close ends the websockets, which the server does not wait for

	// The client gets a ticket with its token and connects with the
	// ticket, so the token never appears in a URL.
	req, _ := http.NewRequest("POST", srv.URL+"/api/realtime/ticket/", nil)
	req.Header.Set("Authorization", "Bearer alice")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var ticket realtime.Ticket
	if err := json.NewDecoder(res.Body).Decode(&ticket); err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?ticket="+ticket.Ticket, nil)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	defer conn.Close()
	// A channel's epoch is random (it changes when history is lost): it
	// is shown as "…" so the output stays the same from run to run.
	epoch := regexp.MustCompile(`"epoch":"[^"]*"`)
	read := func() {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("←", epoch.ReplaceAllString(string(msg), `"epoch":"…"`))
	}
	send := func(msg string) {
		fmt.Println("→", msg)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			log.Fatal(err)
		}
		read()
	}
	fmt.Println("connected as", ticket.User.Username)
	send(`{"id":1,"verb":"subscribe","channel":"scores"}`)
	send(`{"id":2,"verb":"subscribe","channel":"audit"}`)
	send(`{"id":3,"route":"chat","verb":"say","args":{"text":"hi"}}`)
	send(`{"id":4,"route":"chat","verb":"say","args":{"text":""}}`)

	// A store given the hub as its gamekit.Publisher publishes the same way.
	if err := hub.Publish(ctx, gamekit.Event{Channel: "scores", Name: "updated", Data: map[string]int{"alice": 3}}); err != nil {
		log.Fatal(err)
	}
	read()
	// Output:
	// connected as alice
	// → {"id":1,"verb":"subscribe","channel":"scores"}
	// ← {"id":1,"ok":true,"data":{"epoch":"…","seq":0}}
	// → {"id":2,"verb":"subscribe","channel":"audit"}
	// ← {"id":2,"ok":false,"error":{"code":"forbidden","message":"admins only"}}
	// → {"id":3,"route":"chat","verb":"say","args":{"text":"hi"}}
	// ← {"id":3,"ok":true,"data":{"by":"alice","said":"hi"}}
	// → {"id":4,"route":"chat","verb":"say","args":{"text":""}}
	// ← {"id":4,"ok":false,"error":{"code":"bad_request","message":"invalid input: text: This field may not be blank.","fields":{"text":["This field may not be blank."]}}}
	// ← {"channel":"scores","event":"updated","seq":1,"data":{"alice":3}}
}
