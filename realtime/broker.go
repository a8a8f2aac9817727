package realtime

import (
	"context"
	"encoding/json"
	"sync"
)

// Message is one event on its way from a publisher to the hubs that
// deliver it: what crosses a Broker.
type Message struct {
	Channel string `json:"channel"`
	Event   string `json:"event"`
	// Seq numbers the messages of one channel 1, 2, 3, ..., in the order
	// every subscriber receives them; the broker assigns it, so that with
	// several server processes a client still sees one sequence per
	// channel and can notice a gap.
	Seq  uint64          `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// Broker carries messages from publishers to hubs. It is the seam between
// publishing and local delivery: the in-process LocalBroker is the default,
// and a broker on a shared service (Redis, NATS) lets hubs in several server
// processes share channels.
type Broker interface {
	// Publish assigns m the next Seq of m.Channel and hands it to every
	// listener (in this process or another), in Seq order per channel.
	Publish(ctx context.Context, m Message) error
	// Listen has deliver called for every message published from now on,
	// until stop is called. deliver may block for a while (a hub waits for
	// room in a slow client's buffer); a broker must not reorder a
	// channel's messages meanwhile.
	Listen(deliver func(Message)) (stop func(), err error)
}

// LocalBroker is the Broker of one process: Publish delivers to the
// listeners at once, in the publisher's goroutine, so a hub's deliveries
// happen before Publish returns.
type LocalBroker struct {
	mu        sync.Mutex
	channels  map[string]*sequence
	listeners map[int]func(Message)
	next      int
}

// sequence orders one channel's messages: its lock is held from numbering
// a message to delivering it, so deliveries follow Seq.
type sequence struct {
	mu  sync.Mutex
	seq uint64
}

// NewLocalBroker returns an in-process broker.
//
// It remembers the last Seq of every channel ever published to (a few
// dozen bytes each), so that a client resubscribing sees the sequence go on
// rather than restart.
func NewLocalBroker() *LocalBroker {
	return &LocalBroker{channels: make(map[string]*sequence), listeners: make(map[int]func(Message))}
}

// Publish numbers m and delivers it to every listener before returning.
func (b *LocalBroker) Publish(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	seq, ok := b.channels[m.Channel]
	if !ok {
		seq = &sequence{}
		b.channels[m.Channel] = seq
	}
	deliver := make([]func(Message), 0, len(b.listeners))
	for _, l := range b.listeners {
		deliver = append(deliver, l)
	}
	b.mu.Unlock()

	seq.mu.Lock()
	defer seq.mu.Unlock()
	seq.seq++
	m.Seq = seq.seq
	for _, d := range deliver {
		d(m)
	}
	return nil
}

// Listen adds a listener.
func (b *LocalBroker) Listen(deliver func(Message)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.listeners[id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.listeners, id)
	}, nil
}
