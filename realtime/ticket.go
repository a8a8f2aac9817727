package realtime

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// Ticket lets a browser open a websocket as a signed-in user without
// putting its access token in a URL: the page asks for a ticket with its
// token (POST, Authorization header) and presents the ticket as ?ticket=.
// A ticket is good for one connection within its lifetime.
type Ticket struct {
	Ticket    string     `json:"ticket"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      TicketUser `json:"user"`
}

// TicketUser tells the page who it is signed in as, so it knows which
// players are its own.
type TicketUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// tickets are the tickets issued and not yet used, in memory: a ticket is
// redeemed on the hub that issued it (behind a load balancer, route the
// ticket request and the upgrade to the same process, or share tickets
// through the broker's service).
type tickets struct {
	mu        sync.Mutex
	issued    map[string]issuedTicket
	lifetime  time.Duration
	now       func() time.Time
	lastSweep time.Time
}

type issuedTicket struct {
	id      gamekit.Identity
	expires time.Time
}

// issue makes a ticket for id.
func (t *tickets) issue(id gamekit.Identity) (Ticket, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return Ticket{}, err
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	now := t.now()
	expires := now.Add(t.lifetime)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	t.issued[value] = issuedTicket{id: id, expires: expires}
	return Ticket{Ticket: value, ExpiresAt: expires.UTC(), User: TicketUser{ID: id.UserID, Username: id.Username}}, nil
}

// redeem returns the identity of a valid ticket and forgets the ticket,
// valid or not: it is single use.
func (t *tickets) redeem(value string) (gamekit.Identity, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	issued, ok := t.issued[value]
	delete(t.issued, value)
	if !ok || !now.Before(issued.expires) {
		return gamekit.Identity{}, false
	}
	return issued.id, true
}

// sweep forgets expired tickets, at most once per lifetime, so tickets
// that are never used do not pile up.
func (t *tickets) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.lifetime {
		return
	}
	t.lastSweep = now
	for value, issued := range t.issued {
		if !now.Before(issued.expires) {
			delete(t.issued, value)
		}
	}
}

// IssueTicket returns a single-use ticket with which id may open one
// connection within Options.TicketLifetime. TicketHandler serves it over
// HTTP; a host with its own sign-in flow may call it directly.
func (h *Hub) IssueTicket(id gamekit.Identity) (Ticket, error) {
	return h.tickets.issue(id)
}

// TicketHandler serves POST (at the path the host mounts it, for example
// /api/realtime/ticket/) for signed-in callers: 200 with
// {"ticket": "...", "expires_at": "...", "user": {"id": N, "username": "..."}},
// 401 for anonymous callers and 405 for other methods. The caller's
// identity comes from the request context (gamekit.WithIdentity), set by
// the host's authentication.
func (h *Hub) TicketHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			rest.MethodNotAllowed(w, r)
			return
		}
		id, err := rest.SignedIn(r)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		ticket, err := h.IssueTicket(id)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		rest.WriteJSON(w, r, http.StatusOK, ticket)
	})
}
