package realtime_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

// Stats count subscriptions, one per client and channel, and forget them
// when a client unsubscribes or leaves.
func TestStatsSubscriptions(t *testing.T) {
	e := setup(t, nil)
	alice, bob := e.dial(t, "alice"), e.dial(t, "bob")
	subscribe(t, alice, "players")
	subscribe(t, alice, "user.1")
	subscribe(t, bob, "players")
	if s := e.hub.Stats(); s.Clients != 2 || s.Channels != 2 || s.Subscriptions != 3 {
		t.Errorf("got %+v, want 2 clients, 2 channels, 3 subscriptions", s)
	}
	if f := alice.Call(map[string]any{"id": 9, "verb": "unsubscribe", "channel": "players"}); !f.OK {
		t.Fatalf("unsubscribe: %+v", f.Error)
	}
	bob.Close()
	waitFor(t, "bob to leave", func() bool { return e.hub.Stats().Clients == 1 })
	if s := e.hub.Stats(); s.Channels != 1 || s.Subscriptions != 1 {
		t.Errorf("got %+v, want 1 channel, 1 subscription", s)
	}
}

// ObservePublish hears of every publish, with its time and outcome.
func TestObservePublish(t *testing.T) {
	var (
		mu        sync.Mutex
		durations []time.Duration
		errs      []error
	)
	e := setup(t, &realtime.Options{ObservePublish: func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		durations, errs = append(durations, d), append(errs, err)
	}})
	ws := e.dial(t, "alice")
	subscribe(t, ws, "players")
	e.publish(t, "players", "moved", 1)
	ws.Read()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.hub.Publish(ctx, gamekit.Event{Channel: "players", Name: "moved", Data: 2}); err == nil {
		t.Fatal("publish with a cancelled context: no error")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(durations) != 2 || errs[0] != nil || errs[1] == nil || durations[0] <= 0 {
		t.Errorf("got %v %v, want 2 publishes observed, a positive duration, then the failure", durations, errs)
	}
}
