package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gamekit/gamekit"
)

// MaxChannelLength is the longest channel name a client may name, in
// bytes: channel names are short ("players", "user.42"), and a long one
// only costs the hub work.
const MaxChannelLength = 200

// reserved begins the channels the hubs use among themselves, which no
// client may subscribe to, whatever the rules say.
const reserved = "gamekit."

// signOutChannel carries sign-outs from the hub that makes one to every hub
// sharing its broker.
const signOutChannel = reserved + "sign_out"

// checkChannel refuses a channel name a client may not use at all.
func checkChannel(name string) error {
	switch {
	case len(name) > MaxChannelLength:
		return gamekit.Invalid("channel", fmt.Sprintf("Ensure this field has no more than %d bytes.", MaxChannelLength))
	case strings.HasPrefix(name, reserved):
		return gamekit.Errorf(gamekit.ErrForbidden, "realtime: channels beginning %q are the hubs' own", reserved)
	}
	return nil
}

// signOut is what SignOut sends every hub.
type signOut struct {
	User int64     `json:"user"`
	At   time.Time `json:"at"`
}

// SignOut ends a user's realtime sessions on every hub sharing this hub's
// broker: their connections are closed with ClosePolicyViolation (1008,
// "signed out"), and tickets issued to them until now are refused. A host
// calls it when the user's credentials stop being good: a new password,
// a change of admin rights (an identity is fixed when a connection opens),
// the user's deletion.
func (h *Hub) SignOut(ctx context.Context, userID int64) error {
	data, err := json.Marshal(signOut{User: userID, At: h.opts.Now()})
	if err != nil {
		return err
	}
	if _, err := h.opts.Broker.Publish(ctx, Message{Channel: signOutChannel, Event: "sign_out", Data: data}); err != nil {
		return fmt.Errorf("realtime: sign out user %d: %w", userID, err)
	}
	return nil
}

// signedOut acts on a sign-out from any hub.
func (h *Hub) signedOut(m Message) {
	var so signOut
	if err := json.Unmarshal(m.Data, &so); err != nil {
		h.log.Error("realtime: a sign-out that cannot be read", "data", string(m.Data), "err", err)
		return
	}
	h.signOuts.add(so.User, so.At, h.opts.Now().Add(-h.opts.TicketLifetime))
	var drop []*client
	h.mu.RLock()
	for c := range h.clients {
		if c.id.UserID == so.User {
			drop = append(drop, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range drop {
		c.drop(ClosePolicyViolation, "signed out")
	}
}

// signOuts remembers when users were signed out, for as long as a ticket
// issued before then could still be redeemed.
type signOuts struct {
	mu sync.Mutex
	at map[int64]time.Time
}

// add records a sign-out, forgetting those older than stale.
func (s *signOuts) add(user int64, at, stale time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at == nil {
		s.at = make(map[int64]time.Time)
	}
	for u, t := range s.at {
		if t.Before(stale) {
			delete(s.at, u)
		}
	}
	if at.After(s.at[user]) {
		s.at[user] = at
	}
}

// refuses reports whether a ticket issued to user at issued was issued
// before the user was signed out.
func (s *signOuts) refuses(user int64, issued time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.at[user]
	return ok && !issued.After(at)
}

// issued counts the tickets this hub issued to each user lately, to bound
// them (Options.MaxTicketsPerUser).
type issued struct {
	mu     sync.Mutex
	recent map[int64][]time.Time
}

// take records a ticket for user at now if fewer than max were issued
// since now - window, and otherwise says how long until one may be.
func (is *issued) take(user int64, now time.Time, window time.Duration, max int) (time.Duration, bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.recent == nil {
		is.recent = make(map[int64][]time.Time)
	}
	since := now.Add(-window)
	if len(is.recent) > 10_000 { // forget users who asked for none lately
		for u, times := range is.recent {
			if times[len(times)-1].Before(since) {
				delete(is.recent, u)
			}
		}
	}
	times := is.recent[user]
	for len(times) > 0 && !times[0].After(since) {
		times = times[1:]
	}
	if len(times) >= max {
		is.recent[user] = times
		return times[0].Sub(since), false
	}
	is.recent[user] = append(times, now)
	return 0, true
}
