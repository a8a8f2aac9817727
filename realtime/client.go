package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// clientKey is where a melody session keeps its client.
const clientKey = "gamekit.client"

// client is one websocket connection and its caller.
type client struct {
	hub     *Hub
	id      gamekit.Identity
	since   time.Time       // when id was vouched for: a ticket's issue, else the request
	conn    string          // names the connection in presence, across processes
	addr    string          // the client address it counts under (Options.ClientAddress)
	remote  string          // where it comes from: the request's RemoteAddr, behind TrustProxies the client's
	session *melody.Session // set on connect
	ctx     context.Context // the caller's identity; cancelled at disconnect
	cancel  context.CancelFunc

	// queued counts the messages handed to melody and not yet written; it
	// never exceeds SendBuffer, so melody never drops one.
	queued atomic.Int64
	// waiting counts the senders waiting for room. A sender counts itself
	// before it re-checks queued and blocks, and a write is signalled on
	// room only when one is waiting: every delivery then costs an atomic
	// load, not a channel operation. (Go's atomics are sequentially
	// consistent, so either the sender sees the freed slot or the writer
	// sees the waiter; room holds the signal until the sender takes it.)
	waiting atomic.Int32
	room    chan struct{} // a message was written: there may be room
	gone    chan struct{} // closed when the hub drops the client
	ended   chan struct{} // closed when the connection has ended
	once    sync.Once

	channels map[string]struct{} // guarded by hub.mu

	// The message rate limit, a token bucket, and the flood count (see
	// admit); only the connection's read goroutine touches them.
	tokens  float64
	last    time.Time
	refused int
}

func (h *Hub) newClient(id gamekit.Identity, since time.Time, addr, remote string) *client {
	ctx, cancel := context.WithCancel(gamekit.WithIdentity(context.Background(), id))
	return &client{
		hub: h, id: id, since: since, addr: addr, remote: remote, ctx: ctx, cancel: cancel, conn: NewEpoch() + NewEpoch(),
		room:     make(chan struct{}, 1),
		gone:     make(chan struct{}),
		ended:    make(chan struct{}),
		channels: make(map[string]struct{}),
		tokens:   float64(h.opts.MessageBurst),
		last:     h.opts.Now(),
	}
}

// clientOf is the client of a session. It reads s.Keys without
// Session.Get's lock, once per delivered frame: the hub gives melody the
// map in HandleRequestWithKeys, before the session's goroutines start,
// and never writes to it afterwards (no Session.Set or UnSet), so reading
// it is race free.
func clientOf(s *melody.Session) *client {
	return s.Keys[clientKey].(*client)
}

// send queues frame for the client. When the send buffer is full it waits
// for room until *deadline (set on the first wait of a delivery, so a
// delivery waits at most SlowTimeout in all), then drops the client. It
// reports whether the frame was queued.
func (c *client) send(frame []byte, deadline *time.Time) bool {
	limit := int64(c.hub.opts.SendBuffer)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		n := c.queued.Load()
		if n < limit {
			if !c.queued.CompareAndSwap(n, n+1) {
				continue
			}
			if n+1 < limit && c.waiting.Load() > 0 {
				c.signalRoom() // pass on a wake-up another sender may need
			}
			if c.session.Write(frame) != nil {
				return false // closed meanwhile
			}
			return true
		}
		if deadline.IsZero() {
			*deadline = time.Now().Add(c.hub.opts.SlowTimeout)
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(*deadline))
		}
		if !c.waitRoom(limit, timer) {
			return false
		}
	}
}

// waitRoom waits until a message was written (there may be room), and
// reports false if instead the client went or the timer fired (then the
// client is dropped as a slow consumer). It counts itself in waiting
// before it re-checks the buffer, so a write between the sender's check
// and its wait is not missed.
func (c *client) waitRoom(limit int64, timer *time.Timer) bool {
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	if c.queued.Load() < limit {
		return true // written meanwhile
	}
	select {
	case <-c.room:
		return true
	case <-c.gone:
		return false
	case <-c.ended:
		return false
	case <-timer.C:
		c.drop(CloseSlowConsumer, "slow consumer: send buffer full")
		return false
	}
}

// sent is melody's word that a queued message was written. It signals
// room only if a sender is waiting for it (see waiting).
func (c *client) sent() {
	c.queued.Add(-1)
	if c.waiting.Load() > 0 {
		c.signalRoom()
	}
}

func (c *client) signalRoom() {
	select {
	case c.room <- struct{}{}:
	default:
	}
}

// closeAnswerTimeout is how long the hub waits for a client to answer its
// close frame before closing the connection under it.
const closeAnswerTimeout = time.Second

// drop disconnects the client, once: it leaves every channel at once, is
// sent a close frame as a control frame (around its send buffer, which may
// be full; the write may wait up to WriteTimeout behind data the client
// has not read), and its connection is closed when the client answers or
// a second after the frame went out.
func (c *client) drop(code int, reason string) {
	c.once.Do(func() {
		close(c.gone)
		c.hub.forget(c)
		switch code {
		case CloseSlowConsumer:
			c.hub.slow.Add(1)
			c.hub.log.Warn("realtime: slow client disconnected", "user", c.id.UserID,
				"remote", c.remote, "send_buffer", c.hub.opts.SendBuffer)
		}
		c.hub.conns.Go(func() {
			conn := c.session.WebsocketConnection()
			lc, _ := conn.UnderlyingConn().(*lingeringConn)
			if lc == nil {
				lc = &lingeringConn{Conn: conn.UnderlyingConn()}
			}
			lc.held.Store(true) // closed here, not by melody
			defer lc.Conn.Close()
			if conn.WriteControl(websocket.CloseMessage, closeMessage(code, reason), time.Now().Add(c.hub.opts.WriteTimeout)) != nil {
				return
			}
			lc.closeWrite()
			wait := closeAnswerTimeout
			if code == CloseSlowConsumer {
				wait = c.hub.opts.WriteTimeout // it has a backlog to read first
			}
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-c.ended:
			case <-timer.C:
			}
		})
	})
}

// errBinary answers a binary message: the protocol is JSON text.
var errBinary = gamekit.Errorf(gamekit.ErrInvalid, "realtime: binary messages are not supported; send each request as a JSON text message")

// handle answers one message from the client, one at a time (see
// Hub.handleMessage), so a client's requests are answered in order.
// Every message counts against the rate, even one that cannot be read.
func (c *client) handle(msg []byte, binary bool) {
	select {
	case <-c.gone:
		return // dropped: nothing more is answered
	default:
	}
	if binary {
		if c.admit(nil) {
			c.reply(nil, nil, errBinary)
		}
		return
	}
	var req request
	if err := rest.Unmarshal(msg, &req); err != nil {
		// Echo the id if one can be read, so the client can match the
		// error: the key "id" exactly, as a request is read, not "ID",
		// which encoding/json would take for it in a struct.
		// An id that is not valid UTF-8 is not echoed: the reply is a
		// text frame, which a browser refuses unless it is.
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(msg, &keys)
		id := keys["id"]
		if !utf8.Valid(id) {
			id = nil
		}
		if c.admit(id) {
			c.reply(id, nil, err)
		}
		return
	}
	if !c.admit(req.ID) {
		return
	}
	data, err := c.dispatch(req)
	if err != errReplied {
		c.reply(req.ID, data, err)
	}
}

// admit reports whether a message is within the client's rate. One that
// is not is answered rate_limited, and counts towards flooding; one that
// is takes one off the count. A client whose count passes FloodLimit is
// dropped with ClosePolicyViolation. So a burst, answered rate_limited and
// followed by messages within the rate, is forgiven, while a client that
// keeps sending at more than twice its rate (more of its messages refused
// than answered) reaches the limit however many get through: a reset on
// every answered message, as this once was, let a client at ten times
// the rate be answered rate_limited forever.
func (c *client) admit(id json.RawMessage) bool {
	if c.allow() {
		c.refused = max(c.refused-1, 0)
		return true
	}
	if c.refused++; c.refused > c.hub.opts.FloodLimit {
		c.hub.flood.Add(1)
		c.hub.log.Warn("realtime: flooding client disconnected", "user", c.id.UserID,
			"remote", c.remote, "flood_limit", c.hub.opts.FloodLimit)
		c.drop(ClosePolicyViolation, "flooding: too many messages over the rate limit")
		return false
	}
	c.reply(id, nil, &gamekit.RateLimitError{RetryAfter: time.Duration(float64(time.Second) / c.hub.opts.MessageRate)})
	return false
}

// dispatch runs a request: subscribe, unsubscribe, or a route's verb.
func (c *client) dispatch(req request) (data any, err error) {
	if req.Route == "" {
		if req.Verb == "subscribe" || req.Verb == "unsubscribe" || req.Verb == "presence" {
			if err := checkChannel(req.Channel); err != nil {
				return nil, err
			}
		}
		switch req.Verb {
		case "subscribe":
			if req.Since != nil && req.Since.Epoch == "" {
				return nil, gamekit.Invalid("since", "A position needs the epoch of a subscribe reply.")
			}
			was := c.subscribed(req.Channel)
			err := c.hub.subscribe(c, req.ID, req.Channel, req.Since)
			if err == errReplied && !was && c.hub.announces(req.Channel) {
				c.hub.joined(c.ctx, c, req.Channel)
			}
			return nil, err
		case "unsubscribe":
			was := c.subscribed(req.Channel)
			c.hub.unsubscribe(c, req.Channel)
			if was && c.hub.announces(req.Channel) {
				c.hub.left(c.ctx, c, req.Channel)
			}
			return nil, nil
		case "presence":
			return c.hub.presence(c, req.Channel)
		case "":
			return nil, gamekit.Invalid("verb", "This field is required.")
		default:
			return nil, gamekit.Errorf(gamekit.ErrNotFound, "realtime: no verb %q; without a route, verbs are subscribe, unsubscribe and presence", req.Verb)
		}
	}
	verbs, ok := c.hub.routes[req.Route]
	if !ok {
		return nil, gamekit.Errorf(gamekit.ErrNotFound, "realtime: no route %q", req.Route)
	}
	fn, ok := verbs[req.Verb]
	if !ok {
		return nil, gamekit.Errorf(gamekit.ErrNotFound, "realtime: route %q has no verb %q", req.Route, req.Verb)
	}
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("realtime: %s %s panicked: %v", req.Route, req.Verb, p)
		}
	}()
	return fn(c.ctx, Request{Route: req.Route, Verb: req.Verb, Args: req.Args, Identity: c.id})
}

// subscribed reports whether c is subscribed to a channel.
func (c *client) subscribed(name string) bool {
	c.hub.mu.RLock()
	defer c.hub.mu.RUnlock()
	_, ok := c.channels[name]
	return ok
}

// reply sends the answer to a request.
func (c *client) reply(id json.RawMessage, data any, err error) {
	r := reply{ID: id, OK: err == nil, Data: data}
	if err != nil {
		var internal bool
		r.Data = nil
		r.Error, internal = replyErrorOf(err)
		if internal {
			c.hub.log.Error("realtime: request failed", "user", c.id.UserID, "error", err)
		}
	}
	frame, merr := json.Marshal(r)
	if merr != nil {
		c.hub.log.Error("realtime: reply does not encode", "user", c.id.UserID, "error", merr)
		frame, _ = json.Marshal(reply{ID: id, Error: &replyError{Code: CodeInternal, Message: "internal error"}})
	}
	var deadline time.Time
	c.send(frame, &deadline)
}

// allow takes a token from the client's message budget.
func (c *client) allow() bool {
	now := c.hub.opts.Now()
	rate, burst := c.hub.opts.MessageRate, float64(c.hub.opts.MessageBurst)
	c.tokens = min(burst, c.tokens+now.Sub(c.last).Seconds()*rate)
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}
