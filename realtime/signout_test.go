package realtime_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// SignOut closes every connection of the user, on every hub sharing the
// broker, with 1008, and refuses the tickets issued to the user before it;
// other users are untouched, and a ticket issued after it works. It does
// so on a broker that hands hubs only the channels they want, too: a hub
// always wants sign-outs.
func TestSignOut(t *testing.T) {
	t.Run("local", func(t *testing.T) { testSignOut(t, realtime.NewLocalBroker(nil)) })
	t.Run("asking", func(t *testing.T) { testSignOut(t, &asking{LocalBroker: realtime.NewLocalBroker(nil)}) })
}

func testSignOut(t *testing.T, broker realtime.Broker) {
	a := setup(t, &realtime.Options{Broker: broker})
	b := setup(t, &realtime.Options{Broker: broker})
	aliceOnA, aliceOnB, bobOnA := a.dial(t, "alice"), b.dial(t, "alice"), a.dial(t, "bob")
	for _, ws := range []*apitest.WS{aliceOnA, aliceOnB, bobOnA} {
		subscribe(t, ws, "players")
	}
	unused := a.ticket(t, "alice")
	if err := a.hub.SignOut(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	for name, ws := range map[string]*apitest.WS{"alice on A": aliceOnA, "alice on B": aliceOnB} {
		_, err := ws.ReadFrame()
		var closeErr *websocket.CloseError
		if !errors.As(err, &closeErr) || closeErr.Code != websocket.ClosePolicyViolation || closeErr.Text != "signed out" {
			t.Errorf("%s: got %v, want close 1008 signed out", name, err)
		}
	}
	for _, e := range []*env{a, b} { // the ticket may be presented to any hub
		if status, _ := apitest.DialStatus(t, e.srv, "/ws?ticket="+unused.Ticket, ""); status != http.StatusUnauthorized {
			t.Errorf("a ticket issued before the sign-out: got %d, want 401", status)
		}
	}
	if f := bobOnA.Call(`{"id":1,"route":"test","verb":"whoami"}`); !f.OK {
		t.Errorf("bob, after alice's sign-out: %+v", f.Error)
	}
	time.Sleep(time.Millisecond) // a new ticket is issued after the sign-out, by any clock
	fresh := b.ticket(t, "alice")
	apitest.Dial(t, a.srv, "/ws?ticket="+fresh.Ticket, "")
}

// A sign-out that lands while a connection is upgrading, after its ticket
// was redeemed and before the hub counts the client, still closes it.
func TestSignOutWhileUpgrading(t *testing.T) {
	var hub atomic.Pointer[realtime.Hub]
	e := setup(t, &realtime.Options{ClientAddress: func(r *http.Request) string {
		// Called between the ticket's redemption and the upgrade.
		if err := hub.Load().SignOut(r.Context(), 1); err != nil {
			t.Error(err)
		}
		return "client"
	}})
	hub.Store(e.hub)
	ws := e.dial(t, "alice")
	_, err := ws.ReadFrame()
	var closeErr *websocket.CloseError
	if !errors.As(err, &closeErr) || closeErr.Code != websocket.ClosePolicyViolation || closeErr.Text != "signed out" {
		t.Errorf("got %v, want close 1008 signed out", err)
	}
}

// A user gets at most MaxTicketsPerUser tickets within a ticket's
// lifetime; the next is refused with 429 and Retry-After.
func TestTicketsPerUser(t *testing.T) {
	clock := newFrozenClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	e := setup(t, &realtime.Options{MaxTicketsPerUser: 3, Now: clock.Now})
	for range 3 {
		e.ticket(t, "alice")
	}
	status, header, body := e.srv.Do(apitest.As("alice"), "POST", "/ticket", "")
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "30" {
		t.Errorf("the fourth ticket: got %d (Retry-After %q) %s, want 429 after 30 s", status, header.Get("Retry-After"), body)
	}
	e.ticket(t, "bob") // another user is not affected
	clock.Advance(30 * time.Second)
	e.ticket(t, "alice")
}

// Channel names are short, and the hubs' own channels are nobody's.
func TestChannelNames(t *testing.T) {
	e := setup(t, nil)
	ws := e.dial(t, "admin")
	long := strings.Repeat("a.", 30_000)
	for _, tc := range []struct{ channel, code string }{
		{long, realtime.CodeBadRequest},
		{"players." + strings.Repeat("x", realtime.MaxChannelLength), realtime.CodeBadRequest},
		{"gamekit.sign_out", realtime.CodeForbidden},
	} {
		for _, verb := range []string{"subscribe", "presence", "unsubscribe"} {
			f := ws.Call(map[string]any{"id": 1, "verb": verb, "channel": tc.channel})
			if f.OK || f.Error.Code != tc.code {
				t.Errorf("%s %.40s...: got %+v, want %s", verb, tc.channel, f, tc.code)
			}
		}
	}
}
