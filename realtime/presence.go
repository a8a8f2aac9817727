package realtime

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/gamekit/gamekit"
)

// Member is one user in a channel's presence.
type Member struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// Presence keeps who is subscribed to the channels that keep presence
// (ChannelOptions.Presence), on every process sharing it: the Redis broker
// is one (realtime/redisbroker), and LocalBroker is the one of a process.
type Presence interface {
	// Join records that connection conn (unique across processes) of
	// member m is subscribed to channel. Joining again is not an error.
	Join(ctx context.Context, channel, conn string, m Member) error
	// Leave forgets conn's subscription to channel.
	Leave(ctx context.Context, channel, conn string) error
	// Members lists the members of channel, one entry per connection.
	Members(ctx context.Context, channel string) ([]Member, error)
}

// ChannelOptions say what a channel does besides delivering events; the
// zero value does nothing more.
type ChannelOptions struct {
	// Presence keeps who is subscribed, for the "presence" verb.
	Presence bool
	// JoinLeave announces on the channel, as events "join" and "leave"
	// with data {"id": N, "username": "..."}, each connection that
	// subscribes and each that unsubscribes or disconnects (a process
	// that dies announces no leave; see Presence for when its members
	// drop out).
	JoinLeave bool
}

// localPresence is the Presence of one process.
type localPresence struct {
	mu      sync.Mutex
	members map[string]map[string]Member // channel → conn → member
}

// Join records a member.
func (p *localPresence) Join(_ context.Context, channel, conn string, m Member) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.members == nil {
		p.members = make(map[string]map[string]Member)
	}
	if p.members[channel] == nil {
		p.members[channel] = make(map[string]Member)
	}
	p.members[channel][conn] = m
	return nil
}

// Leave forgets a connection.
func (p *localPresence) Leave(_ context.Context, channel, conn string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.members[channel], conn)
	if len(p.members[channel]) == 0 {
		delete(p.members, channel)
	}
	return nil
}

// Members lists a channel's members.
func (p *localPresence) Members(_ context.Context, channel string) ([]Member, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Member, 0, len(p.members[channel]))
	for _, m := range p.members[channel] {
		out = append(out, m)
	}
	return out, nil
}

// ChannelWith is Channel with options: presence, join and leave
// announcements.
func (h *Hub) ChannelWith(pattern string, rule Rule, opts *ChannelOptions) {
	var o ChannelOptions
	if opts != nil {
		o = *opts
	}
	h.rules[pattern] = channelRule{rule: rule, opts: o}
}

// presence answers the presence verb: the members of a channel on every
// process, each user once, by id.
func (h *Hub) presence(c *client, name string) ([]Member, error) {
	rule, err := h.allowed(c, name)
	if err != nil {
		return nil, err
	}
	if !rule.opts.Presence {
		return nil, gamekit.Errorf(gamekit.ErrNotFound, "realtime: channel %q keeps no presence", name)
	}
	ctx, cancel := context.WithTimeout(c.ctx, brokerTimeout)
	defer cancel()
	members, err := h.opts.Presence.Members(ctx, name)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(members, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(members, func(a, b Member) bool { return a.ID == b.ID }), nil
}

// joined records c in a channel's presence and announces it, as the
// channel's options say.
func (h *Hub) joined(ctx context.Context, c *client, name string) {
	rule, _ := Match(h.rules, name)
	m := Member{ID: c.id.UserID, Username: c.id.Username}
	if rule.opts.Presence {
		if err := h.opts.Presence.Join(ctx, name, c.conn, m); err != nil {
			h.log.Error("realtime: recording presence", "channel", name, "error", err)
		}
	}
	if rule.opts.JoinLeave {
		if err := h.Publish(ctx, gamekit.Event{Channel: name, Name: "join", Data: m}); err != nil {
			h.log.Error("realtime: announcing a join", "channel", name, "error", err)
		}
	}
}

// left forgets c in the presence of channels it left and announces it.
func (h *Hub) left(ctx context.Context, c *client, names ...string) {
	m := Member{ID: c.id.UserID, Username: c.id.Username}
	for _, name := range names {
		rule, _ := Match(h.rules, name)
		if rule.opts.Presence {
			if err := h.opts.Presence.Leave(ctx, name, c.conn); err != nil {
				h.log.Error("realtime: removing presence", "channel", name, "error", err)
			}
		}
		if rule.opts.JoinLeave {
			if err := h.Publish(ctx, gamekit.Event{Channel: name, Name: "leave", Data: m}); err != nil {
				h.log.Error("realtime: announcing a leave", "channel", name, "error", err)
			}
		}
	}
}

// announces reports whether a channel keeps presence or announces joins.
func (h *Hub) announces(name string) bool {
	rule, _ := Match(h.rules, name)
	return rule.opts.Presence || rule.opts.JoinLeave
}
