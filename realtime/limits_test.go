package realtime_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// Connections are capped per user and per client address: the upgrade
// over the cap is refused with 429 and says why, and a closed connection
// frees its slot.
func TestConnectionCaps(t *testing.T) {
	e := setup(t, &realtime.Options{MaxConnsPerUser: 2, MaxConnsPerAddress: 3})
	first := e.dial(t, "alice")
	e.dial(t, "alice")
	status, body := apitest.DialStatus(t, e.srv, "/ws", apitest.As("alice"))
	if status != http.StatusTooManyRequests || !strings.Contains(body, `"detail"`) || !strings.Contains(body, "2 connections per user") {
		t.Errorf("alice's third: got %d %s, want 429 naming the cap", status, body)
	}
	e.dial(t, "bob") // another user, from the same address: the third
	status, body = apitest.DialStatus(t, e.srv, "/ws", apitest.As("admin"))
	if status != http.StatusTooManyRequests || !strings.Contains(body, "3 connections per address") {
		t.Errorf("a fourth from the address: got %d %s, want 429 naming the cap", status, body)
	}
	if s := e.hub.Stats(); s.Clients != 3 || s.RefusedConnections != 2 {
		t.Errorf("stats: got %+v, want 3 clients, 2 refused", s)
	}

	// Closing one frees its slot once the hub has seen it end.
	first.Close()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	waitFor(t, "alice's slot to be free", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {apitest.As("alice")}})
		if err != nil {
			return false
		}
		t.Cleanup(func() { ws.Close() })
		return true
	})
}

// Behind a proxy, the host says where a request comes from.
func TestConnectionCapByDerivedAddress(t *testing.T) {
	e := setup(t, &realtime.Options{MaxConnsPerAddress: 1, ClientAddress: func(r *http.Request) string {
		return r.Header.Get("X-Test-Client")
	}})
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	dial := func(client string) int {
		header := http.Header{"Authorization": {apitest.As("alice")}, "X-Test-Client": {client}}
		ws, resp, err := websocket.DefaultDialer.Dial(url, header)
		if err == nil {
			t.Cleanup(func() { ws.Close() })
		}
		return resp.StatusCode
	}
	if got := dial("203.0.113.1"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 203.0.113.1: got %d", got)
	}
	if got := dial("203.0.113.2"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 203.0.113.2: got %d", got)
	}
	if got := dial("203.0.113.1"); got != http.StatusTooManyRequests {
		t.Errorf("second from 203.0.113.1: got %d, want 429", got)
	}
}

// With nil Options the caps are the documented defaults.
func TestDefaultConnectionCapPerUser(t *testing.T) {
	e := setup(t, nil)
	for range realtime.DefaultMaxConnsPerUser {
		e.dial(t, "alice")
	}
	if status, _ := apitest.DialStatus(t, e.srv, "/ws", apitest.As("alice")); status != http.StatusTooManyRequests {
		t.Errorf("connection %d of one user: got %d, want 429", realtime.DefaultMaxConnsPerUser+1, status)
	}
}
