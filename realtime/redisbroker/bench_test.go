package redisbroker_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

// The benchmarks compare the Redis broker with LocalBroker in one run
// (the machine's other load moves every figure; read the ratios):
//
//	go test -run '^$' -bench . -benchtime 2000x ./realtime/redisbroker/
//
// Clients run in this process (realtime's benchmarks run theirs in a
// child process, for 10,000 clients; 1,000 fit here), so they share the
// CPU with the hubs alike for both brokers.

// benchHub serves a hub on loopback with the "players" channel, behind
// "Authorization: User <id>".
func benchHub(b *testing.B, broker realtime.Broker) string {
	hub, err := realtime.New(&realtime.Options{Broker: broker, MaxConnsPerAddress: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	hub.Channel("players", realtime.Public)
	srv := apitest.Serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.Header.Get("Authorization"), "User "); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			r = r.WithContext(gamekit.WithIdentity(r.Context(), gamekit.Identity{UserID: n, Username: "user" + id}))
		}
		hub.ServeHTTP(w, r)
	}))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hub.Close(ctx)
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// benchClients are websocket clients subscribed to "players" that count
// what they read: event k is complete when every client has read it.
type benchClients struct {
	n       int
	counts  []atomic.Int32 // by k
	done    atomic.Int64   // events 0..done-1 are complete
	mu      sync.Mutex
	latency []time.Duration
	lost    atomic.Int64
	wake    chan struct{}
	conns   []*websocket.Conn
	readers sync.WaitGroup
}

func dialBenchClients(b *testing.B, urls []string, clients, events int) *benchClients {
	bc := &benchClients{n: clients, counts: make([]atomic.Int32, events), wake: make(chan struct{}, 1)}
	dialer := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	for i := range clients {
		header := http.Header{"Authorization": {"User " + strconv.Itoa(i+1)}}
		c, _, err := dialer.Dial(urls[i%len(urls)], header)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"verb":"subscribe","channel":"players"}`)); err != nil {
			b.Fatal(err)
		}
		if _, reply, err := c.ReadMessage(); err != nil || !bytes.Contains(reply, []byte(`"ok":true`)) {
			b.Fatalf("subscribe: %s %v", reply, err)
		}
		bc.conns = append(bc.conns, c)
	}
	for _, c := range bc.conns {
		bc.readers.Go(func() { bc.read(c) })
	}
	b.Cleanup(func() {
		for _, c := range bc.conns {
			c.Close()
		}
		bc.readers.Wait()
	})
	return bc
}

func (bc *benchClients) read(c *websocket.Conn) {
	var lat []time.Duration
	defer func() {
		bc.mu.Lock()
		bc.latency = append(bc.latency, lat...)
		bc.mu.Unlock()
	}()
	last := -1
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		if bytes.Contains(msg, []byte(`"lost"`)) {
			bc.lost.Add(1)
			continue
		}
		i := bytes.Index(msg, []byte(`"data":[`))
		if i < 0 {
			continue
		}
		var k int
		var sent int64
		fmt.Sscanf(string(msg[i+len(`"data":[`):]), "%d,%d", &k, &sent)
		if k != last+1 {
			bc.lost.Add(int64(k - last - 1))
		}
		last = k
		lat = append(lat, now.Sub(time.Unix(0, sent)))
		if bc.counts[k].Add(1) == int32(bc.n) {
			bc.complete(k)
		}
	}
}

// complete marks k complete; events complete in order, as every client
// reads them in order.
func (bc *benchClients) complete(k int) {
	bc.mu.Lock()
	if int64(k+1) > bc.done.Load() {
		bc.done.Store(int64(k + 1))
	}
	bc.mu.Unlock()
	select {
	case bc.wake <- struct{}{}:
	default:
	}
}

func (bc *benchClients) await(b *testing.B, n int64) {
	for bc.done.Load() < n {
		select {
		case <-bc.wake:
		case <-time.After(30 * time.Second):
			b.Fatalf("events stalled at %d of %d", bc.done.Load(), n)
		}
	}
}

// runFanout publishes b.N events (after a warm-up), at most window in
// flight, and reports deliveries/s and latency quantiles.
func runFanout(b *testing.B, urls []string, clients int, window int64, publish func(context.Context, gamekit.Event) error) {
	const warmup = 100
	events := warmup + b.N
	bc := dialBenchClients(b, urls, clients, events)
	pub := func(k int) {
		bc.await(b, int64(k)-window+1)
		ev := gamekit.Event{Channel: "players", Name: "moved", Data: [2]int64{int64(k), time.Now().UnixNano()}}
		if err := publish(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
	for k := range warmup {
		pub(k)
	}
	bc.await(b, warmup)
	bc.mu.Lock()
	bc.latency = bc.latency[:0]
	bc.mu.Unlock()
	b.ResetTimer()
	start := time.Now()
	for k := warmup; k < events; k++ {
		pub(k)
	}
	bc.await(b, int64(events))
	elapsed := time.Since(start)
	b.StopTimer()
	for _, c := range bc.conns {
		c.Close()
	}
	bc.readers.Wait()
	slices.Sort(bc.latency)
	q := func(p float64) float64 {
		if len(bc.latency) == 0 {
			return 0
		}
		return float64(bc.latency[int(p*float64(len(bc.latency)-1))].Microseconds())
	}
	b.ReportMetric(float64(b.N*clients)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(bc.lost.Load()), "lost")
	if bc.lost.Load() != 0 {
		b.Errorf("%d deliveries lost", bc.lost.Load())
	}
}

// BenchmarkFanout delivers to 1,000 subscribers: on one hub with
// LocalBroker, and split between two hubs on two Redis brokers, published
// from one of them. With a window of 16 read deliveries/s; with 1, read
// latency.
func BenchmarkFanout(b *testing.B) {
	const clients = 1000
	for _, window := range []int64{16, 1} {
		b.Run(fmt.Sprintf("window=%d/local", window), func(b *testing.B) {
			broker := realtime.NewLocalBroker(nil)
			url := benchHub(b, broker)
			hub := publisherOn(b, broker)
			runFanout(b, []string{url}, clients, window, hub.Publish)
		})
		b.Run(fmt.Sprintf("window=%d/redis", window), func(b *testing.B) {
			c := newCluster(b)
			ba, bb := c.broker(b, "", redisbroker.Options{}), c.broker(b, "", redisbroker.Options{})
			urls := []string{benchHub(b, ba), benchHub(b, bb)}
			runFanout(b, urls, clients, window, publisherOn(b, ba).Publish)
		})
	}
}

// BenchmarkOneSubscriber is the latency one event takes to one client,
// published once the previous one arrived: LocalBroker, and Redis with
// the subscriber on the other process.
func BenchmarkOneSubscriber(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		broker := realtime.NewLocalBroker(nil)
		runFanout(b, []string{benchHub(b, broker)}, 1, 1, publisherOn(b, broker).Publish)
	})
	b.Run("redis", func(b *testing.B) {
		c := newCluster(b)
		ba, bb := c.broker(b, "", redisbroker.Options{}), c.broker(b, "", redisbroker.Options{})
		benchHub(b, ba)
		runFanout(b, []string{benchHub(b, bb)}, 1, 1, publisherOn(b, ba).Publish)
	})
}

// publisherOn is a hub with no clients on broker, to publish through.
func publisherOn(b *testing.B, broker realtime.Broker) *realtime.Hub {
	hub, err := realtime.New(&realtime.Options{Broker: broker})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { hub.Close(context.Background()) })
	return hub
}

// BenchmarkPublish is publishes per second through the Redis broker from
// one process, 16 publishers at once (a hub listening, no subscribers).
func BenchmarkPublish(b *testing.B) {
	c := newCluster(b)
	broker := c.broker(b, "", redisbroker.Options{})
	hub := publisherOn(b, broker)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "moved", Data: [2]int{1, 2}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
}

// BenchmarkRecover200 is the cost of reading the 200 messages a client
// resuming missed, from the Redis broker's history.
func BenchmarkRecover200(b *testing.B) {
	c := newCluster(b)
	broker := c.broker(b, "", redisbroker.Options{})
	ctx := context.Background()
	var pos realtime.Position
	for range 200 {
		var err error
		if pos, err = broker.Publish(ctx, realtime.Message{Channel: "players", Event: "moved", Data: []byte(`{"id":1,"user":1,"position_x":10,"position_y":7}`)}); err != nil {
			b.Fatal(err)
		}
	}
	since := realtime.Position{Epoch: pos.Epoch, Seq: pos.Seq - 200}
	for b.Loop() {
		msgs, _, err := broker.History(ctx, "players", since)
		if err != nil || len(msgs) != 200 {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
}
