package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// The benchmarks, without -race, in one run so the figures compare:
//
//	GAMEKIT_TEST_POSTGRES=postgres://... go test -run '^$' -bench . -benchtime 2000x ./chat/
//
// BenchmarkSend's figure is msgs/s, each message delivered to 1,000
// members; BenchmarkHistory's are p50-µs and p99-µs of a page of 50.

// benchMembers is how many members the room of BenchmarkSend has, each
// with one connection subscribed to it.
const benchMembers = 1000

// sendWindow is how many messages may be in flight (sent and not yet
// read by every member): enough to keep the connections busy, well below
// the hub's send buffer of 64, so no client is dropped as slow.
const sendWindow = 16

// BenchmarkSend sends messages into a group of 1,000 members, each
// connected and subscribed: through the REST API, through the realtime
// route, and, as the limit, the hub's raw fan-out of the same bytes with
// no store (hub.Publish). A few senders keep sendWindow messages in
// flight; msgs/s counts messages read by all 1,000 members. The clients
// run in this process, as goroutines, so they share its 2 cores with the
// server: compare the three within one run.
func BenchmarkSend(b *testing.B) {
	for _, kind := range []storagetest.Kind{storagetest.File, storagetest.Postgres} {
		b.Run(string(kind), func(b *testing.B) {
			env := newBenchRoom(b, kind)
			sample := env.sample(b)
			b.Run("raw", func(b *testing.B) {
				env.run(b, 4, func(_, k int) error {
					return env.hub.Publish(context.Background(), gamekit.Event{Channel: chat.ChannelOf(env.room), Name: chat.EventMessage, Data: sample})
				})
			})
			b.Run("websocket", func(b *testing.B) {
				senders := make([]*benchSender, 4)
				for i := range senders {
					senders[i] = env.wsSender(b, int64(i+1))
				}
				env.run(b, len(senders), func(i, k int) error {
					return senders[i].send(fmt.Sprintf(`{"id":%d,"route":"chat","verb":"send","args":{"room":%d,"body":"message %d from the benchmark"}}`, k, env.room, k))
				})
				for _, s := range senders {
					if err := s.close(); err != nil {
						b.Error(err)
					}
				}
			})
			b.Run("rest", func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
				defer client.CloseIdleConnections()
				url := fmt.Sprintf("%s/api/chat/rooms/%d/messages/", env.srv.URL, env.room)
				env.run(b, 4, func(i, k int) error {
					req, _ := http.NewRequest("POST", url, strings.NewReader(fmt.Sprintf(`{"body":"message %d from the benchmark"}`, k)))
					req.Header.Set("Authorization", "User "+strconv.Itoa(i+1))
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						return err
					}
					res.Body.Close()
					if res.StatusCode != http.StatusCreated {
						return fmt.Errorf("POST: %s", res.Status)
					}
					return nil
				})
			})
		})
	}
}

// benchRoom is a group of benchMembers users, served over HTTP and the
// hub, with every member connected and subscribed.
type benchRoom struct {
	store    *chat.SQLStore
	hub      *realtime.Hub
	srv      *httptest.Server
	room     int64
	clients  []*websocket.Conn
	received atomic.Int64 // message events read by members
	readers  sync.WaitGroup
}

func newBenchRoom(b *testing.B, kind storagetest.Kind) *benchRoom {
	ctx := context.Background()
	db := storagetest.Open(b, kind, chat.Migrations())
	// The limits are not what is measured: the hub and the store let a
	// sender go as fast as it can, and one user open many connections.
	hub, err := realtime.New(&realtime.Options{MessageRate: 1e6, MessageBurst: 1e6, MaxConnsPerAddress: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchRoom{hub: hub}
	e.store = storagetest.Must(chat.NewSQLStore(db, &chat.StoreOptions{Publisher: hub, Rate: 1e6, Burst: 1 << 30}))
	chat.RegisterRealtime(hub, e.store)
	h := storagetest.Must(chat.NewHandler(e.store, nil))
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))
	mux.Handle("/ws", hub)
	e.srv = httptest.NewServer(userAuth(mux))
	owner := gamekit.Identity{UserID: 1, Username: "user1"}
	group := chat.Room{Kind: chat.Group, Name: "bench"}
	if err := e.store.CreateRoom(ctx, owner, &group); err != nil {
		b.Fatal(err)
	}
	e.room = group.ID
	for u := int64(2); u <= benchMembers; u++ {
		if _, err := e.store.AddMember(ctx, group.ID, owner, u); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for _, c := range e.clients {
			c.Close()
		}
		e.readers.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		hub.Close(ctx)
		e.srv.Close()
	})
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	subscribe := []byte(fmt.Sprintf(`{"id":0,"verb":"subscribe","channel":%q}`, chat.ChannelOf(group.ID)))
	for u := 1; u <= benchMembers; u++ {
		c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"User " + strconv.Itoa(u)}})
		if err != nil {
			b.Fatal(err)
		}
		e.clients = append(e.clients, c)
		if err := c.WriteMessage(websocket.TextMessage, subscribe); err != nil {
			b.Fatal(err)
		}
		if _, reply, err := c.ReadMessage(); err != nil || !strings.Contains(string(reply), `"ok":true`) {
			b.Fatalf("subscribe: %s %v", reply, err)
		}
		e.readers.Go(func() {
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if len(msg) > 0 && strings.Contains(string(msg[:min(len(msg), 64)]), `"event":"message"`) {
					e.received.Add(1)
				}
			}
		})
	}
	return e
}

// sample is a message as the store announces it: the raw fan-out sends
// the same bytes.
func (e *benchRoom) sample(b *testing.B) json.RawMessage {
	m := chat.Message{ID: 1 << 40, Room: e.room, Sender: 1, Username: "user1", Body: "message 1000000 from the benchmark", Created: time.Now().UTC()}
	data, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// run sends b.N messages with senders goroutines, at most sendWindow in
// flight, and reports the messages read by every member per second.
func (e *benchRoom) run(b *testing.B, senders int, send func(sender, k int) error) {
	base := e.received.Load()
	delivered := func() int64 { return (e.received.Load() - base) / benchMembers }
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for {
				k := next.Add(1) - 1
				if k >= int64(b.N) {
					return
				}
				for k-delivered() >= sendWindow {
					time.Sleep(20 * time.Microsecond)
				}
				if err := send(i, int(k)); err != nil {
					failed.Store(err)
					next.Store(int64(b.N))
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for e.received.Load()-base < int64(b.N)*benchMembers {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries after a minute", e.received.Load()-base, int64(b.N)*benchMembers)
		}
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := e.received.Load() - base; got != int64(b.N)*benchMembers {
		b.Errorf("%d deliveries, want %d", got, int64(b.N)*benchMembers)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)*benchMembers/elapsed.Seconds(), "deliveries/s")
}

// benchSender is a websocket connection sending the route's requests,
// whose replies it reads and checks.
type benchSender struct {
	c      *websocket.Conn
	done   chan error
	mu     sync.Mutex
	sent   int64
	errors atomic.Int64
}

func (e *benchRoom) wsSender(b *testing.B, user int64) *benchSender {
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"User " + strconv.FormatInt(user, 10)}})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSender{c: c, done: make(chan error, 1)}
	go func() {
		var first error
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				s.done <- first
				return
			}
			if !strings.Contains(string(msg), `"ok":true`) && first == nil {
				first = fmt.Errorf("reply: %s", msg)
			}
		}
	}()
	return s
}

func (s *benchSender) send(msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c.WriteMessage(websocket.TextMessage, []byte(msg))
}

func (s *benchSender) close() error {
	s.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	s.c.Close()
	return <-s.done
}

// userAuth stands in for a host's authentication with as many users as a
// benchmark needs: "Authorization: User 123" is user 123.
func userAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.Header.Get("Authorization"), "User "); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				r = r.WithContext(gamekit.WithIdentity(r.Context(), gamekit.Identity{UserID: n, Username: "user" + id}))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// historyMessages is how many messages the room of BenchmarkHistory holds.
const historyMessages = 1_000_000

// BenchmarkHistory reads pages of 50 from a room of 1,000,000 messages
// (and a few in another room, and a block, so the statement's filters
// have work): the latest page, and pages before a random message, as a
// client scrolling back does. It reports p50 and p99 per page.
func BenchmarkHistory(b *testing.B) {
	for _, kind := range []storagetest.Kind{storagetest.File, storagetest.Postgres} {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			db := storagetest.Open(b, kind, chat.Migrations())
			store := storagetest.Must(chat.NewSQLStore(db, nil))
			room := seedHistory(b, db, store)
			reader := gamekit.Identity{UserID: 2, Username: "bob"}
			if _, err := store.Block(ctx, reader, 7); err != nil {
				b.Fatal(err)
			}
			for _, page := range []string{"latest", "before"} {
				b.Run(page, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(1, 2))
					var latencies []time.Duration
					for b.Loop() {
						opts := chat.HistoryOptions{Limit: 50}
						if page == "before" {
							opts.Before = 100 + rng.Int64N(historyMessages)
						}
						start := time.Now()
						h, err := store.History(ctx, room, reader, opts)
						latencies = append(latencies, time.Since(start))
						if err != nil || len(h) != 50 {
							b.Fatalf("page: %d messages, %v", len(h), err)
						}
					}
					slices.Sort(latencies)
					q := func(p float64) float64 {
						return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
					}
					b.ReportMetric(q(0.5), "p50-µs")
					b.ReportMetric(q(0.99), "p99-µs")
					b.ReportMetric(q(0.9), "p90-µs")
					b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds()), "max-µs")
				})
			}
		})
	}
}

// seedHistory fills a public room with historyMessages messages from 100
// senders, with INSERT ... SELECT, and returns it.
func seedHistory(b *testing.B, db *bun.DB, store *chat.SQLStore) int64 {
	ctx := context.Background()
	room, err := store.EnsurePublicRoom(ctx, "history")
	if err != nil {
		b.Fatal(err)
	}
	other, _ := store.EnsurePublicRoom(ctx, "other")
	store.Send(ctx, other.ID, gamekit.Identity{UserID: 1, Username: "alice"}, "elsewhere")
	// INSERT ... SELECT over a generated series, in chunks of 100,000 so
	// no statement outlasts the PostgreSQL driver's read timeout on a
	// loaded machine (the foreign key is checked row by row).
	const chunk = 100_000
	start := time.Now()
	for from := 1; from <= historyMessages; from += chunk {
		to := min(from+chunk-1, historyMessages)
		numbers := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT i FROM n`, from, to)
		if db.Dialect().Name() == dialect.PG {
			numbers = fmt.Sprintf(`SELECT i FROM generate_series(%d, %d) AS i`, from, to)
		}
		_, err = db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO gamekit_chat_messages (room_id, sender_id, sender_username, body, created_at)
		SELECT %d, 1 + i %% 100, 'user' || (1 + i %% 100), 'message number ' || i || ' of the history benchmark', '2026-12-03 20:00:00+00:00' FROM (%s) AS numbers`,
			room.ID, numbers))
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "UPDATE gamekit_chat_rooms SET message_count = ? WHERE id = ?", historyMessages, room.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d messages in %v", historyMessages, time.Since(start).Round(time.Millisecond))
	return room.ID
}
