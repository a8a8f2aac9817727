package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage"
)

// site is the host serving on loopback, on a SQLite file, as `go run .`
// serves it.
type site struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	// logged are the log records at level Warn or above: a 500, a gift
	// tick that failed, a websocket client dropped for being slow.
	logged *records
	// metrics is what Prometheus would scrape.
	metrics *prometheus.Registry
}

// start serves the host for users on a new SQLite file, with a gift every
// second so that gift ticks write alongside the requests. It stops when
// the test ends: the gifts and the websockets, the server, the database.
func start(t *testing.T, users map[string]gamekit.Identity) *site {
	t.Helper()
	ctx := context.Background()
	logged := &records{}
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { slog.SetDefault(previous) })

	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "host.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := prometheus.NewRegistry()
	handler, stop, err := newHost(ctx, db, users, time.Second, reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 128
	return &site{t: t, srv: srv, client: client, logged: logged, metrics: reg}
}

// do sends a request with the bearer token (none for "") and returns the
// status and body.
func (s *site) do(token, method, path, body string) (int, string) {
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err.Error()
	}
	return res.StatusCode, string(b)
}

// get is do for a GET that must answer 200, decoding the body into v.
func (s *site) get(token, path string, v any) {
	s.t.Helper()
	status, body := s.do(token, "GET", path, "")
	if status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		s.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// scrape returns the metrics as Prometheus reads them, in its text format.
func (s *site) scrape() string {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// frame is any message the hub sends: a reply or an event.
type frame struct {
	ID      int64           `json:"id"`
	OK      bool            `json:"ok"`
	Error   json.RawMessage `json:"error"`
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Seq     uint64          `json:"seq"`
	Data    json.RawMessage `json:"data"`
}

// connect opens a websocket as a browser does: a ticket for the token,
// then /ws?ticket=. It subscribes to channels and returns every frame the
// hub sends from then on, until the test ends.
func (s *site) connect(token string, channels ...string) <-chan frame {
	s.t.Helper()
	status, body := s.do(token, "POST", "/api/realtime/ticket/", "")
	var ticket realtimeTicket
	if status != http.StatusOK || json.Unmarshal([]byte(body), &ticket) != nil {
		s.t.Fatalf("ticket: %d %s", status, body)
	}
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.srv.URL, "http")+"/ws?ticket="+ticket.Ticket, nil)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	res.Body.Close()
	s.t.Cleanup(func() { conn.Close() })
	for i, channel := range channels {
		if err := conn.WriteJSON(map[string]any{"id": i + 1, "verb": "subscribe", "channel": channel}); err != nil {
			s.t.Fatal(err)
		}
		var reply frame
		if err := conn.ReadJSON(&reply); err != nil || reply.ID != int64(i+1) || !reply.OK {
			s.t.Fatalf("subscribe %s: %+v %s %v", channel, reply, reply.Error, err)
		}
	}
	frames := make(chan frame, 4096)
	go func() {
		defer close(frames)
		for {
			var f frame
			if err := conn.ReadJSON(&f); err != nil {
				return
			}
			frames <- f
		}
	}()
	return frames
}

type realtimeTicket struct {
	Ticket string `json:"ticket"`
}

// records keeps what is logged at level Warn and above.
type records struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *records) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *records) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// together runs fn(i) on n goroutines released at the same moment and
// waits for them.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

const adminToken = "admin-token"

// playerToken is the token of the i-th player of TestConcurrentWrites,
// user i+2.
func playerToken(i int) string { return fmt.Sprintf("player-%d", i) }

// TestConcurrentWrites is the stores' concurrency, through the whole server:
// 64 goroutines at once, each ten rounds of an admin creating an item and
// putting it in the goroutine's inventory (PATCH), the goroutine's player
// moving, an admin firing a monster's transition, an admin adding a point
// to the player on the points board and the player saying something in the
// global room, while gift ticks write too and a websocket client watches.
// Every request succeeds, except transitions that lose a race for a
// monster (409), and nothing is lost.
func TestConcurrentWrites(t *testing.T) {
	const (
		workers = 64
		// A player's every move, and every message, fits in the rate
		// limits, however fast they come: players.DefaultRate moves a
		// second, chat.DefaultBurst messages at once.
		rounds   = min(players.DefaultRate, chat.DefaultBurst)
		monsters = 4
	)
	users := map[string]gamekit.Identity{adminToken: {UserID: 1, Username: "admin", Admin: true}}
	for i := range workers {
		users[playerToken(i)] = gamekit.Identity{UserID: int64(i + 2), Username: fmt.Sprintf("player%d", i)}
	}
	s := start(t, users)

	type object struct {
		ID    int64   `json:"id"`
		Items []int64 `json:"items"`
		X     float64 `json:"position_x"`
		State string  `json:"state"`
	}
	var monsterIDs []int64
	for range monsters {
		status, body := s.do(adminToken, "POST", "/api/monsters/", `{}`)
		var m object
		if status != http.StatusCreated || json.Unmarshal([]byte(body), &m) != nil {
			t.Fatalf("create a monster: %d %s", status, body)
		}
		monsterIDs = append(monsterIDs, m.ID)
	}
	inventoryIDs, playerIDs := make([]int64, workers), make([]int64, workers)
	for i := range workers {
		var invs, ps []object
		s.get(playerToken(i), "/api/inventories/", &invs)
		s.get(playerToken(i), fmt.Sprintf("/api/players/?user=%d", i+2), &ps)
		if len(invs) != 1 || len(ps) != 1 {
			t.Fatalf("user %d has %d inventories and %d players, want 1 and 1", i+2, len(invs), len(ps))
		}
		inventoryIDs[i], playerIDs[i] = invs[0].ID, ps[0].ID
	}
	var rooms []object
	if s.get(playerToken(0), "/api/chat/rooms/?search=global", &rooms); len(rooms) != 1 {
		t.Fatalf("%d rooms named global, want 1", len(rooms))
	}
	global := rooms[0].ID
	events := s.connect(playerToken(0), "players", "monsters", chat.ChannelOf(global))

	var (
		mu       sync.Mutex
		failures []string
		mine     = make([][]int64, workers) // the items each goroutine created
		won      = map[int64]int{}          // transitions that succeeded, by monster
		lost     int
		moved    int                         // moves accepted
		said     = make([][]string, workers) // the bodies of each goroutine's messages accepted
	)
	fail := func(what string, status int, body string) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf("%s: %d %s", what, status, body))
	}
	together(workers, func(i int) {
		for r := range rounds {
			status, body := s.do(adminToken, "POST", "/api/items/", fmt.Sprintf(`{"name":"item %d.%d","weight":%d}`, i, r, r))
			var item object
			if status != http.StatusCreated || json.Unmarshal([]byte(body), &item) != nil {
				fail("create an item", status, body)
				continue
			}
			mine[i] = append(mine[i], item.ID)

			ids, _ := json.Marshal(mine[i])
			if status, body := s.do(adminToken, "PATCH", fmt.Sprintf("/api/inventories/%d/", inventoryIDs[i]), `{"items":`+string(ids)+`}`); status != http.StatusOK {
				fail("patch an inventory", status, body)
			}
			if status, body := s.do(playerToken(i), "POST", fmt.Sprintf("/api/players/%d/move/", playerIDs[i]), `{"dx":1}`); status != http.StatusOK {
				fail("move", status, body)
			} else {
				mu.Lock()
				moved++
				mu.Unlock()
			}
			point := fmt.Sprintf(`{"user":%d,"username":"player%d","score":1}`, i+2, i)
			if status, body := s.do(adminToken, "POST", "/api/leaderboards/points/", point); status != http.StatusOK {
				fail("add a point", status, body)
			}
			message := fmt.Sprintf("%d.%d", i, r)
			if status, body := s.do(playerToken(i), "POST", fmt.Sprintf("/api/chat/rooms/%d/messages/", global), `{"body":"`+message+`"}`); status != http.StatusCreated {
				fail("say", status, body)
			} else {
				said[i] = append(said[i], message)
			}

			// Half the goroutines attack monsters while the other half
			// call them off: of two that fire in one state, the second
			// finds its transition not allowed, or loses on the version
			// check if they were simultaneous.
			monster, transition, args := monsterIDs[(i+r)%monsters], "wander", ""
			if i%2 == 0 {
				transition, args = "attack", fmt.Sprintf(`{"user":%d}`, i+2)
			}
			status, body = s.do(adminToken, "POST", fmt.Sprintf("/api/monsters/%d/%s/", monster, transition), args)
			var conflict rest.Detail
			switch {
			case status == http.StatusOK:
				mu.Lock()
				won[monster]++
				mu.Unlock()
			case status == http.StatusConflict && json.Unmarshal([]byte(body), &conflict) == nil &&
				strings.Contains(conflict.Detail, fmt.Sprintf("%q", transition)):
				mu.Lock()
				lost++
				mu.Unlock()
			default:
				fail(transition, status, body)
			}
		}
	})
	for _, f := range failures {
		t.Error(f)
	}
	transitions := 0 // won, and still to be heard of by the watcher
	for _, n := range won {
		transitions += n
	}
	t.Logf("%d requests by %d goroutines: %d failed; %d transitions won, %d lost a race (409)",
		workers*rounds*6, workers, len(failures), transitions, lost)

	// Every item is there, and in its goroutine's inventory; the only
	// other items an inventory holds are gifts given since its last PATCH.
	var page struct {
		Count int `json:"count"`
	}
	s.get(adminToken, "/api/items/?search=item+&limit=1", &page)
	if page.Count != workers*rounds {
		t.Errorf("%d items named item, want %d", page.Count, workers*rounds)
	}
	created := map[int64]int{} // item → the goroutine that created it
	for i, ids := range mine {
		for _, id := range ids {
			created[id] = i
		}
	}
	for i, id := range inventoryIDs {
		var inv object
		s.get(adminToken, fmt.Sprintf("/api/inventories/%d/", id), &inv)
		var own []int64
		for _, item := range inv.Items {
			if owner, ok := created[item]; ok && owner != i {
				t.Errorf("inventory %d holds item %d of goroutine %d", i, item, owner)
			} else if ok {
				own = append(own, item)
			}
		}
		if slices.Sort(own); !slices.Equal(own, mine[i]) {
			t.Errorf("inventory %d: got items %v, want %v", i, own, mine[i])
		}
	}
	// Every move took effect: ten steps right.
	for i, id := range playerIDs {
		var p object
		if s.get(playerToken(i), fmt.Sprintf("/api/players/%d/", id), &p); p.X != rounds {
			t.Errorf("player %d at x %v, want %d", i, p.X, rounds)
		}
	}
	// Every point counted: each player has one a round, and a rank of
	// their own (ties go to the earlier record, then the lower user id).
	var ids []string
	for i := range workers {
		ids = append(ids, fmt.Sprint(i+2))
	}
	var records []struct {
		User        int64 `json:"user"`
		Score, Rank int64
	}
	s.get(adminToken, "/api/leaderboards/points/records/?users="+strings.Join(ids, ","), &records)
	if len(records) != workers {
		t.Errorf("%d players on the points board, want %d", len(records), workers)
	}
	for k, rec := range records {
		if rec.Score != rounds || rec.Rank != int64(k+1) {
			t.Errorf("user %d: %d points at #%d, want %d at #%d", rec.User, rec.Score, rec.Rank, rounds, k+1)
		}
	}
	// Each monster's history is exactly its won transitions, each from the
	// state the one before left it in.
	for _, id := range monsterIDs {
		var m object
		var history []struct{ Transition, From, To string }
		s.get(adminToken, fmt.Sprintf("/api/monsters/%d/", id), &m)
		s.get(adminToken, fmt.Sprintf("/api/monsters/%d/history/", id), &history)
		if len(history) != won[id] {
			t.Errorf("monster %d: %d transitions in its history, %d won", id, len(history), won[id])
		}
		state := "wandering"
		for _, h := range history {
			if h.From != state {
				t.Errorf("monster %d: %s from %s after a transition to %s", id, h.Transition, h.From, state)
			}
			state = h.To
		}
		if m.State != state {
			t.Errorf("monster %d is %s, its history ends in %s", id, m.State, state)
		}
	}

	// The watcher heard of every move and every transition, in order.
	moves, messages, sent := 0, 0, 0
	for _, bodies := range said {
		sent += len(bodies)
	}
	heard := map[int64][]string{} // bodies by sender
	last := map[string]uint64{}
	x := map[int64]float64{}
	timeout := time.After(time.Minute) // a hang guard: every event was queued before its request was answered
	for moves < moved || transitions > 0 || messages < sent {
		var f frame
		select {
		case f = <-events:
		case <-timeout:
			t.Fatalf("the watcher heard of %d moves of %d and %d messages of %d, and is still waiting for %d transitions", moves, moved, messages, sent, transitions)
		}
		if f.Channel == "" {
			t.Fatalf("the watcher's connection ended, or a reply came: %+v %s", f, f.Error)
		}
		if seq, ok := last[f.Channel]; ok && f.Seq != seq+1 {
			t.Errorf("%s: event %d after %d", f.Channel, f.Seq, seq)
		}
		last[f.Channel] = f.Seq
		switch {
		case f.Channel == "players" && f.Event == "updated":
			var p object
			if err := json.Unmarshal(f.Data, &p); err != nil {
				t.Fatal(err)
			}
			x[p.ID] = p.X
			moves++
		case f.Channel == "monsters" && f.Event == "updated":
			transitions--
		case f.Channel == chat.ChannelOf(global) && f.Event == chat.EventMessage:
			var m struct {
				Sender int64  `json:"sender"`
				Body   string `json:"body"`
			}
			if err := json.Unmarshal(f.Data, &m); err != nil {
				t.Fatal(err)
			}
			heard[m.Sender] = append(heard[m.Sender], m.Body)
			messages++
		default:
			t.Errorf("unexpected event %+v %s", f, f.Data)
		}
	}
	for i, id := range playerIDs {
		if x[id] != rounds {
			t.Errorf("the watcher last saw player %d at x %v, want %d", i, x[id], rounds)
		}
		if !slices.Equal(heard[int64(i+2)], said[i]) {
			t.Errorf("the watcher heard player %d say %v, want %v in that order", i, heard[int64(i+2)], said[i])
		}
	}
	// A 500 or a failed gift tick is logged as an error. A gift tick
	// skipped because the one before it ran past the next (a 1 s schedule
	// on a loaded machine) is a warning, by the gifts' stated policy.
	for line := range strings.Lines(s.logged.String()) {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("logged: %s", line)
		} else {
			t.Logf("logged: %s", line)
		}
	}
}

// The API index lists what the host mounted, unknown paths and tokens get
// DRF's JSON answers, a player cannot do an admin's work, chat knows the
// host's users, and Prometheus sees every route.
func TestServesTheAPI(t *testing.T) {
	s := start(t, demoUsers)
	for _, tc := range []struct {
		token, method, path, body string
		status                    int
		want                      string
	}{
		{"", "GET", "/api", "", 200, `"monsters":"` + s.srv.URL + `/api/monsters/"`},
		{"", "GET", "/api/", "", 200, `"leaderboards":"` + s.srv.URL + `/api/leaderboards/","chat":"` + s.srv.URL + `/api/chat/"}`},
		// A gift tick may already have made items: the list is an array either way.
		{"", "GET", "/api/items", "", 200, `[`},
		{"", "GET", "/api/nothing/", "", 404, `{"detail":"Not found."}`},
		{"wrong", "GET", "/api/items/", "", 401, `{"detail":"Invalid token."}`},
		{"alice-token", "POST", "/api/items/", `{"name":"Guitar","weight":2}`, 403, `"detail"`},
		{"alice-token", "GET", "/api/inventories/", "", 200, `"user":2`},
		{"", "POST", "/api/realtime/ticket/", "", 401, `"detail"`},
		{"", "GET", "/api/leaderboards/points", "", 200, `"id":"points","order":"desc","operator":"incr"`},
		{"alice-token", "POST", "/api/leaderboards/points/", `{"score":5}`, 403, `"detail"`},
		{"admin-token", "POST", "/api/leaderboards/points/", `{"user":3,"username":"bob","score":5}`, 200, `"rank":1,"user":3,"username":"bob","score":5`},
		{"", "GET", "/api/chat/rooms/", "", 401, `"detail"`},
		{"alice-token", "GET", "/api/chat/rooms", "", 200, `"name":"global"`},
		{"alice-token", "POST", "/api/chat/dm/3/", `{"body":"hi bob"}`, 201, `"username":"alice","body":"hi bob"`},
		{"alice-token", "POST", "/api/chat/dm/99/", `{"body":"anyone?"}`, 404, `"detail"`},
	} {
		status, body := s.do(tc.token, tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s as %q: got %d %s, want %d with %s", tc.method, tc.path, tc.token, status, body, tc.status, tc.want)
		}
	}
	scraped := s.scrape()
	for _, want := range []string{
		`gamekit_http_request_duration_seconds_count{code="201",method="POST",route="/api/chat/"} 1`,
		`gamekit_http_request_duration_seconds_count{code="200",method="POST",route="/api/leaderboards/"} 1`,
		`gamekit_realtime_clients 0`,
		`gamekit_gifts_leader{schedule=`,
	} {
		if !strings.Contains(scraped, want) {
			t.Errorf("metrics: no %s in\n%s", want, scraped)
		}
	}
}
