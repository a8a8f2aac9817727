package realtime_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// ticket asks for a ticket as caller and returns it.
func (e *env) ticket(t *testing.T, caller string) realtime.Ticket {
	t.Helper()
	status, _, body := e.srv.Do(apitest.As(caller), "POST", "/ticket", "")
	if status != http.StatusOK {
		t.Fatalf("ticket: %d %s", status, body)
	}
	var ticket realtime.Ticket
	if err := json.Unmarshal([]byte(body), &ticket); err != nil {
		t.Fatal(err)
	}
	return ticket
}

func TestTickets(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := make(chan time.Time, 1)
	clock <- now
	setClock := func(t time.Time) { <-clock; clock <- t }
	e := setup(t, &realtime.Options{Now: func() time.Time { t := <-clock; clock <- t; return t }})

	// Only signed-in callers get a ticket, and only by POST.
	if status, header, body := e.srv.Do("", "POST", "/ticket", ""); status != http.StatusUnauthorized ||
		header.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous: got %d %s", status, body)
	}
	if status, _, _ := e.srv.Do(apitest.As("alice"), "GET", "/ticket", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d, want 405", status)
	}
	ticket := e.ticket(t, "alice")
	if len(ticket.Ticket) < 32 || !ticket.ExpiresAt.Equal(now.Add(30*time.Second)) ||
		ticket.User != (realtime.TicketUser{ID: 1, Username: "alice"}) {
		t.Fatalf("ticket: got %+v", ticket)
	}

	// The ticket is the identity: no Authorization header on the upgrade.
	ws := apitest.Dial(t, e.srv, "/ws?ticket="+ticket.Ticket, "")
	subscribe(t, ws, "user.1")
	if f := ws.Call(`{"id":1,"verb":"subscribe","channel":"user.2"}`); f.OK {
		t.Error("a ticket of alice's subscribed to bob's channel")
	}

	refused := []struct {
		name, path, authorization string
		status                    int
		detail                    string
	}{
		{"reused", "/ws?ticket=" + ticket.Ticket, "", 401, "ticket"},
		{"unknown", "/ws?ticket=nope", "", 401, "ticket"},
		{"empty", "/ws?ticket=", "", 401, "ticket"},
		{"missing", "/ws", "", 401, "credentials"},
		{"a ticket beats the header", "/ws?ticket=nope", apitest.As("alice"), 401, "ticket"},
		{"a token in the URL", "/ws?token=secret", apitest.As("alice"), 400, "never go in URLs"},
		{"an access_token in the URL", "/ws?access_token=secret", "", 400, "never go in URLs"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			status, body := apitest.DialStatus(t, e.srv, tt.path, tt.authorization)
			if status != tt.status || !strings.Contains(body, tt.detail) || !strings.Contains(body, `"detail"`) {
				t.Errorf("got %d %s, want %d with %q", status, body, tt.status, tt.detail)
			}
		})
	}

	// A ticket is good for 30 s: not at 30 s.
	late := e.ticket(t, "bob")
	setClock(now.Add(30 * time.Second))
	if status, _ := apitest.DialStatus(t, e.srv, "/ws?ticket="+late.Ticket, ""); status != 401 {
		t.Errorf("expired ticket: got %d, want 401", status)
	}
	justInTime := e.ticket(t, "bob")
	setClock(now.Add(59 * time.Second))
	apitest.Dial(t, e.srv, "/ws?ticket="+justInTime.Ticket, "")
}

func TestOrigin(t *testing.T) {
	e := setup(t, nil)
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	dial := func(origin string) int {
		header := http.Header{"Authorization": {apitest.As("alice")}}
		if origin != "" {
			header.Set("Origin", origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(url, header)
		if err == nil {
			ws.Close()
		}
		return resp.StatusCode
	}
	if got := dial(e.srv.URL); got != http.StatusSwitchingProtocols {
		t.Errorf("same origin: got %d", got)
	}
	if got := dial(""); got != http.StatusSwitchingProtocols {
		t.Errorf("no origin (not a browser): got %d", got)
	}
	if got := dial("https://evil.example"); got != http.StatusForbidden {
		t.Errorf("another origin: got %d, want 403", got)
	}

	// A host can allow its game's origin.
	e2 := setup(t, &realtime.Options{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://game.example"
	}})
	url = "ws" + strings.TrimPrefix(e2.srv.URL, "http") + "/ws"
	if got := dial("https://game.example"); got != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: got %d", got)
	}
}

func TestUpgradeNeedsWebsocket(t *testing.T) {
	e := setup(t, nil)
	if status, _, body := e.srv.Do(apitest.As("alice"), "GET", "/ws", ""); status != http.StatusBadRequest {
		t.Errorf("plain GET: got %d %s", status, body)
	}
	if status, _, _ := e.srv.Do("", "GET", "/ws", ""); status != http.StatusUnauthorized {
		t.Errorf("anonymous plain GET: got %d, want 401", status)
	}
}
