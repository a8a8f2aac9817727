package realtime_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// Two hubs on one broker stand for two server processes: what either
// publishes reaches the clients of both, in one sequence per channel.
func TestHubsShareABroker(t *testing.T) {
	broker := realtime.NewLocalBroker(nil)
	a := setup(t, &realtime.Options{Broker: broker})
	b := setup(t, &realtime.Options{Broker: broker})
	onA, onB := a.dial(t, "alice"), b.dial(t, "bob")
	subscribe(t, onA, "players")
	subscribe(t, onB, "players")

	a.publish(t, "players", "updated", 1)
	b.publish(t, "players", "updated", 2)
	for _, ws := range []*apitest.WS{onA, onB} {
		for seq := uint64(1); seq <= 2; seq++ {
			if f := ws.Read(); f.Seq != seq || string(f.Data) != string(rune('0'+seq)) {
				t.Fatalf("event %d: got seq %d data %s", seq, f.Seq, f.Data)
			}
		}
	}
}

// stopCounter is a LocalBroker that counts the listeners stopped.
type stopCounter struct {
	*realtime.LocalBroker
	stopped atomic.Int32
}

func (b *stopCounter) Listen(l realtime.Listener) (func(), error) {
	stop, err := b.LocalBroker.Listen(l)
	return func() { b.stopped.Add(1); stop() }, err
}

// A hub that is closed stops listening to its broker, once, and the other
// hubs on the broker go on receiving.
func TestClosedHubStopsListening(t *testing.T) {
	broker := &stopCounter{LocalBroker: realtime.NewLocalBroker(nil)}
	a := setup(t, &realtime.Options{Broker: broker})
	b := setup(t, &realtime.Options{Broker: broker})
	onB := b.dial(t, "bob")
	subscribe(t, onB, "players")
	for range 2 {
		if err := a.hub.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := broker.stopped.Load(); n != 1 {
		t.Fatalf("listeners stopped: got %d, want 1", n)
	}
	if err := a.hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "updated", Data: 1}); err != nil {
		t.Fatal(err) // publishing still works: the broker is shared
	}
	if f := onB.Read(); f.Seq != 1 {
		t.Fatalf("got %+v", f)
	}
}

// A client that stops answering pings is dropped; one that reads (and so
// answers them) stays.
func TestDeadConnectionsAreDropped(t *testing.T) {
	e := setup(t, &realtime.Options{PingPeriod: 50 * time.Millisecond})
	alive := e.dial(t, "alice")
	e.dial(t, "bob") // never reads, so never answers a ping
	replies := make(chan apitest.Frame)
	go func() {
		defer close(replies)
		for {
			f, err := alive.ReadFrame() // answering pings on the way
			if err != nil {
				return
			}
			replies <- f
		}
	}()
	waitFor(t, "the silent client to be dropped", func() bool { return e.hub.Stats().Clients == 1 })
	// The reading client answered every ping meanwhile and is still served.
	alive.Send(`{"id":1,"route":"test","verb":"whoami"}`)
	if f := <-replies; !f.OK || string(f.Data) != "1" {
		t.Fatalf("the live client: got %+v", f)
	}
	alive.Close()
	for range replies {
	}
}
