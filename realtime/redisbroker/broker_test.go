package redisbroker_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/realtimetest"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

// Each option out of range is refused at New, by name, as every gamekit
// constructor refuses one; New talks to no Redis to do it.
func TestOptionsValidation(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr()})
	t.Cleanup(func() { rdb.Close() })
	for _, tc := range []struct {
		opts   redisbroker.Options
		option string
	}{
		{redisbroker.Options{PositionTTL: -time.Second}, "PositionTTL"},
		{redisbroker.Options{ListenBuffer: -1}, "ListenBuffer"},
		{redisbroker.Options{PresenceTTL: -time.Second}, "PresenceTTL"},
		{redisbroker.Options{History: realtime.HistoryOptions{TTL: -time.Second}}, "History.TTL"},
		{redisbroker.Options{Histories: map[string]realtime.HistoryOptions{"user.*": {TTL: -time.Second}}}, `Histories["user.*"].TTL`},
	} {
		_, err := redisbroker.New(rdb, &tc.opts)
		var bad *gamekit.OptionError
		if !errors.As(err, &bad) || bad.Option != "redisbroker: Options."+tc.option {
			t.Errorf("options %+v: got %v, want an OptionError for %s", tc.opts, err, tc.option)
		}
	}
	// A negative History.Size is valid: it keeps no history.
	b, err := redisbroker.New(rdb, &redisbroker.Options{History: realtime.HistoryOptions{Size: -1}})
	if err != nil {
		t.Fatalf("History.Size -1: %v", err)
	}
	b.Close()
}

// Two hubs on two brokers stand for two processes: 4 publishers on each
// write 5,000 events to one channel, and clients on both read the one
// sequence 1…40,000.
func TestOneSequenceAcrossProcesses(t *testing.T) {
	c := newCluster(t)
	realtimetest.Sequence(t, c.brokers, 4, 5000)
}

func TestRecovery(t *testing.T) {
	c := newCluster(t)
	realtimetest.Recovery(t, c.brokers, func(t *testing.T, _ string) { c.forget(t) })
}

// Killing the broker's pub/sub connection while events flow loses none
// silently: the hub catches up from history once the broker is subscribed
// again, or tells the client what it lost.
func TestPubSubConnectionKilled(t *testing.T) {
	c := newCluster(t)
	name := "gamekit-test-" + c.prefix[len("gamekit-test:"):len(c.prefix)-1]
	a := realtimetest.Serve(t, realtime.Options{Broker: c.broker(t, "", redisbroker.Options{})})
	bb := c.broker(t, name, redisbroker.Options{})
	b := realtimetest.Serve(t, realtime.Options{Broker: bb})
	ws := b.Dial(t, "alice")
	start := realtimetest.Subscribe(t, ws, "players", nil)

	var published atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := a.Hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "moved", Data: published.Load()}); err != nil {
				t.Error(err)
				return
			}
			published.Add(1)
		}
	}()

	// Read a while, kill B's pub/sub connection (only this test's: other
	// users of this Redis keep theirs), and read on until B has
	// subscribed again and a few hundred more events were published.
	seq, lost := start.Seq, 0
	read := func(until func() bool) {
		for !until() {
			f := ws.Read()
			switch {
			case f.Lost != nil:
				if f.Lost.Seq < seq {
					t.Fatalf("lost notice %+v behind seq %d", *f.Lost, seq)
				}
				lost++
				seq = f.Lost.Seq
			case f.Channel == "players":
				if f.Seq != seq+1 {
					t.Fatalf("after seq %d: got %d without a lost notice", seq, f.Seq)
				}
				seq = f.Seq
			}
		}
	}
	read(func() bool { return seq >= start.Seq+200 })
	rdb := c.client(t, "")
	killed := 0
	for _, line := range strings.Split(rdb.ClientList(context.Background()).Val(), "\n") {
		if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " flags=P ") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			if err := rdb.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
				t.Fatal(err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d pub/sub connections, want 1", killed)
	}
	var target uint64
	read(func() bool {
		if target == 0 && bb.Stats().Reconnects > 0 {
			target = start.Seq + uint64(published.Load()) + 300
		}
		return target != 0 && seq >= target
	})
	close(stop)
	<-done
	t.Logf("read to seq %d through a reconnect; %d lost notices", seq, lost)
}

// A hub whose queue overflows catches the channel up from history.
func TestSlowHubCatchesUp(t *testing.T) {
	c := newCluster(t)
	bb := c.broker(t, "", redisbroker.Options{ListenBuffer: 1})
	a := realtimetest.Serve(t, realtime.Options{Broker: c.broker(t, "", redisbroker.Options{})})
	b := realtimetest.Serve(t, realtime.Options{Broker: bb})
	ws := b.Dial(t, "alice")
	start := realtimetest.Subscribe(t, ws, "players", nil)
	const n = 150 // within the history
	a.Publish(t, "players", 0, n)
	realtimetest.ReadSeqs(t, ws, "players", start.Seq, start.Seq+n)
	t.Logf("%d overflows", bb.Stats().Overflows)
}

// A ticket minted on one process redeems once, on any.
func TestTickets(t *testing.T) {
	c := newCluster(t)
	realtimetest.Tickets(t, c.brokers)
}

func TestPresence(t *testing.T) {
	c := newCluster(t)
	realtimetest.Presence(t, c.brokers)
}

// A process that stops without removing its presence (here: its broker
// stops its heartbeat, its hub never says goodbye) drops out of every
// other process's presence within PresenceTTL.
func TestPresenceOfADeadProcess(t *testing.T) {
	c := newCluster(t)
	a := realtimetest.Serve(t, realtime.Options{Broker: c.broker(t, "", redisbroker.Options{})})
	dying := c.broker(t, "", redisbroker.Options{PresenceTTL: time.Second})
	b := realtimetest.Serve(t, realtime.Options{Broker: dying})
	alice, bob := a.Dial(t, "alice"), b.Dial(t, "bob")
	realtimetest.Subscribe(t, alice, "lobby", nil)
	realtimetest.Subscribe(t, bob, "lobby", nil)
	// Bob's join is announced once his presence is recorded.
	for string(realtimetest.ReadEvent(t, alice, "lobby").Data) != `{"id":2,"username":"bob"}` {
	}
	both := `[{"id":1,"username":"alice"},{"id":2,"username":"bob"}]`
	if got := realtimetest.Members(t, alice, "lobby"); got != both {
		t.Fatalf("presence: got %s, want %s", got, both)
	}
	// Heartbeats keep bob listed past the TTL while his process lives.
	time.Sleep(1500 * time.Millisecond)
	if got := realtimetest.Members(t, alice, "lobby"); got != both {
		t.Fatalf("presence with heartbeats: got %s, want %s", got, both)
	}
	dying.Close()
	deadline := time.Now().Add(30 * time.Second)
	for realtimetest.Members(t, alice, "lobby") != `[{"id":1,"username":"alice"}]` {
		if time.Now().After(deadline) {
			t.Fatal("bob is still present long after his process stopped")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
