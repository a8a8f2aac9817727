// Package realtimetest holds the scenarios every realtime.Broker must pass
// (one sequence per channel across hubs, recovery, shared tickets,
// presence), run by the tests of LocalBroker and of the Redis broker, so
// that one process and many behave the same.
package realtimetest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// Brokers makes two brokers that share channels, standing for two server
// processes, each channel's history bounded by history.
type Brokers func(t *testing.T, history realtime.HistoryOptions) (a, b realtime.Broker)

// Hub is a hub served on loopback: /ws behind apitest's callers, with the
// public channels "players" and "lobby" (which keeps presence and
// announces joins and leaves).
type Hub struct {
	*realtime.Hub
	Srv *apitest.Server
}

// Serve serves a hub with opts (its Broker set by the caller) until the
// test ends. Slow clients get a long SlowTimeout: a test's reader under
// -race on a busy machine is slow, and that is not what is tested.
func Serve(t testing.TB, opts realtime.Options) *Hub {
	t.Helper()
	if opts.SlowTimeout == 0 {
		opts.SlowTimeout = 30 * time.Second
	}
	hub, err := realtime.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	hub.Channel("players", realtime.Public)
	hub.ChannelWith("lobby", realtime.Public, &realtime.ChannelOptions{Presence: true, JoinLeave: true})
	mux := http.NewServeMux()
	mux.Handle("/ws", apitest.WithCallers(hub))
	srv := apitest.Serve(t, mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &Hub{Hub: hub, Srv: srv}
}

// Dial connects as the named caller.
func (h *Hub) Dial(t testing.TB, caller string) *apitest.WS {
	t.Helper()
	return apitest.Dial(t, h.Srv, "/ws", apitest.As(caller))
}

// Publish publishes n events "moved" with data {"n": first+i}.
func (h *Hub) Publish(t testing.TB, channel string, first, n int) {
	t.Helper()
	for i := range n {
		if err := h.Hub.Publish(context.Background(), gamekit.Event{Channel: channel, Name: "moved", Data: map[string]int{"n": first + i}}); err != nil {
			t.Error(err)
			return
		}
	}
}

// Subscribe subscribes ws to channel, from since if not nil, and returns
// the reply's position.
func Subscribe(t testing.TB, ws *apitest.WS, channel string, since *apitest.FramePosition) apitest.FramePosition {
	t.Helper()
	req := map[string]any{"id": "sub", "verb": "subscribe", "channel": channel}
	if since != nil {
		req["since"] = map[string]any{"epoch": since.Epoch, "seq": since.Seq}
	}
	f := ws.Call(req)
	if !f.OK {
		t.Fatalf("subscribe %s: %+v", channel, f.Error)
	}
	var pos apitest.FramePosition
	if err := json.Unmarshal(f.Data, &pos); err != nil || pos.Epoch == "" {
		t.Fatalf("subscribe %s: reply data %s, want a position", channel, f.Data)
	}
	return pos
}

// ReadSeqs reads events of channel from ws until seq reaches until, and
// fails the test on a lost notice or an event out of sequence after
// from. It returns the events' data in order.
func ReadSeqs(t testing.TB, ws *apitest.WS, channel string, from, until uint64) []string {
	t.Helper()
	data := make([]string, 0, until-from)
	for seq := from; seq < until; {
		f := ws.Read()
		if f.Lost != nil {
			t.Fatalf("after seq %d: lost notice %+v", seq, *f.Lost)
		}
		if f.Channel != channel {
			continue
		}
		if f.Seq != seq+1 {
			t.Fatalf("after seq %d: got seq %d (%s)", seq, f.Seq, f.Data)
		}
		seq = f.Seq
		data = append(data, string(f.Data))
	}
	return data
}

// Sequence has publishers on each of two hubs write events to one channel
// at once, and checks that clients on both hubs read the one sequence
// 1…N, the same events in the same order, each publisher's in the order it
// published them.
func Sequence(t *testing.T, brokers Brokers, publishers, events int) {
	ba, bb := brokers(t, realtime.HistoryOptions{})
	hubs := []*Hub{Serve(t, realtime.Options{Broker: ba}), Serve(t, realtime.Options{Broker: bb})}
	var clients []*apitest.WS
	var starts []uint64
	for _, h := range hubs {
		for _, caller := range []string{"alice", "bob"} {
			ws := h.Dial(t, caller)
			clients = append(clients, ws)
			starts = append(starts, Subscribe(t, ws, "players", nil).Seq)
		}
	}
	total := uint64(2 * publishers * events)

	got := make([][]string, len(clients))
	var readers sync.WaitGroup
	for i, ws := range clients {
		readers.Go(func() { got[i] = ReadSeqs(t, ws, "players", starts[i], starts[i]+total) })
	}
	var pubs sync.WaitGroup
	for i, h := range hubs {
		for p := range publishers {
			id := i*publishers + p
			pubs.Go(func() {
				for n := range events {
					ev := gamekit.Event{Channel: "players", Name: "moved", Data: [2]int{id, n}}
					if err := h.Hub.Publish(context.Background(), ev); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	pubs.Wait()
	readers.Wait()
	if t.Failed() {
		return
	}
	for i := range clients {
		if starts[i] != starts[0] {
			t.Fatalf("client %d subscribed at %d, client 0 at %d: nothing was published yet", i, starts[i], starts[0])
		}
		for k := range got[i] {
			if got[i][k] != got[0][k] {
				t.Fatalf("seq %d: client %d read %s, client 0 read %s", starts[0]+uint64(k)+1, i, got[i][k], got[0][k])
			}
		}
	}
	next := make([]int, 2*publishers)
	for k, d := range got[0] {
		var ev [2]int
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatal(err)
		}
		if ev[1] != next[ev[0]] {
			t.Fatalf("seq %d: publisher %d's event %d, want its %d", k+1, ev[0], ev[1], next[ev[0]])
		}
		next[ev[0]]++
	}
}

// Recovery checks resuming with "since": a client that stopped at k and
// resubscribes on the other hub while publishing goes on reads exactly
// k+1, k+2, ... with "recovered":true; past the history it is told
// "recovered":false with the position to go on from; and after the
// channel's history is lost (forget, or for a broker that cannot lose it,
// a position of an epoch that never was) it is told "recovered":false
// with the new epoch.
func Recovery(t *testing.T, brokers Brokers, forget func(t *testing.T, channel string)) {
	t.Run("while publishing", func(t *testing.T) {
		ba, bb := brokers(t, realtime.HistoryOptions{Size: 1000})
		a, b := Serve(t, realtime.Options{Broker: ba}), Serve(t, realtime.Options{Broker: bb})
		first := a.Dial(t, "alice")
		start := Subscribe(t, first, "players", nil)
		const k, m, more = 30, 40, 300
		a.Publish(t, "players", 1, k)
		ReadSeqs(t, first, "players", start.Seq, start.Seq+k)
		first.Close()
		stopped := apitest.FramePosition{Epoch: start.Epoch, Seq: start.Seq + k}

		b.Publish(t, "players", k+1, m)
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.Publish(t, "players", k+m+1, more)
		}()
		again := b.Dial(t, "alice")
		pos := Subscribe(t, again, "players", &stopped)
		if pos.Recovered == nil || !*pos.Recovered || pos.Epoch != start.Epoch || pos.Seq < stopped.Seq+m {
			t.Fatalf("resubscribed from %+v: got %+v, want recovered at %d or later", stopped, pos, stopped.Seq+m)
		}
		data := ReadSeqs(t, again, "players", stopped.Seq, stopped.Seq+m+more)
		for i, d := range data {
			if want := `{"n":` + itoa(k+1+i) + `}`; d != want {
				t.Fatalf("event %d after resuming: got %s, want %s", i+1, d, want)
			}
		}
		<-done
		if s := b.Stats(); s.Recovered != 1 || s.Lost != 0 {
			t.Errorf("stats: got %+v, want 1 recovered, 0 lost", s)
		}

		// Resuming where the channel is: nothing to read, then live events.
		now := apitest.FramePosition{Epoch: start.Epoch, Seq: stopped.Seq + m + more}
		third := a.Dial(t, "bob")
		if pos := Subscribe(t, third, "players", &now); pos.Recovered == nil || !*pos.Recovered || pos.Seq != now.Seq {
			t.Fatalf("resubscribed at the top %+v: got %+v", now, pos)
		}
		b.Publish(t, "players", 0, 1)
		ReadSeqs(t, third, "players", now.Seq, now.Seq+1)
	})

	t.Run("past the history", func(t *testing.T) {
		ba, bb := brokers(t, realtime.HistoryOptions{Size: 10})
		a, b := Serve(t, realtime.Options{Broker: ba}), Serve(t, realtime.Options{Broker: bb})
		first := a.Dial(t, "alice")
		start := Subscribe(t, first, "players", nil)
		a.Publish(t, "players", 1, 5)
		ReadSeqs(t, first, "players", start.Seq, start.Seq+5)
		first.Close()
		stopped := apitest.FramePosition{Epoch: start.Epoch, Seq: start.Seq + 5}
		a.Publish(t, "players", 6, 20) // 20 > 10 kept

		again := b.Dial(t, "alice")
		pos := Subscribe(t, again, "players", &stopped)
		if pos.Recovered == nil || *pos.Recovered || pos.Epoch != start.Epoch || pos.Seq != stopped.Seq+20 {
			t.Fatalf("resubscribed from %+v past the history: got %+v, want recovered:false at %d", stopped, pos, stopped.Seq+20)
		}
		a.Publish(t, "players", 26, 1)
		ReadSeqs(t, again, "players", pos.Seq, pos.Seq+1)
		if s := b.Stats(); s.Unrecovered != 1 {
			t.Errorf("stats: got %+v, want 1 unrecovered", s)
		}
	})

	t.Run("history lost", func(t *testing.T) {
		ba, bb := brokers(t, realtime.HistoryOptions{})
		a, b := Serve(t, realtime.Options{Broker: ba}), Serve(t, realtime.Options{Broker: bb})
		first := a.Dial(t, "alice")
		start := Subscribe(t, first, "players", nil)
		a.Publish(t, "players", 1, 5)
		ReadSeqs(t, first, "players", start.Seq, start.Seq+5)
		first.Close()
		stopped := apitest.FramePosition{Epoch: start.Epoch, Seq: start.Seq + 5}
		if forget != nil {
			forget(t, "players")
		} else {
			stopped.Epoch = "0" + stopped.Epoch // an epoch that never was
		}

		again := b.Dial(t, "alice")
		pos := Subscribe(t, again, "players", &stopped)
		if pos.Recovered == nil || *pos.Recovered || pos.Epoch == stopped.Epoch {
			t.Fatalf("resubscribed from %+v after the history was lost: got %+v, want recovered:false in a new epoch", stopped, pos)
		}
		if forget == nil && pos.Epoch != start.Epoch {
			t.Fatalf("got epoch %s, want the broker's %s", pos.Epoch, start.Epoch)
		}
		a.Publish(t, "players", 6, 2)
		ReadSeqs(t, again, "players", pos.Seq, pos.Seq+2)
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Clock is a clock that moves only when told, shared by hubs.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// upgrade tries to connect to h with a ticket and returns the HTTP status.
func (h *Hub) upgrade(ticket string) (int, error) {
	url := "ws" + strings.TrimPrefix(h.Srv.URL, "http") + "/ws?ticket=" + ticket
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if ws != nil {
		ws.Close()
	}
	if resp == nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// Tickets checks that hubs sharing a broker share tickets: a ticket
// issued on A and redeemed at the same moment on A and B upgrades exactly
// one connection, and an expired ticket fails on both.
func Tickets(t *testing.T, brokers Brokers) {
	ba, bb := brokers(t, realtime.HistoryOptions{})
	clock := &Clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	a := Serve(t, realtime.Options{Broker: ba, Now: clock.Now, MaxConnsPerUser: 1000, MaxConnsPerAddress: 1000, MaxTicketsPerUser: 1000})
	b := Serve(t, realtime.Options{Broker: bb, Now: clock.Now, MaxConnsPerUser: 1000, MaxConnsPerAddress: 1000, MaxTicketsPerUser: 1000})
	alice := apitest.Callers["alice"]
	ctx := context.Background()

	for round := range 20 {
		ticket, err := a.IssueTicket(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, h := range []*Hub{a, b} {
			wg.Go(func() {
				status, err := h.upgrade(ticket.Ticket)
				if err != nil {
					t.Error(err)
				}
				statuses[i] = status
			})
		}
		wg.Wait()
		upgraded := 0
		for _, s := range statuses {
			switch s {
			case http.StatusSwitchingProtocols:
				upgraded++
			case http.StatusUnauthorized:
			default:
				t.Fatalf("round %d: got status %d", round, s)
			}
		}
		if upgraded != 1 {
			t.Fatalf("round %d: a ticket redeemed at once on A and B upgraded %d connections (%v), want 1", round, upgraded, statuses)
		}
	}

	// Issued on one, good on the other.
	ticket, err := b.IssueTicket(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := a.upgrade(ticket.Ticket); status != http.StatusSwitchingProtocols {
		t.Fatalf("a ticket issued on B, on A: got %d", status)
	}

	// Expired: refused on both.
	first, _ := a.IssueTicket(ctx, alice)
	second, _ := a.IssueTicket(ctx, alice)
	clock.Advance(realtime.DefaultTicketLifetime)
	if status, _ := a.upgrade(first.Ticket); status != http.StatusUnauthorized {
		t.Errorf("an expired ticket on A: got %d, want 401", status)
	}
	if status, _ := b.upgrade(second.Ticket); status != http.StatusUnauthorized {
		t.Errorf("an expired ticket on B: got %d, want 401", status)
	}
}

// Members asks ws's hub who is in channel.
func Members(t testing.TB, ws *apitest.WS, channel string) string {
	t.Helper()
	f := ws.Call(map[string]any{"id": "presence", "verb": "presence", "channel": channel})
	if !f.OK {
		t.Fatalf("presence %s: %+v", channel, f.Error)
	}
	return string(f.Data)
}

// ReadEvent reads ws's next event on channel, skipping others.
func ReadEvent(t testing.TB, ws *apitest.WS, channel string) apitest.Frame {
	t.Helper()
	for {
		if f := ws.Read(); f.Channel == channel {
			return f
		}
	}
}

// Presence checks that the presence verb lists who is subscribed on
// either hub, each user once, and that joins and leaves are announced.
func Presence(t *testing.T, brokers Brokers) {
	ba, bb := brokers(t, realtime.HistoryOptions{})
	a, b := Serve(t, realtime.Options{Broker: ba}), Serve(t, realtime.Options{Broker: bb})
	watcher := a.Dial(t, "admin")
	Subscribe(t, watcher, "lobby", nil)
	if got, want := Members(t, watcher, "lobby"), `[{"id":3,"username":"admin"}]`; got != want {
		t.Fatalf("presence: got %s, want %s", got, want)
	}

	alice1, alice2, bob := a.Dial(t, "alice"), b.Dial(t, "alice"), b.Dial(t, "bob")
	for _, ws := range []*apitest.WS{alice1, alice2, bob} {
		Subscribe(t, ws, "lobby", nil)
	}
	Subscribe(t, alice1, "lobby", nil) // again: no second join
	// (Calls on watcher skip the events before their reply: read those
	// first. The watcher's own join may come before or after its
	// subscribe's reply, as the broker delivers it: it is not counted.)
	joins := map[string]int{}
	for n := 0; n < 3; {
		f := ReadEvent(t, watcher, "lobby")
		if f.Event != "join" {
			t.Fatalf("got %+v, want a join", f)
		}
		if string(f.Data) != `{"id":3,"username":"admin"}` {
			joins[string(f.Data)]++
			n++
		}
	}
	if joins[`{"id":1,"username":"alice"}`] != 2 || joins[`{"id":2,"username":"bob"}`] != 1 {
		t.Fatalf("joins: got %v", joins)
	}

	want := `[{"id":1,"username":"alice"},{"id":2,"username":"bob"},{"id":3,"username":"admin"}]`
	for _, ws := range []*apitest.WS{watcher, bob} {
		if got := Members(t, ws, "lobby"); got != want {
			t.Fatalf("presence: got %s, want %s", got, want)
		}
	}

	// Leaving: by unsubscribing, and by disconnecting.
	if f := bob.Call(`{"id":1,"verb":"unsubscribe","channel":"lobby"}`); !f.OK {
		t.Fatalf("unsubscribe: %+v", f.Error)
	}
	alice2.Close()
	leaves := map[string]int{}
	for range 2 {
		f := ReadEvent(t, watcher, "lobby")
		if f.Event != "leave" {
			t.Fatalf("got %+v, want a leave", f)
		}
		leaves[string(f.Data)]++
	}
	if leaves[`{"id":1,"username":"alice"}`] != 1 || leaves[`{"id":2,"username":"bob"}`] != 1 {
		t.Fatalf("leaves: got %v", leaves)
	}
	if got, want := Members(t, watcher, "lobby"), `[{"id":1,"username":"alice"},{"id":3,"username":"admin"}]`; got != want {
		t.Fatalf("presence after leaving: got %s, want %s", got, want)
	}

	// Only channels that keep presence answer, and only to who may
	// subscribe.
	if f := watcher.Call(`{"id":2,"verb":"presence","channel":"players"}`); f.OK || f.Error.Code != realtime.CodeNotFound {
		t.Errorf("presence of players: got %+v", f)
	}
	if f := watcher.Call(`{"id":3,"verb":"presence","channel":"user.1"}`); f.OK || f.Error.Code != realtime.CodeForbidden {
		t.Errorf("presence of another's channel: got %+v", f)
	}
}
