package redisbroker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit/realtime"
)

var _ realtime.Presence = (*Broker)(nil)

// Presence is kept per channel and process: a sorted set of the processes
// with members in the channel, each scored with the time (Redis's clock)
// its entries expire, and per process a hash of its connections' members
// with the same expiry. A heartbeat pushes both on every third of
// PresenceTTL; a process that dies stops pushing, and its members drop
// out of Members within PresenceTTL, before their keys expire.

func (b *Broker) presenceKey(channel string) string { return b.opts.Prefix + "presence:" + channel }

// joinScript: KEYS[1] the channel's set of processes, KEYS[2] this
// process's hash. ARGV: process, conn, member, TTL (ms).
var joinScript = redis.NewScript(`
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] ~= '' then
  redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
end
if redis.call('exists', KEYS[2]) == 1 then
  redis.call('pexpire', KEYS[2], ARGV[4])
  redis.call('zadd', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
  -- The set is every process's: a shorter TTL must not cut the others'.
  if redis.call('pttl', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('pexpire', KEYS[1], ARGV[4])
  end
end
return 1
`)

// leaveScript: KEYS as joinScript's. ARGV: process, conn.
var leaveScript = redis.NewScript(`
redis.call('hdel', KEYS[2], ARGV[2])
if redis.call('hlen', KEYS[2]) == 0 then
  redis.call('zrem', KEYS[1], ARGV[1])
end
return 1
`)

// membersScript: KEYS[1] the channel's set of processes. Returns the
// members of every process whose entries have not expired.
var membersScript = redis.NewScript(`
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
local out = {}
for _, process in ipairs(redis.call('zrange', KEYS[1], 0, -1)) do
  for _, m in ipairs(redis.call('hvals', KEYS[1] .. ':' .. process)) do
    out[#out + 1] = m
  end
end
return out
`)

// presence is this process's part: which connections it has joined where,
// for the heartbeat.
type presence struct {
	b       *Broker
	process string

	mu       sync.Mutex
	conns    map[string]map[string]struct{} // channel → conns
	stopBeat context.CancelFunc
	beating  chan struct{}
	stopped  bool
}

func (p *presence) keys(channel string) []string {
	set := p.b.presenceKey(channel)
	return []string{set, set + ":" + p.process}
}

// Join records a member of a channel's presence, for every process.
func (b *Broker) Join(ctx context.Context, channel, conn string, m realtime.Member) error {
	p := &b.presence
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return fmt.Errorf("redisbroker: join %s: the broker is closed", channel)
	}
	if p.conns[channel] == nil {
		p.conns[channel] = make(map[string]struct{})
	}
	p.conns[channel][conn] = struct{}{}
	if p.stopBeat == nil {
		ctx, cancel := context.WithCancel(context.Background())
		p.stopBeat, p.beating = cancel, make(chan struct{})
		go p.beat(ctx)
	}
	p.mu.Unlock()
	if err := joinScript.Run(ctx, b.rdb, p.keys(channel), p.process, conn, v, b.opts.PresenceTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("redisbroker: join %s: %w", channel, err)
	}
	return nil
}

// Leave forgets a connection's subscription.
func (b *Broker) Leave(ctx context.Context, channel, conn string) error {
	p := &b.presence
	p.mu.Lock()
	delete(p.conns[channel], conn)
	if len(p.conns[channel]) == 0 {
		delete(p.conns, channel)
	}
	p.mu.Unlock()
	if err := leaveScript.Run(ctx, b.rdb, p.keys(channel), p.process, conn).Err(); err != nil {
		return fmt.Errorf("redisbroker: leave %s: %w", channel, err)
	}
	return nil
}

// Members lists a channel's members on every live process, one entry per
// connection.
func (b *Broker) Members(ctx context.Context, channel string) ([]realtime.Member, error) {
	vals, err := membersScript.Run(ctx, b.rdb, []string{b.presenceKey(channel)}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redisbroker: presence of %s: %w", channel, err)
	}
	out := make([]realtime.Member, 0, len(vals))
	for _, v := range vals {
		var m realtime.Member
		if json.Unmarshal([]byte(v), &m) == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// beat pushes the expiry of this process's entries on, every third of
// PresenceTTL, until ctx is done.
func (p *presence) beat(ctx context.Context) {
	defer close(p.beating)
	ttl := p.b.opts.PresenceTTL
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.mu.Lock()
		channels := make([]string, 0, len(p.conns))
		for channel := range p.conns {
			channels = append(channels, channel)
		}
		p.mu.Unlock()
		pipe := p.b.rdb.Pipeline()
		for _, channel := range channels {
			joinScript.Run(ctx, pipe, p.keys(channel), p.process, "", "", ttl.Milliseconds())
		}
		if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
			p.b.opts.Logger.Warn("redisbroker: presence heartbeat failed", "error", err)
		}
	}
}

// stop stops the heartbeat.
func (p *presence) stop() {
	p.mu.Lock()
	p.stopped = true
	cancel, beating := p.stopBeat, p.beating
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-beating
	}
}
