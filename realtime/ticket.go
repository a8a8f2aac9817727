package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
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

// TicketClaim is what a ticket stands for: who may connect with it, and
// until when (checked by the hub on its clock).
type TicketClaim struct {
	Identity  gamekit.Identity
	ExpiresAt time.Time
}

// TicketStore keeps the tickets issued and not yet used. With several
// server processes behind one address, the ticket request and the upgrade
// may reach different processes, so their hubs need one store: the Redis
// broker is one (realtime/redisbroker). Without one, tickets stay in the
// process (or with the hubs on one LocalBroker).
type TicketStore interface {
	// PutTicket keeps claim under ticket for at least ttl.
	PutTicket(ctx context.Context, ticket string, claim TicketClaim, ttl time.Duration) error
	// TakeTicket returns the claim of a ticket and forgets the ticket, in
	// one step: of two takes of one ticket, at once or not, at most one
	// finds it. It reports false for a ticket unknown, used, or past its
	// ttl.
	TakeTicket(ctx context.Context, ticket string) (TicketClaim, bool, error)
}

// memTickets is the TicketStore of one process.
type memTickets struct {
	mu        sync.Mutex
	issued    map[string]memTicket
	lastSweep time.Time
}

type memTicket struct {
	claim    TicketClaim
	deadline time.Time // on the store's clock, time.Now
}

// PutTicket keeps a ticket in memory.
func (t *memTickets) PutTicket(_ context.Context, ticket string, claim TicketClaim, ttl time.Duration) error {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.issued == nil {
		t.issued = make(map[string]memTicket)
	}
	// Forget expired tickets at most once per ttl, so tickets that are
	// never used do not pile up.
	if now.Sub(t.lastSweep) >= ttl {
		t.lastSweep = now
		for value, issued := range t.issued {
			if !now.Before(issued.deadline) {
				delete(t.issued, value)
			}
		}
	}
	t.issued[ticket] = memTicket{claim: claim, deadline: now.Add(ttl)}
	return nil
}

// TakeTicket takes a ticket from memory.
func (t *memTickets) TakeTicket(_ context.Context, ticket string) (TicketClaim, bool, error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	issued, ok := t.issued[ticket]
	delete(t.issued, ticket)
	if !ok || !now.Before(issued.deadline) {
		return TicketClaim{}, false, nil
	}
	return issued.claim, true, nil
}

// IssueTicket returns a single-use ticket with which id may open one
// connection, on any hub sharing this hub's TicketStore, within
// Options.TicketLifetime. TicketHandler serves it over HTTP; a host with
// its own sign-in flow may call it directly.
func (h *Hub) IssueTicket(ctx context.Context, id gamekit.Identity) (Ticket, error) {
	if wait, ok := h.issued.take(id.UserID, h.opts.Now(), h.opts.TicketLifetime, h.opts.MaxTicketsPerUser); !ok {
		return Ticket{}, &gamekit.RateLimitError{RetryAfter: wait}
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return Ticket{}, err
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	expires := h.opts.Now().Add(h.opts.TicketLifetime)
	if err := h.opts.Tickets.PutTicket(ctx, value, TicketClaim{Identity: id, ExpiresAt: expires}, h.opts.TicketLifetime); err != nil {
		return Ticket{}, fmt.Errorf("realtime: issue a ticket: %w", err)
	}
	return Ticket{Ticket: value, ExpiresAt: expires.UTC(), User: TicketUser{ID: id.UserID, Username: id.Username}}, nil
}

// redeem returns the identity of a valid ticket and when it was issued,
// and forgets the ticket, valid or not: it is single use.
func (h *Hub) redeem(ctx context.Context, value string) (id gamekit.Identity, issued time.Time, ok bool, err error) {
	if value == "" {
		return gamekit.Identity{}, time.Time{}, false, nil
	}
	claim, ok, err := h.opts.Tickets.TakeTicket(ctx, value)
	issued = claim.ExpiresAt.Add(-h.opts.TicketLifetime)
	if err != nil || !ok || !h.opts.Now().Before(claim.ExpiresAt) || h.signOuts.refuses(claim.Identity.UserID, issued) {
		return gamekit.Identity{}, time.Time{}, false, err
	}
	return claim.Identity, issued, true, nil
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
		ticket, err := h.IssueTicket(r.Context(), id)
		if err != nil {
			rest.WriteError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		rest.WriteJSON(w, r, http.StatusOK, ticket)
	})
}
