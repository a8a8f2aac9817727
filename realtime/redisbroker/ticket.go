package redisbroker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

var _ realtime.TicketStore = (*Broker)(nil)

// ticketKey is where a ticket is kept: under its hash, so that what Redis
// holds (or a MONITOR shows) cannot be used to connect.
func (b *Broker) ticketKey(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return b.opts.Prefix + "ticket:" + hex.EncodeToString(sum[:])
}

// storedClaim is a realtime.TicketClaim as Redis keeps it.
type storedClaim struct {
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Admin     bool      `json:"admin,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PutTicket keeps a ticket for every process, for ttl.
func (b *Broker) PutTicket(ctx context.Context, ticket string, claim realtime.TicketClaim, ttl time.Duration) error {
	v, err := json.Marshal(storedClaim{claim.Identity.UserID, claim.Identity.Username, claim.Identity.Admin, claim.ExpiresAt})
	if err != nil {
		return err
	}
	if err := b.rdb.Set(ctx, b.ticketKey(ticket), v, ttl).Err(); err != nil {
		return fmt.Errorf("redisbroker: keep a ticket: %w", err)
	}
	return nil
}

// TakeTicket redeems a ticket once across every process: GETDEL reads
// and deletes it in one step.
func (b *Broker) TakeTicket(ctx context.Context, ticket string) (realtime.TicketClaim, bool, error) {
	v, err := b.rdb.GetDel(ctx, b.ticketKey(ticket)).Bytes()
	if errors.Is(err, redis.Nil) {
		return realtime.TicketClaim{}, false, nil
	}
	if err != nil {
		return realtime.TicketClaim{}, false, fmt.Errorf("redisbroker: take a ticket: %w", err)
	}
	var c storedClaim
	if err := json.Unmarshal(v, &c); err != nil {
		return realtime.TicketClaim{}, false, fmt.Errorf("redisbroker: a ticket that does not decode: %w", err)
	}
	return realtime.TicketClaim{Identity: gamekit.Identity{UserID: c.UserID, Username: c.Username, Admin: c.Admin}, ExpiresAt: c.ExpiresAt}, true, nil
}
