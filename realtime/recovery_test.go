package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/internal/realtimetest"
	"github.com/gamekit/gamekit/realtime"
)

// localBrokers stands two hubs on one LocalBroker for two processes.
func localBrokers(_ *testing.T, history realtime.HistoryOptions) (realtime.Broker, realtime.Broker) {
	b := realtime.NewLocalBroker(&realtime.LocalBrokerOptions{History: history})
	return b, b
}

func TestLocalBrokerSequence(t *testing.T) {
	realtimetest.Sequence(t, localBrokers, 4, 1000)
}

func TestLocalBrokerRecovery(t *testing.T) {
	realtimetest.Recovery(t, localBrokers, nil)
}

// dropping is a LocalBroker whose listeners are not handed the messages
// drop picks, as if a broker's connection had dropped them.
type dropping struct {
	*realtime.LocalBroker
	mu   sync.Mutex
	drop func(realtime.Message) bool
}

func (b *dropping) Listen(l realtime.Listener) (func(), error) {
	return b.LocalBroker.Listen(droppingListener{l, b})
}

type droppingListener struct {
	realtime.Listener
	b *dropping
}

func (l droppingListener) Deliver(m realtime.Message) {
	l.b.mu.Lock()
	drop := l.b.drop(m)
	l.b.mu.Unlock()
	if !drop {
		l.Listener.Deliver(m)
	}
}

// A message the hub was not handed is read from the history before the
// next one: the client sees no gap.
func TestGapIsFilledFromHistory(t *testing.T) {
	b := &dropping{LocalBroker: realtime.NewLocalBroker(nil), drop: func(m realtime.Message) bool { return m.Seq == 3 || m.Seq == 4 }}
	e := setup(t, &realtime.Options{Broker: b})
	alice := e.dial(t, "alice")
	pos := realtimetest.Subscribe(t, alice, "players", nil)
	for range 6 {
		e.publish(t, "players", "moved", 1)
	}
	realtimetest.ReadSeqs(t, alice, "players", pos.Seq, pos.Seq+6)
	if s := e.hub.Stats(); s.Lost != 0 {
		t.Errorf("stats: got %+v, want nothing lost", s)
	}
}

// A gap the history no longer covers reaches the client as a lost notice
// naming the position after which events go on; then they do.
func TestUnfillableGapIsALostNotice(t *testing.T) {
	b := &dropping{
		LocalBroker: realtime.NewLocalBroker(&realtime.LocalBrokerOptions{History: realtime.HistoryOptions{Size: 1}}),
		drop:        func(m realtime.Message) bool { return m.Seq == 2 || m.Seq == 3 },
	}
	e := setup(t, &realtime.Options{Broker: b})
	alice := e.dial(t, "alice")
	pos := realtimetest.Subscribe(t, alice, "players", nil)
	for range 5 {
		e.publish(t, "players", "moved", 1)
	}
	var got []apitest.Frame
	for len(got) < 4 {
		got = append(got, alice.Read())
	}
	if got[0].Seq != 1 || got[1].Lost == nil || got[1].Lost.Seq != 3 || got[1].Lost.Epoch != pos.Epoch || got[1].Channel != "players" ||
		got[2].Seq != 4 || got[3].Seq != 5 {
		t.Fatalf("got %+v %+v %+v %+v, want seq 1, lost up to 3, seq 4, 5", got[0], got[1], got[2], got[3])
	}
	if s := e.hub.Stats(); s.Lost != 1 {
		t.Errorf("stats: got %+v, want 1 lost", s)
	}
}

// The hub's own clients: a Missed from the broker with nothing missing
// changes nothing, and one where the history is gone is a lost notice.
func TestMissedCatchesUp(t *testing.T) {
	var listener realtime.Listener
	b := &capturing{LocalBroker: realtime.NewLocalBroker(&realtime.LocalBrokerOptions{History: realtime.HistoryOptions{Size: 2}}), got: &listener}
	e := setup(t, &realtime.Options{Broker: b})
	alice := e.dial(t, "alice")
	pos := realtimetest.Subscribe(t, alice, "players", nil)
	e.publish(t, "players", "moved", 1)
	realtimetest.ReadSeqs(t, alice, "players", pos.Seq, pos.Seq+1)
	listener.Missed("")
	e.publish(t, "players", "moved", 2)
	realtimetest.ReadSeqs(t, alice, "players", pos.Seq+1, pos.Seq+2)

	// Three published while the hub was not listening: two are kept.
	b.mute = true
	for range 3 {
		e.publish(t, "players", "moved", 3)
	}
	b.mute = false
	listener.Missed("players")
	if f := alice.Read(); f.Lost == nil || f.Lost.Seq != 5 {
		t.Fatalf("got %+v, want lost up to 5", f)
	}
	e.publish(t, "players", "moved", 4)
	realtimetest.ReadSeqs(t, alice, "players", 5, 6)
}

// capturing is a LocalBroker that keeps the hub's listener, and hands it
// nothing while muted.
type capturing struct {
	*realtime.LocalBroker
	got  *realtime.Listener
	mute bool
}

func (b *capturing) Listen(l realtime.Listener) (func(), error) {
	*b.got = l
	return b.LocalBroker.Listen(mutable{l, b})
}

type mutable struct {
	realtime.Listener
	b *capturing
}

func (l mutable) Deliver(m realtime.Message) {
	if !l.b.mute {
		l.Listener.Deliver(m)
	}
}

// A broker may hand a hub only the messages of channels it wants (see
// Listener.Wants). A hub wants a channel from before it reads the
// channel's position to subscribe, so a subscriber misses nothing, and
// no longer once the last subscriber has left.
func TestHubWantsWhatItDelivers(t *testing.T) {
	b := &asking{LocalBroker: realtime.NewLocalBroker(nil)}
	e := setup(t, &realtime.Options{Broker: b})
	l := b.listener()
	if l.Wants("players") {
		t.Error("players wanted before anyone subscribed")
	}
	alice := e.dial(t, "alice")
	pos := realtimetest.Subscribe(t, alice, "players", nil)
	if got := b.wantedAtRead(); len(got) != 1 || !got[0] {
		t.Errorf("players wanted when its position was read: got %v, want [true]", got)
	}
	for range 3 {
		e.publish(t, "players", "moved", 1)
	}
	realtimetest.ReadSeqs(t, alice, "players", pos.Seq, pos.Seq+3)
	if f := alice.Call(map[string]any{"id": 2, "verb": "unsubscribe", "channel": "players"}); !f.OK {
		t.Fatalf("unsubscribe: %+v", f.Error)
	}
	if l.Wants("players") {
		t.Error("players wanted after its last subscriber left")
	}
}

// asking is a LocalBroker that hands each listener only the messages of
// channels it wants, as a broker with a queue per listener does, and
// notes at every read of a position whether the last listener wanted
// the channel then.
type asking struct {
	*realtime.LocalBroker
	mu     sync.Mutex
	last   realtime.Listener
	wanted []bool
}

func (b *asking) Listen(l realtime.Listener) (func(), error) {
	b.mu.Lock()
	b.last = l
	b.mu.Unlock()
	return b.LocalBroker.Listen(wanting{l})
}

func (b *asking) History(ctx context.Context, channel string, since realtime.Position) ([]realtime.Message, realtime.Position, error) {
	b.mu.Lock()
	b.wanted = append(b.wanted, b.last.Wants(channel))
	b.mu.Unlock()
	return b.LocalBroker.History(ctx, channel, since)
}

func (b *asking) listener() realtime.Listener {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

func (b *asking) wantedAtRead() []bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bool(nil), b.wanted...)
}

// wanting hands a listener only the messages it wants.
type wanting struct{ realtime.Listener }

func (l wanting) Deliver(m realtime.Message) {
	if l.Wants(m.Channel) {
		l.Listener.Deliver(m)
	}
}

func TestLocalBrokerTickets(t *testing.T) {
	realtimetest.Tickets(t, localBrokers)
}

func TestLocalBrokerPresence(t *testing.T) {
	realtimetest.Presence(t, localBrokers)
}

// A LocalBroker's sweep walks only the channels holding history, and a
// channel whose history has all expired leaves it: with one quiet channel
// per user, a publish does not pay for them all.
func TestSweepWalksOnlyHistory(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	b := realtime.NewLocalBroker(&realtime.LocalBrokerOptions{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}})
	ctx := context.Background()
	publish := func(channel string) realtime.Position {
		t.Helper()
		pos, err := b.Publish(ctx, realtime.Message{Channel: channel, Event: "moved", Data: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return pos
	}
	first := publish("user.0")
	for i := 1; i < 100; i++ {
		publish(fmt.Sprintf("user.%d", i))
	}
	if got := b.Holding(); got != 100 {
		t.Fatalf("channels holding history: got %d, want 100", got)
	}
	mu.Lock()
	now = now.Add(realtime.DefaultHistoryTTL)
	mu.Unlock()
	for range 1000 { // the 1,000th publish since the last sweep sweeps
		publish("lobby")
	}
	if got := b.Holding(); got != 1 {
		t.Errorf("after the sweep, channels holding history: got %d, want only lobby", got)
	}
	// The expired message is gone; the channel goes on from where it was.
	if _, _, err := b.History(ctx, "user.0", realtime.Position{Epoch: first.Epoch}); !errors.Is(err, realtime.ErrHistoryGone) {
		t.Errorf("history of user.0 after expiry: got %v, want ErrHistoryGone", err)
	}
	if pos := publish("user.0"); pos.Seq != 2 {
		t.Errorf("user.0's next seq: got %d, want 2", pos.Seq)
	}
	if got := b.Holding(); got != 2 {
		t.Errorf("after publishing to user.0 again: got %d holding history, want 2", got)
	}
}
