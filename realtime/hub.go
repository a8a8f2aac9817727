package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

// The defaults of Options.
const (
	DefaultMaxMessageSize     = 64 << 10
	DefaultMessageRate        = 20
	DefaultMessageBurst       = 40
	DefaultFloodLimit         = 50
	DefaultSendBuffer         = 64
	DefaultSlowTimeout        = 250 * time.Millisecond
	DefaultTicketLifetime     = 30 * time.Second
	DefaultPingPeriod         = 30 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultMaxConnsPerUser    = 10
	DefaultMaxConnsPerAddress = 100
	DefaultMaxTicketsPerUser  = 10
)

// Options configure a Hub; nil means defaults.
type Options struct {
	// MaxMessageSize is the largest message a client may send, in bytes; a
	// bigger one closes its connection with 1009. Defaults to 64 KiB.
	MaxMessageSize int64
	// MessageRate and MessageBurst bound the messages one connection may
	// send: MessageRate per second on average, MessageBurst at once. A
	// message over the limit is answered rate_limited and not handled.
	// Default to 20 and 40.
	MessageRate  float64
	MessageBurst int
	// FloodLimit is how far a connection's messages over its rate may
	// outnumber those within it before it is closed with
	// ClosePolicyViolation (1008): each message answered rate_limited adds
	// one to a count, each answered message takes one off. A client that
	// ignores rate_limited and keeps sending at more than twice its rate
	// is flooding and is closed, at ten times the rate (200 messages/s
	// with the defaults) in well under a second; one that bursts and then
	// keeps to its rate, or is a little over it, is slowed down, not
	// closed. Defaults to 50.
	FloodLimit int
	// SendBuffer is how many messages may wait to be written to one
	// client. Defaults to 64. See SlowTimeout.
	SendBuffer int
	// SlowTimeout is how long a delivery waits for room in a client's full
	// send buffer before the client is disconnected with
	// CloseSlowConsumer. Defaults to 250 ms. Meanwhile the publisher
	// waits, so a burst is paced by the clients that keep up and nothing
	// is dropped.
	SlowTimeout time.Duration
	// TicketLifetime is how long a ticket from IssueTicket is good for.
	// Defaults to 30 s.
	TicketLifetime time.Duration
	// MaxTicketsPerUser is how many tickets one user may be issued by this
	// hub within a TicketLifetime; past it IssueTicket is rate limited
	// (429), so no client fills the ticket store. Defaults to 10.
	MaxTicketsPerUser int
	// PingPeriod is how often the hub pings each client; a client that has
	// not answered within two periods is disconnected. Defaults to 30 s.
	PingPeriod time.Duration
	// WriteTimeout bounds one write to a client's connection, and so how
	// long a close frame may wait behind data a stalled client does not
	// read before the connection is dropped, and how long a slow client's
	// connection is held open after its close frame for it to read what
	// was queued. Defaults to 10 s.
	WriteTimeout time.Duration
	// MaxConnsPerUser is how many connections one user may have open at
	// once: enough for a few devices and browser tabs, not for one account
	// to hold the server's memory. An upgrade over the cap is refused with
	// 429. Defaults to 10.
	MaxConnsPerUser int
	// MaxConnsPerAddress is how many connections may be open at once from
	// one client address (see ClientAddress), whoever they sign in as; an
	// upgrade over the cap is refused with 429. It is larger than
	// MaxConnsPerUser because players share addresses behind NAT.
	// Defaults to 100.
	MaxConnsPerAddress int
	// ClientAddress returns the address a request comes from, for
	// MaxConnsPerAddress. Defaults to rest.ClientKey: the host of
	// r.RemoteAddr, an IPv6 address by its /64, as the example server's
	// sign-in throttles count it. Behind a reverse proxy, every request
	// comes from the proxy: put rest.TrustProxies in front of the hub,
	// which sets RemoteAddr to the client's, or derive the address here
	// from what your proxy adds.
	ClientAddress func(r *http.Request) string
	// CheckOrigin decides whether a browser page from another origin may
	// connect. Defaults to same origin only: the Origin header's host must
	// be the request's Host. Requests without an Origin (clients that are
	// not browsers) are always allowed; they prove who they are with an
	// Authorization header or a ticket.
	CheckOrigin func(r *http.Request) bool
	// Broker carries published messages to the hubs that deliver them.
	// Defaults to a new LocalBroker.
	Broker Broker
	// Tickets keeps the tickets IssueTicket makes until they are used.
	// Defaults to the Broker if it is a TicketStore (LocalBroker and the
	// Redis broker are, so hubs sharing a broker share tickets), else to a
	// store in this process.
	Tickets TicketStore
	// Presence keeps who is subscribed to the channels that keep presence
	// (see ChannelWith). Defaults to the Broker if it is a Presence
	// (LocalBroker and the Redis broker are), else to this process's.
	Presence Presence
	// Logger receives the hub's warnings (slow clients) and internal
	// errors. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock of tickets and rate limits. Defaults to time.Now.
	Now func() time.Time
	// ObservePublish, if set, is told how long each of Publish's calls to
	// the Broker took and whether it failed, so that a host can keep a
	// histogram of broker latency (package metrics does). With LocalBroker
	// the time includes delivery to this process's clients; with a broker
	// on a shared service it is the round trip to it. It is called on
	// the publisher's goroutine and must return quickly. Defaults to nil.
	ObservePublish func(d time.Duration, err error)
}

// Hub is the realtime server: an http.Handler for websocket upgrades, a
// gamekit.Publisher, and the registry of routes and channels. See the
// package documentation for the protocol.
type Hub struct {
	opts   Options
	melody *melody.Melody
	log    *slog.Logger
	stop   func()

	routes map[string]map[string]HandlerFunc // written before serving
	rules  map[string]channelRule

	mu       sync.RWMutex
	clients  map[*client]struct{}
	channels map[string]*channel
	closed   bool
	conns    sync.WaitGroup // connection handlers and closers
	perUser  map[int64]int  // connections open or upgrading, by user
	perAddr  map[string]int // and by client address

	signOuts signOuts // users signed out, whose older tickets are refused
	issued   issued   // tickets issued lately, by user

	delivered, slow, flood, refused      atomic.Int64
	recovered, unrecovered, lostMessages atomic.Int64
}

var _ gamekit.Publisher = (*Hub)(nil)

// New returns a hub listening on its broker. Register routes and channels
// before serving; Close it when done.
func New(opts *Options) (*Hub, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	for _, v := range []struct {
		name  string
		value float64
	}{
		{"MaxMessageSize", float64(o.MaxMessageSize)}, {"MessageRate", o.MessageRate}, {"MessageBurst", float64(o.MessageBurst)},
		{"FloodLimit", float64(o.FloodLimit)}, {"SendBuffer", float64(o.SendBuffer)}, {"SlowTimeout", float64(o.SlowTimeout)},
		{"TicketLifetime", float64(o.TicketLifetime)}, {"MaxTicketsPerUser", float64(o.MaxTicketsPerUser)},
		{"PingPeriod", float64(o.PingPeriod)}, {"WriteTimeout", float64(o.WriteTimeout)},
		{"MaxConnsPerUser", float64(o.MaxConnsPerUser)}, {"MaxConnsPerAddress", float64(o.MaxConnsPerAddress)},
	} {
		if v.value < 0 || math.IsNaN(v.value) {
			return nil, &gamekit.OptionError{Option: "realtime: Options." + v.name, Value: v.value, Want: "0 or more (0 for the default)"}
		}
	}
	setDefault(&o.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&o.MessageRate, DefaultMessageRate)
	setDefault(&o.MessageBurst, DefaultMessageBurst)
	setDefault(&o.FloodLimit, DefaultFloodLimit)
	setDefault(&o.SendBuffer, DefaultSendBuffer)
	setDefault(&o.SlowTimeout, DefaultSlowTimeout)
	setDefault(&o.TicketLifetime, DefaultTicketLifetime)
	setDefault(&o.MaxTicketsPerUser, DefaultMaxTicketsPerUser)
	setDefault(&o.PingPeriod, DefaultPingPeriod)
	setDefault(&o.WriteTimeout, DefaultWriteTimeout)
	setDefault(&o.MaxConnsPerUser, DefaultMaxConnsPerUser)
	setDefault(&o.MaxConnsPerAddress, DefaultMaxConnsPerAddress)
	if o.ClientAddress == nil {
		o.ClientAddress = rest.ClientKey
	}
	if o.CheckOrigin == nil {
		o.CheckOrigin = sameOrigin
	}
	if o.Broker == nil {
		o.Broker = NewLocalBroker(nil)
	}
	if o.Tickets == nil {
		if store, ok := o.Broker.(TicketStore); ok {
			o.Tickets = store
		} else {
			o.Tickets = &memTickets{}
		}
	}
	if o.Presence == nil {
		if p, ok := o.Broker.(Presence); ok {
			o.Presence = p
		} else {
			o.Presence = &localPresence{}
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}

	h := &Hub{
		opts:     o,
		log:      o.Logger,
		routes:   make(map[string]map[string]HandlerFunc),
		rules:    map[string]channelRule{"user.*": {rule: OwnUser}},
		clients:  make(map[*client]struct{}),
		channels: make(map[string]*channel),
		perUser:  make(map[int64]int),
		perAddr:  make(map[string]int),
	}
	h.melody = h.newMelody()
	var err error
	if h.stop, err = o.Broker.Listen(listener{h}); err != nil {
		return nil, fmt.Errorf("realtime: listen: %w", err)
	}
	return h, nil
}

func setDefault[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// newMelody configures melody for the hub. Its send buffer is exactly
// SendBuffer: the hub counts what it queues and never writes to a full
// buffer (where melody would drop the message silently), so no slot is
// wasted and none overflows.
func (h *Hub) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = h.opts.MaxMessageSize
	m.Config.MessageBufferSize = h.opts.SendBuffer
	m.Config.PingPeriod = h.opts.PingPeriod
	m.Config.PongWait = 2 * h.opts.PingPeriod
	m.Config.WriteWait = h.opts.WriteTimeout
	// The origin was checked before upgrading (see ServeHTTP). Buffers:
	// reads reuse the HTTP server's buffer, and a write buffer is taken
	// from a pool only while a message is written, so an idle connection
	// holds none (see also releaseWriteBuffer).
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }
	m.Upgrader.ReadBufferSize = 0
	m.Upgrader.WriteBufferSize = 0
	m.Upgrader.WriteBufferPool = &sync.Pool{}
	m.HandleConnect(h.connect)
	m.HandleDisconnect(h.disconnect)
	m.HandleMessage(func(s *melody.Session, msg []byte) { h.handleMessage(s, msg, false) })
	m.HandleMessageBinary(func(s *melody.Session, msg []byte) { h.handleMessage(s, msg, true) })
	m.HandleSentMessage(func(s *melody.Session, _ []byte) { clientOf(s).sent() })
	m.HandleError(func(s *melody.Session, err error) {
		// A full buffer cannot happen (the hub counts), but if it ever
		// did, the client would be disconnected, not silently shorted.
		if errors.Is(err, melody.ErrMessageBufferFull) {
			clientOf(s).drop(CloseSlowConsumer, "slow consumer: send buffer full")
		}
	})
	return m
}

// handleMessage answers a client's message on a goroutine of its own,
// waited for, so requests are still answered in order. Decoding and
// answering grow a stack to 8 KiB; done on the connection's read goroutine,
// which then parks for as long as the client is idle, that stack would stay
// grown for every idle connection (4 KiB each).
func (h *Hub) handleMessage(s *melody.Session, msg []byte, binary bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				h.log.Error("realtime: handling a message panicked", "panic", p)
			}
		}()
		clientOf(s).handle(msg, binary)
	}()
	<-done
}

// Handle registers fn to answer requests for route + verb. Register
// before serving: the table is not locked.
func (h *Hub) Handle(route, verb string, fn HandlerFunc) {
	if h.routes[route] == nil {
		h.routes[route] = make(map[string]HandlerFunc)
	}
	h.routes[route][verb] = fn
}

// Channel sets who may subscribe to a channel: pattern is a channel's
// name ("players") or a family of them ("user.*" matches "user.7").
// A client can subscribe only to channels that have a rule. Every hub
// starts with "user.*" under OwnUser. Register before serving.
func (h *Hub) Channel(pattern string, rule Rule) {
	h.rules[pattern] = channelRule{rule: rule}
}

// Publish encodes e.Data and sends it through the broker to every client
// subscribed to e.Channel, numbered in that channel's sequence. It returns
// once local delivery is done (with LocalBroker); it waits only while a
// subscriber's send buffer is full, at most SlowTimeout, after which that
// subscriber is disconnected.
func (h *Hub) Publish(ctx context.Context, e gamekit.Event) error {
	if e.Channel == "" || e.Name == "" {
		return errors.New("realtime: publish: an event needs a channel and a name")
	}
	if strings.HasPrefix(e.Channel, reserved) {
		return fmt.Errorf("realtime: publish on %s: channels beginning %q are the hubs' own", e.Channel, reserved)
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("realtime: publish %s on %s: %w", e.Name, e.Channel, err)
	}
	m := Message{Channel: e.Channel, Event: e.Name, Data: data}
	if observe := h.opts.ObservePublish; observe != nil {
		start := time.Now()
		_, err = h.opts.Broker.Publish(ctx, m)
		observe(time.Since(start), err)
		return err
	}
	_, err = h.opts.Broker.Publish(ctx, m)
	return err
}

// ServeHTTP upgrades a request to a websocket connection for the caller:
// the identity on a ?ticket= (see IssueTicket), or else the identity the
// host's authentication put on the request context (from an Authorization
// header). Before upgrading it refuses, with a JSON error: another origin
// (403, see Options.CheckOrigin), an access token in the URL (400), no
// identity or a bad ticket (401), a caller over MaxConnsPerUser or
// MaxConnsPerAddress (429), a hub that is closing (503).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.accept(w, r)
	if c == nil {
		return
	}
	defer h.conns.Done()
	defer h.release(c.id.UserID, c.addr)
	defer c.cancel()
	// melody answers a failed upgrade itself (400 for a request that is
	// not a websocket handshake).
	_ = h.melody.HandleRequestWithKeys(releaseWriteBuffer{w}, r, map[string]any{clientKey: c})
}

// accept checks an upgrade request (origin, identity, the caps) and
// returns the client it makes, counted under the caps and in h.conns, or
// answers the request itself and returns nil. It is a function of its own
// so that its frame is not on the connection's stack for the
// connection's life, under melody's read loop: that stack stays at its
// first size rather than doubling, 4 KiB less per connection.
//
//go:noinline
func (h *Hub) accept(w http.ResponseWriter, r *http.Request) *client {
	if !h.opts.CheckOrigin(r) {
		rest.WriteError(w, r, gamekit.Errorf(gamekit.ErrForbidden, "Origin %q may not connect.", r.Header.Get("Origin")))
		return nil
	}
	query := r.URL.Query()
	if query.Has("token") || query.Has("access_token") {
		rest.WriteError(w, r, gamekit.Errorf(gamekit.ErrInvalid,
			"Access tokens never go in URLs: get a ticket from the ticket endpoint and connect with ?ticket=."))
		return nil
	}
	id, ok := gamekit.IdentityFrom(r.Context())
	since := h.opts.Now()
	if query.Has("ticket") {
		var err error
		if id, since, ok, err = h.redeem(r.Context(), query.Get("ticket")); err != nil {
			h.log.Error("realtime: redeeming a ticket", "error", err)
			rest.WriteJSON(w, r, http.StatusServiceUnavailable, rest.Detail{Detail: "Tickets cannot be checked now; try again."})
			return nil
		}
		if !ok {
			rest.WriteError(w, r, gamekit.Errorf(gamekit.ErrUnauthenticated, "The ticket is expired, used or unknown."))
			return nil
		}
	}
	if !ok {
		rest.WriteError(w, r, gamekit.Errorf(gamekit.ErrUnauthenticated,
			"Authentication credentials were not provided: connect with ?ticket= or an Authorization header."))
		return nil
	}

	addr := h.opts.ClientAddress(r)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		rest.WriteJSON(w, r, http.StatusServiceUnavailable, rest.Detail{Detail: "The server is shutting down."})
		return nil
	}
	if over := h.overCap(id.UserID, addr); over != "" {
		h.mu.Unlock()
		h.refused.Add(1)
		rest.WriteJSON(w, r, http.StatusTooManyRequests, rest.Detail{Detail: over})
		return nil
	}
	h.perUser[id.UserID]++
	h.perAddr[addr]++
	h.conns.Add(1)
	h.mu.Unlock()
	return h.newClient(id, since, addr, r.RemoteAddr)
}

// overCap says which cap a new connection for user from addr would
// exceed, or "" if none; h.mu is held.
func (h *Hub) overCap(user int64, addr string) string {
	if n := h.opts.MaxConnsPerUser; h.perUser[user] >= n {
		return fmt.Sprintf("Too many connections: at most %d connections per user are allowed. Close another first.", n)
	}
	if n := h.opts.MaxConnsPerAddress; h.perAddr[addr] >= n {
		return fmt.Sprintf("Too many connections: at most %d connections per address are allowed. Close another first.", n)
	}
	return ""
}

// release frees the slots a connection held under the caps.
func (h *Hub) release(user int64, addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[user]--; h.perUser[user] == 0 {
		delete(h.perUser, user)
	}
	if h.perAddr[addr]--; h.perAddr[addr] == 0 {
		delete(h.perAddr, addr)
	}
}

// releaseWriteBuffer hands the upgrade a ResponseWriter whose Hijack gives
// back the HTTP server's 4 KiB write buffer: the server keeps that buffer
// for as long as the handler runs, which for a websocket is the whole
// connection, yet after hijacking only the upgrade writes (its own pooled
// buffer). After Hijack the caller owns the bufio.ReadWriter, and net/http
// never touches it again.
type releaseWriteBuffer struct{ http.ResponseWriter }

func (w releaseWriteBuffer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	lc := &lingeringConn{Conn: conn}
	*rw.Writer = *bufio.NewWriterSize(lc, 16) // bufio's smallest
	return lc, rw, nil
}

// lingeringConn is a client's connection that the hub can keep open
// after sending its close frame. melody closes a connection as soon as
// the frame is written, yet for a slow client the frame and the events
// before it may still wait in the kernel; anything the client sends then
// (a pong, a request, its answer to the close) makes the kernel reset the
// connection and discard them. Once held, Close does nothing: the hub
// half-closes the connection after the frame and closes it itself.
type lingeringConn struct {
	net.Conn
	held atomic.Bool
}

// Close closes the connection unless the hub holds it.
func (c *lingeringConn) Close() error {
	if c.held.Load() {
		return nil
	}
	return c.Conn.Close()
}

// closeWrite sends the end of the stream after what is queued, where
// the connection can (TCP).
func (c *lingeringConn) closeWrite() {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// connect registers a client once its connection is upgraded.
func (h *Hub) connect(s *melody.Session) {
	c := clientOf(s)
	c.session = s
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.clients[c] = struct{}{}
	}
	h.mu.Unlock()
	switch {
	case closed:
		c.drop(CloseGoingAway, "server shutting down")
	case h.signOuts.refuses(c.id.UserID, c.since):
		// The user was signed out while this connection was upgrading,
		// too early for signedOut to find it among the clients (it records
		// the sign-out before it looks, so one of the two sees the other).
		c.drop(ClosePolicyViolation, "signed out")
	}
}

// disconnect forgets a client whose connection has ended.
func (h *Hub) disconnect(s *melody.Session) {
	c := clientOf(s)
	h.forget(c)
	close(c.ended)
}

// forget removes c from the hub and from every channel, and then, on a
// goroutine of its own (forget may be called amid a delivery), from the
// presence of channels that keep it.
func (h *Hub) forget(c *client) {
	var announce []string
	h.mu.Lock()
	delete(h.clients, c)
	for name := range c.channels {
		if ch := h.channels[name]; ch != nil {
			h.dropSub(c, ch)
		}
		if h.announces(name) {
			announce = append(announce, name)
		}
	}
	c.channels = nil
	h.mu.Unlock()
	if len(announce) > 0 {
		h.conns.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
			defer cancel()
			h.left(ctx, c, announce...)
		})
	}
}

// Stats are the hub's counters, for dashboards and tests.
type Stats struct {
	// Clients is how many connections are open now.
	Clients int
	// Channels is how many channels have subscribers now.
	Channels int
	// Subscriptions is how many subscriptions are open now: a client
	// subscribed to three channels holds three.
	Subscriptions int
	// Delivered counts the messages queued to clients since New.
	Delivered int64
	// SlowDisconnects counts the clients disconnected with
	// CloseSlowConsumer since New.
	SlowDisconnects int64
	// FloodDisconnects counts the clients closed with
	// ClosePolicyViolation since New, for flooding (see
	// Options.FloodLimit).
	FloodDisconnects int64
	// RefusedConnections counts the upgrades refused with 429 since New,
	// over MaxConnsPerUser or MaxConnsPerAddress.
	RefusedConnections int64
	// Recovered counts the subscribes with "since" answered
	// "recovered":true since New, Unrecovered those answered false (the
	// history no longer reached back, or the epoch changed).
	Recovered, Unrecovered int64
	// Lost counts the gaps since New that the hub could not fill from the
	// broker's history and told clients about with a lost notice.
	Lost int64
}

// Stats returns the hub's counters. It takes the hub's lock for as long as
// it counts the channels, so call it for a scrape or a page, not per
// message.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	subs := 0
	for _, ch := range h.channels {
		subs += len(ch.subs)
	}
	return Stats{Clients: len(h.clients), Channels: len(h.channels), Subscriptions: subs,
		Delivered: h.delivered.Load(), SlowDisconnects: h.slow.Load(), FloodDisconnects: h.flood.Load(), RefusedConnections: h.refused.Load(),
		Recovered: h.recovered.Load(), Unrecovered: h.unrecovered.Load(), Lost: h.lostMessages.Load()}
}

// Close stops the hub: new upgrades are refused with 503, every client is
// sent a close frame with CloseGoingAway (as a control frame, ahead of
// anything still queued), and Close returns once every connection has
// ended. A client that does not answer the close frame within a second is
// disconnected; if ctx is done first, every connection still open is
// closed at once and Close returns ctx.Err() after they end.
// Close is idempotent. Register it with http.Server.RegisterOnShutdown,
// since Shutdown does not wait for websocket connections.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	first := !h.closed
	h.closed = true
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.Unlock()
	if first {
		h.stop()
	}
	for _, c := range clients {
		c.drop(CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	// Out of time: close the connections still open under the clients.
	h.mu.RLock()
	for c := range h.clients {
		c.session.WebsocketConnection().Close()
	}
	h.mu.RUnlock()
	<-done
	return ctx.Err()
}

// sameOrigin is the default CheckOrigin: browsers send Origin on every
// websocket handshake, so a missing one is a client that is not a browser
// page, and cross-site request forgery does not apply to it.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// closeMessage is a close frame's payload.
func closeMessage(code int, text string) []byte {
	return websocket.FormatCloseMessage(code, text)
}
