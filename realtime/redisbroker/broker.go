package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

// The defaults of Options.
const (
	DefaultPrefix       = "gamekit:realtime:"
	DefaultPositionTTL  = 24 * time.Hour
	DefaultListenBuffer = 8192
	DefaultPresenceTTL  = 60 * time.Second
)

// Options configure a Broker; nil means defaults.
type Options struct {
	// Prefix starts every key and pub/sub channel the broker uses, so
	// several games (or tests) can share one Redis. Defaults to
	// "gamekit:realtime:".
	Prefix string
	// History bounds the history of every channel that Histories does not
	// name. Defaults to realtime.HistoryOptions' defaults (200 messages,
	// 2 minutes). The TTL counts from the channel's latest publish.
	History realtime.HistoryOptions
	// Histories bounds the history of the channels a pattern matches
	// ("players", "user.*"; see realtime.Match), over History.
	Histories map[string]realtime.HistoryOptions
	// PositionTTL is how long a channel's position (its epoch and last
	// seq) is kept after its latest publish or read. A channel idle for
	// longer starts a new epoch, and a client resuming from the old one
	// reloads. Defaults to 24 hours.
	PositionTTL time.Duration
	// ListenBuffer is how many messages may wait for one hub. A hub
	// further behind has the channel caught up from history (see
	// realtime.Listener.Missed) rather than make the reader wait for it.
	// Defaults to 8,192.
	ListenBuffer int
	// PresenceTTL is how long this process's presence entries outlive
	// its last heartbeat (sent every third of it): a process that dies
	// without removing them drops out of every channel's presence within
	// PresenceTTL. Defaults to 60 s.
	PresenceTTL time.Duration
	// Logger receives the broker's warnings (a lost connection).
	// Defaults to slog.Default().
	Logger *slog.Logger
}

// Broker is a realtime.Broker on Redis: every server process that makes one
// on the same Redis (and Prefix) shares channels, positions, history,
// tickets and presence.
//
// One Lua script numbers a message in its channel (an epoch and a seq in
// a hash), keeps it in the channel's history (a capped list) and publishes
// it to one pub/sub channel, so numbering, history and delivery order
// agree across processes. A channel whose hash is gone (Redis restarted
// without persistence, the key evicted or deleted) starts a new epoch.
//
// While hubs listen, one connection reads the pub/sub channel and hands
// messages to each hub through a queue of its own, so a slow hub never
// holds up the reader or the others. When a hub's queue is full, or the
// connection was lost and made again, the hub is told (Listener.Missed)
// and catches up from history.
//
// Every process receives every channel's messages; the reader queues for
// a hub only those of channels it has subscribers to (see
// realtime.Listener.Wants). Keys are not hash-tagged for Redis Cluster.
type Broker struct {
	rdb    *redis.Client
	opts   Options
	pubsub string // the pub/sub channel

	mu        sync.Mutex
	listeners map[*worker]struct{}
	reader    *reader
	closed    bool

	presence presence

	reconnects, overflows atomic.Int64
}

var (
	_ realtime.Broker = (*Broker)(nil)
)

// New returns a broker on client. It starts nothing until a hub listens.
// Close it when every hub on it is closed; the client stays the caller's.
// It returns a *gamekit.OptionError for an option out of range: a negative
// duration or buffer.
func New(client *redis.Client, opts *Options) (*Broker, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	for _, v := range []struct {
		name     string
		value    any
		negative bool
	}{
		{"PositionTTL", o.PositionTTL, o.PositionTTL < 0}, {"ListenBuffer", o.ListenBuffer, o.ListenBuffer < 0},
		{"PresenceTTL", o.PresenceTTL, o.PresenceTTL < 0}, {"History.TTL", o.History.TTL, o.History.TTL < 0},
	} {
		if v.negative {
			return nil, &gamekit.OptionError{Option: "redisbroker: Options." + v.name, Value: v.value, Want: "0 or more (0 for the default)"}
		}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.PositionTTL == 0 {
		o.PositionTTL = DefaultPositionTTL
	}
	if o.ListenBuffer == 0 {
		o.ListenBuffer = DefaultListenBuffer
	}
	if o.PresenceTTL == 0 {
		o.PresenceTTL = DefaultPresenceTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.History = o.History.WithDefaults()
	histories := make(map[string]realtime.HistoryOptions, len(o.Histories))
	for pattern, h := range o.Histories {
		if h.TTL < 0 {
			return nil, &gamekit.OptionError{Option: fmt.Sprintf("redisbroker: Options.Histories[%q].TTL", pattern), Value: h.TTL, Want: "0 or more (0 for the default)"}
		}
		histories[pattern] = h.WithDefaults()
	}
	o.Histories = histories
	b := &Broker{
		rdb: client, opts: o,
		presence: presence{process: realtime.NewEpoch() + realtime.NewEpoch(), conns: make(map[string]map[string]struct{})},
		pubsub:   o.Prefix + "messages", listeners: make(map[*worker]struct{}),
	}
	b.presence.b = b
	return b, nil
}

func (b *Broker) metaKey(channel string) string    { return b.opts.Prefix + "pos:" + channel }
func (b *Broker) historyKey(channel string) string { return b.opts.Prefix + "hist:" + channel }

func (b *Broker) historyOf(channel string) realtime.HistoryOptions {
	if h, ok := realtime.Match(b.opts.Histories, channel); ok {
		return h
	}
	return b.opts.History
}

// publishScript numbers, keeps and publishes one message atomically.
//
// KEYS[1] the channel's position hash {e: epoch, s: seq}, KEYS[2] its
// history list (newest first). ARGV: the message, the history size, its
// TTL (ms), an epoch to start if the channel has none, the pub/sub
// channel, the position's TTL (ms). Returns {seq, epoch}.
var publishScript = redis.NewScript(`
local epoch = redis.call('hget', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[4]
  redis.call('hset', KEYS[1], 'e', epoch)
  redis.call('del', KEYS[2])
end
local seq = redis.call('hincrby', KEYS[1], 's', 1)
redis.call('pexpire', KEYS[1], ARGV[6])
local msg = seq .. ':' .. epoch .. ':' .. ARGV[1]
local size = tonumber(ARGV[2])
if size > 0 then
  redis.call('lpush', KEYS[2], msg)
  redis.call('ltrim', KEYS[2], 0, size - 1)
  redis.call('pexpire', KEYS[2], ARGV[3])
end
redis.call('publish', ARGV[5], msg)
return {seq, epoch}
`)

// historyScript reads a channel's position, starting an epoch if it has
// none (so the first publish continues it), and the messages after a
// given seq of a given epoch if that is the channel's.
//
// KEYS as publishScript's. ARGV: an epoch to start, the position's TTL
// (ms), the epoch and seq to read after ("" for none). Returns {seq,
// epoch, messages newest first}.
var historyScript = redis.NewScript(`
local epoch = redis.call('hget', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('hset', KEYS[1], 'e', epoch)
  redis.call('del', KEYS[2])
end
redis.call('pexpire', KEYS[1], ARGV[2])
local seq = tonumber(redis.call('hget', KEYS[1], 's') or '0')
local msgs = {}
if ARGV[3] == epoch then
  local since = tonumber(ARGV[4])
  if since < seq then
    msgs = redis.call('lrange', KEYS[2], 0, seq - since - 1)
  end
end
return {seq, epoch, msgs}
`)

// encode is a message as the script is given it: the channel and the
// event, each after its length, then the data.
func encode(m realtime.Message) string {
	var sb strings.Builder
	sb.Grow(24 + len(m.Channel) + len(m.Event) + len(m.Data))
	sb.WriteString(strconv.Itoa(len(m.Channel)))
	sb.WriteByte(':')
	sb.WriteString(m.Channel)
	sb.WriteString(strconv.Itoa(len(m.Event)))
	sb.WriteByte(':')
	sb.WriteString(m.Event)
	sb.Write(m.Data)
	return sb.String()
}

// decode reads a message as the script stored and published it:
// "seq:epoch:" before what encode made.
func decode(s string) (realtime.Message, bool) {
	var m realtime.Message
	seq, s, ok := strings.Cut(s, ":")
	if !ok {
		return m, false
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return m, false
	}
	m.Seq = n
	if m.Epoch, s, ok = strings.Cut(s, ":"); !ok {
		return m, false
	}
	if m.Channel, s, ok = lengthPrefixed(s); !ok {
		return m, false
	}
	if m.Event, s, ok = lengthPrefixed(s); !ok {
		return m, false
	}
	m.Data = []byte(s)
	return m, true
}

func lengthPrefixed(s string) (string, string, bool) {
	l, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", false
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 0 || n > len(rest) {
		return "", "", false
	}
	return rest[:n], rest[n:], true
}

// Publish numbers m in its channel, keeps it in the channel's history and
// publishes it to every process, atomically.
func (b *Broker) Publish(ctx context.Context, m realtime.Message) (realtime.Position, error) {
	h := b.historyOf(m.Channel)
	res, err := publishScript.Run(ctx, b.rdb, []string{b.metaKey(m.Channel), b.historyKey(m.Channel)},
		encode(m), h.Size, h.TTL.Milliseconds(), realtime.NewEpoch(), b.pubsub, b.opts.PositionTTL.Milliseconds()).Slice()
	if err != nil {
		return realtime.Position{}, fmt.Errorf("redisbroker: publish on %s: %w", m.Channel, err)
	}
	return position(res)
}

func position(res []any) (realtime.Position, error) {
	if len(res) < 2 {
		return realtime.Position{}, errors.New("redisbroker: unexpected reply from Redis")
	}
	seq, ok1 := res[0].(int64)
	epoch, ok2 := res[1].(string)
	if !ok1 || !ok2 || seq < 0 {
		return realtime.Position{}, errors.New("redisbroker: unexpected reply from Redis")
	}
	return realtime.Position{Epoch: epoch, Seq: uint64(seq)}, nil
}

// History returns the channel's messages after since and its position,
// or realtime.ErrHistoryGone if they are no longer all kept.
func (b *Broker) History(ctx context.Context, channel string, since realtime.Position) ([]realtime.Message, realtime.Position, error) {
	res, err := historyScript.Run(ctx, b.rdb, []string{b.metaKey(channel), b.historyKey(channel)},
		realtime.NewEpoch(), b.opts.PositionTTL.Milliseconds(), since.Epoch, since.Seq).Slice()
	if err != nil {
		return nil, realtime.Position{}, fmt.Errorf("redisbroker: history of %s: %w", channel, err)
	}
	pos, err := position(res)
	if err != nil {
		return nil, pos, err
	}
	if since.Epoch == "" {
		return nil, pos, nil
	}
	if since.Epoch != pos.Epoch || since.Seq > pos.Seq {
		return nil, pos, realtime.ErrHistoryGone
	}
	want := pos.Seq - since.Seq
	list, _ := res[2].([]any)
	if uint64(len(list)) < want {
		return nil, pos, realtime.ErrHistoryGone
	}
	msgs := make([]realtime.Message, 0, want)
	for i := len(list) - 1; i >= 0; i-- { // oldest first
		s, _ := list[i].(string)
		m, ok := decode(s)
		if !ok || m.Epoch != pos.Epoch || m.Seq != since.Seq+uint64(len(msgs))+1 {
			return nil, pos, realtime.ErrHistoryGone
		}
		msgs = append(msgs, m)
	}
	return msgs, pos, nil
}

// Stats are the broker's counters, for dashboards and tests.
type Stats struct {
	// Reconnects counts the times the pub/sub connection was lost and
	// made again; each time the hubs caught up from history.
	Reconnects int64
	// Overflows counts the messages a hub's queue had no room for; each
	// time that hub caught the channel up from history.
	Overflows int64
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	return Stats{Reconnects: b.reconnects.Load(), Overflows: b.overflows.Load()}
}

// Listen hands l every message published (by any process) from now on,
// through a queue of its own, until stop is called. It returns once the
// broker is subscribed.
func (b *Broker) Listen(l realtime.Listener) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("redisbroker: listen on a closed broker")
	}
	if b.reader == nil {
		r, err := b.startReader()
		if err != nil {
			return nil, err
		}
		b.reader = r
	}
	w := &worker{l: l, queue: make(chan realtime.Message, b.opts.ListenBuffer), wake: make(chan struct{}, 1),
		missed: make(map[string]struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	b.listeners[w] = struct{}{}
	var once sync.Once
	return func() { once.Do(func() { b.unlisten(w) }) }, nil
}

// unlisten stops a listener, and the reader with the last one.
func (b *Broker) unlisten(w *worker) {
	b.mu.Lock()
	if _, ok := b.listeners[w]; !ok { // stopped by Close
		b.mu.Unlock()
		return
	}
	delete(b.listeners, w)
	var r *reader
	if len(b.listeners) == 0 {
		r, b.reader = b.reader, nil
	}
	b.mu.Unlock()
	close(w.quit)
	<-w.done
	if r != nil {
		r.stop()
	}
}

// Close stops the broker's reader and presence heartbeat. It does not
// remove this process's presence entries (hubs remove their clients' as
// they close them); what is left drops out within PresenceTTL. Close the
// hubs on it first.
func (b *Broker) Close() error {
	b.mu.Lock()
	b.closed = true
	r := b.reader
	b.reader = nil
	workers := make([]*worker, 0, len(b.listeners))
	for w := range b.listeners {
		workers = append(workers, w)
	}
	clear(b.listeners)
	b.mu.Unlock()
	for _, w := range workers {
		close(w.quit)
		<-w.done
	}
	if r != nil {
		r.stop()
	}
	b.presence.stop()
	return nil
}

// reader reads the pub/sub channel.
type reader struct {
	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

// pingEvery is how long the reader waits for a message before it checks
// the connection with a ping, so a connection that died silently is
// noticed.
const pingEvery = 15 * time.Second

// startReader subscribes and starts reading: b.mu is held.
func (b *Broker) startReader() (*reader, error) {
	ctx, cancel := context.WithCancel(context.Background())
	ps := b.rdb.Subscribe(ctx, b.pubsub)
	first, err := ps.ReceiveTimeout(ctx, 10*time.Second)
	if err == nil {
		if _, ok := first.(*redis.Subscription); !ok {
			err = fmt.Errorf("unexpected %T", first)
		}
	}
	if err != nil {
		cancel()
		ps.Close()
		return nil, fmt.Errorf("redisbroker: subscribe: %w", err)
	}
	r := &reader{ps: ps, cancel: cancel, done: make(chan struct{})}
	go b.read(ctx, r)
	return r, nil
}

func (r *reader) stop() {
	r.cancel()
	r.ps.Close()
	<-r.done
}

// read hands every message to every listener until ctx is done. go-redis
// makes the connection again after an error and subscribes again; the
// confirmation of that subscription is the sign that messages may have
// been missed meanwhile.
func (b *Broker) read(ctx context.Context, r *reader) {
	defer close(r.done)
	backoff := 10 * time.Millisecond
	for {
		msg, err := r.ps.ReceiveTimeout(ctx, pingEvery)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				_ = r.ps.Ping(ctx)
				continue
			}
			b.opts.Logger.Warn("redisbroker: pub/sub connection lost; reconnecting", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Message:
			if dm, ok := decode(m.Payload); ok {
				b.dispatch(dm)
			}
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.reconnects.Add(1)
				b.dispatchMissed()
			}
		}
	}
}

func (b *Broker) snapshot() []*worker {
	b.mu.Lock()
	defer b.mu.Unlock()
	ws := make([]*worker, 0, len(b.listeners))
	for w := range b.listeners {
		ws = append(ws, w)
	}
	return ws
}

// dispatch queues m for every listener that wants it. One that does not
// would drop it: skipping it spares a goroutine a wake-up per message,
// and keeps the wake-up of the hub that delivers m next in line (waking
// another after it would send it to the back of the run queue).
func (b *Broker) dispatch(m realtime.Message) {
	for _, w := range b.snapshot() {
		if !w.l.Wants(m.Channel) {
			continue
		}
		select {
		case w.queue <- m:
		default:
			b.overflows.Add(1)
			w.miss(m.Channel)
		}
	}
}

func (b *Broker) dispatchMissed() {
	for _, w := range b.snapshot() {
		w.miss("")
	}
}

// worker hands one listener its messages, on a goroutine of its own.
type worker struct {
	l     realtime.Listener
	queue chan realtime.Message
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}

	mu        sync.Mutex
	missed    map[string]struct{}
	missedAll bool
}

func (w *worker) miss(channel string) {
	w.mu.Lock()
	if channel == "" {
		w.missedAll = true
	} else {
		w.missed[channel] = struct{}{}
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run() {
	defer close(w.done)
	for {
		select {
		case m := <-w.queue:
			w.l.Deliver(m)
		case <-w.wake:
			w.mu.Lock()
			all, missed := w.missedAll, w.missed
			w.missedAll, w.missed = false, make(map[string]struct{})
			w.mu.Unlock()
			if all {
				w.l.Missed("")
				continue
			}
			for channel := range missed {
				w.l.Missed(channel)
			}
		case <-w.quit:
			return
		}
	}
}
