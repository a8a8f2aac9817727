package realtime

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gamekit/gamekit"
)

// brokerTimeout bounds one call to the broker from the hub (a history read
// while subscribing or filling a gap).
const brokerTimeout = 5 * time.Second

// maxPending is how many messages a subscription buffers while its
// history is read. Past it, the client is told it lost messages rather
// than the hub holding an unbounded backlog.
const maxPending = 10_000

// channel is a channel with subscribers on this hub: its stream as this
// hub delivers it, and its subscriptions.
//
// The stream is the channel's messages in Seq order without a gap: a
// message that arrives after a gap is preceded by the missing ones, read
// from the broker's history, or, if they are gone, by a lost notice.
type channel struct {
	name string

	// mu orders the channel's deliveries, gap filling, and the moment a
	// subscription goes live. Lock order: Hub.mu, then mu; a delivery
	// holding mu takes Hub.mu only to read (see members).
	mu     sync.Mutex
	known  bool     // last is set: a message was delivered or a subscription completed
	last   Position // the last position of the stream
	missed bool     // the broker missed messages before known was set

	subs map[*client]*subscription // guarded by Hub.mu
	// members lists subs for deliveries to range over. It is built by the
	// first delivery after subs changed (nil until then) and never
	// modified after, so a channel whose subscribers stay put is
	// published to without copying them each time. Guarded by Hub.mu.
	members []member
}

// member is one subscription of a channel, as a delivery sees it.
type member struct {
	c *client
	s *subscription
}

// subscription is one client's place in a channel; its fields are guarded
// by the channel's mu.
type subscription struct {
	pos     Position // the last position the client was sent
	pending bool     // its history is being read: messages go to buf
	buf     []item
	over    bool // buf overflowed
}

// item is one step of a channel's stream: a message, or a notice that the
// messages up to m's position are lost.
type item struct {
	m    Message
	lost bool
}

// members is the channel's subscriptions, so a delivery, which may wait
// for a slow client, holds no lock of the hub's. The list is kept until
// the subscriptions change: a steady channel's deliveries share it.
func (h *Hub) members(ch *channel) []member {
	h.mu.RLock()
	list := ch.members
	h.mu.RUnlock()
	if list != nil {
		return list
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch.members == nil {
		ch.members = make([]member, 0, len(ch.subs))
		for c, s := range ch.subs {
			ch.members = append(ch.members, member{c, s})
		}
	}
	return ch.members
}

// channelOf returns the channel's state if it has subscribers here.
func (h *Hub) channelOf(name string) *channel {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.channels[name]
}

// listener is the hub as its broker sees it.
type listener struct{ h *Hub }

// Deliver writes a message from the broker to the channel's subscribers,
// after the messages missing before it.
func (l listener) Deliver(m Message) {
	h := l.h
	if m.Channel == signOutChannel {
		h.signedOut(m)
		return
	}
	ch := h.channelOf(m.Channel)
	if ch == nil {
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	h.advance(ch, m)
}

// Wants reports whether the hub delivers channel's messages: it has
// subscribers to it, or it is the hubs' sign-out channel. Subscribing
// adds the channel before it reads the channel's position from the
// broker, so a message dropped while this says false is before that
// position.
func (l listener) Wants(channel string) bool {
	return channel == signOutChannel || l.h.channelOf(channel) != nil
}

// Missed catches up the channels whose messages the broker may have
// missed.
func (l listener) Missed(name string) {
	h := l.h
	var channels []*channel
	h.mu.RLock()
	if name == "" {
		for _, ch := range h.channels {
			channels = append(channels, ch)
		}
	} else if ch := h.channels[name]; ch != nil {
		channels = append(channels, ch)
	}
	h.mu.RUnlock()
	for _, ch := range channels {
		ch.mu.Lock()
		if ch.known {
			h.catchUp(ch, nil)
		} else {
			ch.missed = true
		}
		ch.mu.Unlock()
	}
}

// advance moves the channel's stream on to m: ch.mu is held.
func (h *Hub) advance(ch *channel, m Message) {
	if !ch.known {
		// No subscription is live yet: those pending compare what they
		// are sent with where they start.
		ch.known, ch.last = true, m.Position()
		h.emit(ch, item{m: m})
		return
	}
	if m.Epoch == ch.last.Epoch && m.Seq <= ch.last.Seq {
		return // delivered already, from history
	}
	if m.Epoch != ch.last.Epoch || m.Seq != ch.last.Seq+1 {
		h.catchUp(ch, &m)
		if m.Epoch == ch.last.Epoch && m.Seq <= ch.last.Seq {
			return
		}
		if m.Epoch != ch.last.Epoch || m.Seq != ch.last.Seq+1 { // the history could not be read
			h.lostMessages.Add(1)
			h.emit(ch, item{m: Message{Channel: ch.name, Epoch: m.Epoch, Seq: m.Seq - 1}, lost: true})
		}
	}
	ch.last = m.Position()
	h.emit(ch, item{m: m})
}

// catchUp delivers what the broker's history holds after the stream's
// last position, or a lost notice if it is gone: up to the message next
// if one is at hand, else up to the channel's position. ch.mu is held.
// If the history cannot be read, the stream stays where it is, and the
// next message shows the gap again.
func (h *Hub) catchUp(ch *channel, next *Message) {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	msgs, pos, err := h.opts.Broker.History(ctx, ch.name, ch.last)
	switch {
	case errors.Is(err, ErrHistoryGone):
		h.lostMessages.Add(1)
		if next != nil {
			pos = Position{Epoch: next.Epoch, Seq: next.Seq - 1}
		}
		ch.last = pos
		h.emit(ch, item{m: Message{Channel: ch.name, Epoch: pos.Epoch, Seq: pos.Seq}, lost: true})
	case err != nil:
		h.log.Error("realtime: reading a channel's history to fill a gap", "channel", ch.name, "error", err)
	default:
		for _, m := range msgs {
			if m.Epoch == ch.last.Epoch && m.Seq == ch.last.Seq+1 {
				ch.last = m.Position()
				h.emit(ch, item{m: m})
			}
		}
	}
}

// emit hands one step of the stream to every subscription: ch.mu is held.
func (h *Hub) emit(ch *channel, it item) {
	var frame []byte
	for _, m := range h.members(ch) {
		c, s := m.c, m.s
		if s.pending {
			if len(s.buf) < maxPending {
				s.buf = append(s.buf, it)
			} else {
				s.over = true
			}
			continue
		}
		if frame == nil {
			frame = it.frame()
		}
		h.sendItem(c, s, it, frame)
	}
}

// sendItem sends one step of the stream to a live subscription, unless
// the client has it already, and first a lost notice if the step does not
// follow what the client was sent (which the stream never lets happen,
// but a client is never left to find out).
func (h *Hub) sendItem(c *client, s *subscription, it item, frame []byte) {
	at := it.m.Position()
	if at.Epoch == s.pos.Epoch && at.Seq <= s.pos.Seq {
		return
	}
	var deadline time.Time
	if !it.lost && (at.Epoch != s.pos.Epoch || at.Seq != s.pos.Seq+1) {
		lost := item{m: Message{Channel: it.m.Channel, Epoch: at.Epoch, Seq: at.Seq - 1}, lost: true}
		c.send(lost.frame(), &deadline)
	}
	s.pos = at
	if c.send(frame, &deadline) && !it.lost {
		h.delivered.Add(1)
	}
}

func (it item) frame() []byte {
	if it.lost {
		return lostFrame(it.m.Channel, it.m.Position())
	}
	return it.m.frame()
}

// subscribed is the data of a subscribe reply: the channel's position, and
// for a subscribe with "since", whether the missed events follow.
type subscribed struct {
	Position
	Recovered *bool `json:"recovered,omitempty"`
}

// subscribe adds c to a channel its rule allows, and answers the request
// itself: the reply, then the events c missed since since (if given and
// still kept), then live events, with none missing or twice.
//
// The subscription is pending while the broker is asked for the position
// (and history): live messages meanwhile are buffered, and merged after
// the history by Seq.
func (h *Hub) subscribe(c *client, id []byte, name string, since *Position) error {
	if _, err := h.allowed(c, name); err != nil {
		return err
	}
	h.mu.Lock()
	if c.channels == nil { // disconnected meanwhile
		h.mu.Unlock()
		return nil
	}
	ch := h.channels[name]
	if ch == nil {
		ch = &channel{name: name, subs: make(map[*client]*subscription)}
		h.channels[name] = ch
	}
	s := &subscription{pending: true}
	ch.subs[c] = s // a subscribe when subscribed starts over
	ch.members = nil
	c.channels[name] = struct{}{}
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(c.ctx, brokerTimeout)
	var (
		msgs  []Message
		pos   Position
		err   error
		reply subscribed
	)
	if since != nil && since.Epoch != "" {
		msgs, pos, err = h.opts.Broker.History(ctx, name, *since)
		recovered := err == nil
		if errors.Is(err, ErrHistoryGone) {
			err = nil
		}
		reply.Recovered = &recovered
	} else {
		_, pos, err = h.opts.Broker.History(ctx, name, Position{})
	}
	cancel()
	if err != nil {
		h.leave(c, ch, s)
		return err
	}
	reply.Position = pos

	ch.mu.Lock()
	defer ch.mu.Unlock()
	h.mu.RLock()
	current := ch.subs[c] == s
	h.mu.RUnlock()
	if !current {
		return nil // unsubscribed or disconnected meanwhile
	}
	c.reply(id, reply, nil)
	s.pending = false
	s.pos = pos
	if reply.Recovered != nil && *reply.Recovered {
		h.recovered.Add(1)
		s.pos = *since
		for _, m := range msgs {
			h.sendItem(c, s, item{m: m}, m.frame())
		}
	} else if reply.Recovered != nil {
		h.unrecovered.Add(1)
	}
	for _, it := range s.buf {
		h.sendItem(c, s, it, it.frame())
	}
	if s.over {
		h.lostMessages.Add(1)
		lost := item{m: Message{Channel: name, Epoch: ch.last.Epoch, Seq: ch.last.Seq}, lost: true}
		h.sendItem(c, s, lost, lost.frame())
	}
	s.buf, s.over = nil, false
	if !ch.known {
		ch.known, ch.last = true, pos
		if ch.missed {
			ch.missed = false
			h.catchUp(ch, nil)
		}
	}
	return errReplied
}

// errReplied is what a verb returns when it has sent its reply itself.
var errReplied = errors.New("realtime: replied")

// allowed finds the channel's rule and asks it about c.
func (h *Hub) allowed(c *client, name string) (channelRule, error) {
	if name == "" {
		return channelRule{}, gamekit.Invalid("channel", "This field is required.")
	}
	rule, ok := Match(h.rules, name)
	if !ok {
		return channelRule{}, gamekit.Errorf(gamekit.ErrNotFound, "realtime: no channel %q", name)
	}
	if err := rule.rule(c.id, name); err != nil {
		return channelRule{}, err
	}
	return rule, nil
}

// leave removes c's subscription s from ch (if it is still c's), and the
// channel from the hub once nobody is subscribed.
func (h *Hub) leave(c *client, ch *channel, s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s != nil && ch.subs[c] != s {
		return
	}
	h.dropSub(c, ch)
}

// dropSub removes c from ch: h.mu is held.
func (h *Hub) dropSub(c *client, ch *channel) {
	delete(ch.subs, c)
	ch.members = nil
	if len(ch.subs) == 0 && h.channels[ch.name] == ch {
		delete(h.channels, ch.name)
	}
	delete(c.channels, ch.name)
}

// unsubscribe removes c from a channel; unsubscribing from a channel one
// is not subscribed to is not an error.
func (h *Hub) unsubscribe(c *client, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch := h.channels[name]; ch != nil {
		h.dropSub(c, ch)
	}
}
