package gifts

import (
	"context"
	"strconv"
	"time"

	"github.com/gamekit/gamekit"
)

// Granter gives items; the scheduler asks it for one grant per tick.
// inventory.SQLStore satisfies it; a host passes its store in, and gifts
// never imports inventory.
//
// Grant gives every player existing when it starts a new item named name
// (with "{username}" standing for the player's username) of the given
// weight, at most once per (key, player) however often it is called with
// the same key, in batched transactions. After each batch commits it calls
// granted, when not nil, with the ids of the users the batch served (not
// those served by an earlier call with the key); an error from granted
// stops the grant, the batch staying committed. It returns how many users
// it served in this call.
type Granter interface {
	Grant(ctx context.Context, key, name string, weight float64, granted func(ctx context.Context, userIDs []int64) error) (int, error)
}

// EventGift is the Name of the event a player gets on their private
// channel ChannelPrefix + their user id ("user.42") for each gift, after
// the batch that gave it committed. Its Data is a [Gift].
const EventGift = "gift"

// ChannelPrefix and a user id name the user's private channel, which the
// realtime hub lets only that user subscribe to.
const ChannelPrefix = "user."

// Gift is the Data of an EventGift event: which tick gave it, so a client
// can tell a new gift from one it has seen, and refresh the inventory.
type Gift struct {
	// Schedule is the name of the schedule; Tick its tick's number, and
	// At when the tick fired.
	Schedule string    `json:"schedule"`
	Tick     int64     `json:"tick"`
	At       time.Time `json:"at"`
}

// publish tells each user their gift arrived. A failure is logged once
// per batch, never returned: the gifts are committed, and a client that
// missed the event sees them the next time it reads its inventory.
func (s *Scheduler) publish(ctx context.Context, gift Gift, users []int64) {
	if !s.publishing {
		return
	}
	failed := 0
	var first error
	buf := make([]byte, 0, len(ChannelPrefix)+20)
	for _, id := range users {
		buf = strconv.AppendInt(append(buf[:0], ChannelPrefix...), id, 10)
		err := s.opts.Publisher.Publish(ctx, gamekit.Event{Channel: string(buf), Name: EventGift, Data: gift})
		if err != nil {
			if failed == 0 {
				first = err
			}
			failed++
		}
	}
	if failed > 0 {
		s.log.Warn("gift events not published", "schedule", s.opts.Name, "tick", gift.Tick,
			"failed", failed, "users", len(users), "error", first)
	}
}
