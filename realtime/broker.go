package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// Position is where a channel's stream stands: the Seq of its last
// message within an Epoch. The epoch names one unbroken history of the
// channel; when that history is lost (the broker's service restarted
// without persistence, or dropped the channel's keys), numbering starts
// again in a new epoch, and a client holding a position of the old one
// knows it cannot catch up and must reload.
type Position struct {
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// Message is one event on its way from a publisher to the hubs that
// deliver it: what crosses a Broker.
type Message struct {
	Channel string `json:"channel"`
	Event   string `json:"event"`
	// Seq numbers the messages of one channel 1, 2, 3, ..., in the order
	// every subscriber receives them; the broker assigns it, so that with
	// several server processes a client still sees one sequence per
	// channel and can notice a gap.
	Seq uint64 `json:"seq"`
	// Epoch is the epoch Seq counts in (see Position); the broker sets
	// it. Clients see it in positions, not in every event.
	Epoch string          `json:"-"`
	Data  json.RawMessage `json:"data"`
}

// Position is where m stands in its channel.
func (m Message) Position() Position { return Position{Epoch: m.Epoch, Seq: m.Seq} }

// Broker carries messages from publishers to hubs, numbers them, and keeps
// a bounded history of each channel so that a client that lost its
// connection can catch up. It is the seam between publishing and local
// delivery: the in-process LocalBroker is the default, and a broker on a
// shared service (realtime/redisbroker) lets hubs in several server
// processes share channels.
type Broker interface {
	// Publish assigns m the next Seq of m.Channel (in the channel's
	// current epoch), keeps it in the channel's history, and hands it to
	// every listener (in this process or another), in Seq order per
	// channel. It returns m's position.
	Publish(ctx context.Context, m Message) (Position, error)
	// History returns the channel's messages after since, in order, and
	// the channel's position now. With a zero since (no epoch) it returns
	// only the position, starting an epoch if the channel has none yet,
	// so that the first message published continues it. If the messages
	// after since are no longer all kept (trimmed, expired, or since is of
	// another epoch) it returns ErrHistoryGone with the position.
	History(ctx context.Context, channel string, since Position) ([]Message, Position, error)
	// Listen has l told of every message published from now on, until
	// stop is called. Listen returns once messages published after it are
	// sure to reach l. l.Deliver may block for a while (a hub waits for
	// room in a slow client's buffer); a broker must not reorder a
	// channel's messages meanwhile, and if it cannot wait it calls
	// l.Missed rather than drop a message silently.
	Listen(l Listener) (stop func(), err error)
}

// Listener is what a Broker hands messages to: a Hub.
type Listener interface {
	// Deliver hands over one message. Calls for one channel come in Seq
	// order, one at a time.
	Deliver(m Message)
	// Missed says the broker may have failed to hand over some messages
	// of channel, or of every channel if channel is "" (it reconnected to
	// its service, or the listener fell too far behind). The listener
	// catches up from History, or tells its clients what they lost.
	Missed(channel string)
	// Wants reports whether the listener has a use for channel's messages
	// now: false means Deliver would drop one received from now on. A
	// broker that hands messages on through a queue asks first, so that a
	// listener is not woken for messages it drops. It is quick and safe
	// from any goroutine. (A hub that starts a subscription afterwards
	// reads the channel's position from History, which covers every
	// message published before it asked.)
	Wants(channel string) bool
}

// ErrHistoryGone is returned by Broker.History when the messages asked for
// are no longer kept: a client resuming from there cannot catch up, and
// reloads instead.
var ErrHistoryGone = errors.New("realtime: the channel's history no longer reaches that position")

// The defaults of HistoryOptions.
const (
	DefaultHistorySize = 200
	DefaultHistoryTTL  = 2 * time.Minute
)

// HistoryOptions bound what a broker keeps of a channel for clients that
// resume: the last Size messages, each for at most TTL.
type HistoryOptions struct {
	// Size is how many messages are kept; negative keeps none (clients
	// can then resume only when they missed nothing). Defaults to 200.
	Size int
	// TTL is how long a message is kept. Defaults to 2 minutes: longer
	// than a browser takes to reconnect, shorter than a player waits
	// before reloading anyway.
	TTL time.Duration
}

// WithDefaults returns o with zero fields set to their defaults.
func (o HistoryOptions) WithDefaults() HistoryOptions {
	setDefault(&o.Size, DefaultHistorySize)
	setDefault(&o.TTL, DefaultHistoryTTL)
	o.Size = max(o.Size, 0)
	return o
}

// Match finds the value of a channel in a table keyed by channel pattern,
// as hubs match channel rules: the exact name first, then the longest
// pattern "prefix.*" that matches ("user.*" matches "user.7").
func Match[V any](patterns map[string]V, channel string) (V, bool) {
	if v, ok := patterns[channel]; ok {
		return v, true
	}
	// The longest "prefix.*" whose prefix (with its dot) begins channel:
	// a walk over the few patterns, not over the name's dots.
	var best V
	longest := -1
	for pattern, v := range patterns {
		prefix, ok := strings.CutSuffix(pattern, "*")
		if ok && strings.HasSuffix(prefix, ".") && len(prefix) > longest && strings.HasPrefix(channel, prefix) {
			best, longest = v, len(prefix)
		}
	}
	return best, longest >= 0
}

// NewEpoch returns a fresh random epoch, for brokers.
func NewEpoch() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// LocalBrokerOptions configure a LocalBroker; nil means defaults.
type LocalBrokerOptions struct {
	// History bounds the history of every channel that Histories does not
	// name. Defaults to HistoryOptions' defaults.
	History HistoryOptions
	// Histories bounds the history of the channels a pattern matches
	// (see Match), over History.
	Histories map[string]HistoryOptions
	// Now is the clock of history expiry. Defaults to time.Now.
	Now func() time.Time
}

// LocalBroker is the Broker of one process: Publish delivers to the
// listeners at once, in the publisher's goroutine, so a hub's deliveries
// happen before Publish returns. Its epoch is chosen at random when it is
// made, so a client resuming against a restarted process is told to
// reload. It is also the TicketStore and the Presence of the hubs on it,
// so two hubs on one LocalBroker share tickets and presence as two
// processes on one Redis do.
type LocalBroker struct {
	opts  LocalBrokerOptions
	epoch string

	mu        sync.Mutex
	channels  map[string]*sequence
	listeners map[int]Listener
	next      int
	published int // since the last sweep of expired history
	// holding is the channels whose history may hold messages: every
	// channel with history is in it, so a sweep walks these, not every
	// channel ever published to. A sequence is added or removed with its
	// hmu held, then b.mu (the one order the two are ever nested in).
	holding map[*sequence]struct{}

	tickets  memTickets
	presence localPresence
}

// sequence is one channel's stream: mu is held from numbering a message to
// delivering it, so deliveries follow Seq; hmu guards the number and the
// history, and is held only briefly, so History never waits for a
// delivery.
type sequence struct {
	mu      sync.Mutex
	hmu     sync.Mutex
	seq     uint64
	opts    HistoryOptions
	history []kept // oldest first; the last opts.Size are kept (up to twice that held)
}

type kept struct {
	m       Message
	expires time.Time
}

// NewLocalBroker returns an in-process broker.
//
// It remembers the last Seq of every channel ever published to (a few
// dozen bytes each, besides the history), so that a client resubscribing
// sees the sequence go on rather than restart.
func NewLocalBroker(opts *LocalBrokerOptions) *LocalBroker {
	var o LocalBrokerOptions
	if opts != nil {
		o = *opts
	}
	o.History = o.History.WithDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	return &LocalBroker{
		opts: o, epoch: NewEpoch(),
		channels: make(map[string]*sequence), listeners: make(map[int]Listener),
		holding: make(map[*sequence]struct{}),
	}
}

// sequenceOf returns the channel's stream, made on first use.
func (b *LocalBroker) sequenceOf(channel string) *sequence {
	b.mu.Lock()
	defer b.mu.Unlock()
	seq, ok := b.channels[channel]
	if !ok {
		opts := b.opts.History
		if o, ok := Match(b.opts.Histories, channel); ok {
			opts = o.WithDefaults()
		}
		seq = &sequence{opts: opts}
		b.channels[channel] = seq
	}
	return seq
}

// Publish numbers m and delivers it to every listener before returning.
func (b *LocalBroker) Publish(ctx context.Context, m Message) (Position, error) {
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	seq := b.sequenceOf(m.Channel)
	b.mu.Lock()
	deliver := make([]Listener, 0, len(b.listeners))
	for _, l := range b.listeners {
		deliver = append(deliver, l)
	}
	b.published++
	sweep := b.published >= 1000
	if sweep {
		b.published = 0
	}
	b.mu.Unlock()
	if sweep {
		b.sweep()
	}

	seq.mu.Lock()
	defer seq.mu.Unlock()
	now := b.opts.Now()
	seq.hmu.Lock()
	seq.seq++
	m.Seq, m.Epoch = seq.seq, b.epoch
	if seq.opts.Size > 0 {
		// The older half goes at once when twice Size are held: one copy
		// every Size publishes, not a shift of the whole history each time.
		if len(seq.history) == 2*seq.opts.Size {
			seq.history = append(seq.history[:0], seq.history[seq.opts.Size:]...)
		}
		if len(seq.history) == 0 {
			b.mu.Lock()
			b.holding[seq] = struct{}{}
			b.mu.Unlock()
		}
		seq.history = append(seq.history, kept{m: m, expires: now.Add(seq.opts.TTL)})
	}
	seq.hmu.Unlock()
	for _, l := range deliver {
		l.Deliver(m)
	}
	return m.Position(), nil
}

// sweep forgets expired history, so that channels published to once do
// not hold their messages forever. It walks only the channels holding
// history: a hub with many quiet channels (one per user) pays nothing for
// them.
func (b *LocalBroker) sweep() {
	b.mu.Lock()
	holding := make([]*sequence, 0, len(b.holding))
	for s := range b.holding {
		holding = append(holding, s)
	}
	b.mu.Unlock()
	now := b.opts.Now()
	for _, s := range holding {
		s.hmu.Lock()
		if s.expire(now); len(s.history) == 0 {
			b.mu.Lock()
			delete(b.holding, s)
			b.mu.Unlock()
		}
		s.hmu.Unlock()
	}
}

// expire drops the messages past their TTL, and the history's memory with
// the last of them; hmu is held.
func (s *sequence) expire(now time.Time) {
	i := 0
	for i < len(s.history) && !now.Before(s.history[i].expires) {
		i++
	}
	switch {
	case i == len(s.history):
		s.history = nil
	case i > 0:
		s.history = append(s.history[:0], s.history[i:]...)
	}
}

// History returns what the channel keeps after since.
func (b *LocalBroker) History(ctx context.Context, channel string, since Position) ([]Message, Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, Position{}, err
	}
	s := b.sequenceOf(channel)
	s.hmu.Lock()
	defer s.hmu.Unlock()
	pos := Position{Epoch: b.epoch, Seq: s.seq}
	if since.Epoch == "" {
		return nil, pos, nil
	}
	if since.Epoch != pos.Epoch || since.Seq > pos.Seq {
		return nil, pos, ErrHistoryGone
	}
	want := int(pos.Seq - since.Seq)
	if want == 0 {
		return nil, pos, nil
	}
	s.expire(b.opts.Now())
	if want > len(s.history) || want > s.opts.Size {
		return nil, pos, ErrHistoryGone
	}
	out := make([]Message, want)
	for i, k := range s.history[len(s.history)-want:] {
		out[i] = k.m
	}
	return out, pos, nil
}

// Listen adds a listener.
func (b *LocalBroker) Listen(l Listener) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.listeners[id] = l
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.listeners, id)
	}, nil
}

// PutTicket keeps a ticket for the hubs on this broker (see TicketStore).
func (b *LocalBroker) PutTicket(ctx context.Context, ticket string, claim TicketClaim, ttl time.Duration) error {
	return b.tickets.PutTicket(ctx, ticket, claim, ttl)
}

// TakeTicket redeems a ticket once (see TicketStore).
func (b *LocalBroker) TakeTicket(ctx context.Context, ticket string) (TicketClaim, bool, error) {
	return b.tickets.TakeTicket(ctx, ticket)
}

// Join records a member of a channel's presence (see Presence).
func (b *LocalBroker) Join(ctx context.Context, channel, conn string, m Member) error {
	return b.presence.Join(ctx, channel, conn, m)
}

// Leave removes a connection from a channel's presence.
func (b *LocalBroker) Leave(ctx context.Context, channel, conn string) error {
	return b.presence.Leave(ctx, channel, conn)
}

// Members lists a channel's presence.
func (b *LocalBroker) Members(ctx context.Context, channel string) ([]Member, error) {
	return b.presence.Members(ctx, channel)
}
