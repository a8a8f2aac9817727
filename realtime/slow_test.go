package realtime_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
)

// smallSendBuffers gives every accepted connection a small kernel send
// buffer, as a slow network would: a client that stops reading then fills
// its hub buffer after a few hundred messages rather than after megabytes
// sit in the kernel.
func smallSendBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// dialSmallReadBuffer connects a client whose kernel receive buffer is
// small, so that when it stops reading the server notices soon.
func dialSmallReadBuffer(t *testing.T, e *env, caller string) *websocket.Conn {
	t.Helper()
	dialer := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	ws, _, err := dialer.Dial(url, map[string][]string{"Authorization": {apitest.As(caller)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// received is what one client read of a burst.
type received struct {
	events  int
	inOrder bool  // seq went 1, 2, 3, ... without a gap
	err     error // what ended the reading, if anything did
}

// readBurst reads events until the last one or an error.
func readBurst(ws *websocket.Conn, last uint64) received {
	r := received{inOrder: true}
	for {
		ws.SetReadDeadline(time.Now().Add(time.Minute))
		_, b, err := ws.ReadMessage()
		if err != nil {
			r.err = err
			return r
		}
		r.events++
		if !strings.HasPrefix(string(b), `{"channel":"players","event":"moved","seq":`) {
			r.inOrder = false
		}
		var seq uint64
		for _, ch := range string(b[len(`{"channel":"players","event":"moved","seq":`):]) {
			if ch < '0' || ch > '9' {
				break
			}
			seq = seq*10 + uint64(ch-'0')
		}
		if seq != uint64(r.events) {
			r.inOrder = false
		}
		if seq == last {
			return r
		}
	}
}

func TestSlowConsumerIsDisconnectedOthersGetEverything(t *testing.T) {
	const clients, burst = 100, 5000
	// Here the 99 healthy clients share the machine's cores with the hub's
	// 100 writers, under the race detector and beside other test
	// binaries: one can go unscheduled for longer than the default 250 ms
	// and would rightly be taken for slow. A longer timeout tests the same
	// policy without mistaking the test machine for a slow network. All
	// the clients connect from loopback, and most as bob.
	e := setupOn(t, &realtime.Options{SlowTimeout: 3 * time.Second,
		MaxConnsPerUser: clients, MaxConnsPerAddress: clients}, smallSendBuffers)
	healthy := make([]*apitest.WS, clients-1)
	for i := range healthy {
		healthy[i] = e.dial(t, "bob")
		subscribe(t, healthy[i], "players")
	}
	stalled := dialSmallReadBuffer(t, e, "alice")
	if err := stalled.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"verb":"subscribe","channel":"players"}`)); err != nil {
		t.Fatal(err)
	}
	if _, reply, err := stalled.ReadMessage(); err != nil || !strings.Contains(string(reply), `"ok":true`) {
		t.Fatalf("subscribe: %s %v", reply, err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	results := make([]received, clients-1)
	var wg sync.WaitGroup
	for i, ws := range healthy {
		wg.Go(func() { results[i] = readBurst(ws.Conn, burst) })
	}
	resume := make(chan struct{})
	var slow received
	wg.Go(func() {
		<-resume // it reads nothing until the hub has given up on it
		slow = readBurst(stalled, burst)
	})
	wg.Go(func() {
		payload := map[string]any{"id": 1, "note": strings.Repeat("x", 100)}
		for range burst {
			e.publish(t, "players", "moved", payload)
		}
	})
	waitFor(t, "the stalled client to be disconnected", func() bool { return e.hub.Stats().SlowDisconnects == 1 })
	close(resume)
	wg.Wait()

	for i, r := range results {
		if r.events != burst || !r.inOrder || r.err != nil {
			t.Fatalf("healthy client %d: got %d events, in order %v, error %v; want all %d", i, r.events, r.inOrder, r.err, burst)
		}
	}
	// The stalled client got a gapless prefix, then the close code that
	// says why: nothing was dropped silently.
	var closeErr *websocket.CloseError
	if !errors.As(slow.err, &closeErr) || closeErr.Code != realtime.CloseSlowConsumer || !slow.inOrder || slow.events >= burst {
		t.Fatalf("stalled client: got %d events, in order %v, error %v; want a prefix, then close %d",
			slow.events, slow.inOrder, slow.err, realtime.CloseSlowConsumer)
	}
	t.Logf("the stalled client read %d of %d events before close %d", slow.events, burst, closeErr.Code)
	if s := e.hub.Stats(); s.Clients != clients-1 || s.SlowDisconnects != 1 {
		t.Errorf("stats: got %+v", s)
	}

	// What the burst left behind is bounded by the buffers, not by the
	// burst: nothing piles up for the client that stopped reading.
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Errorf("heap grew by %d bytes over the burst", grew)
	}
}

func TestCloseSendsGoingAwayToEveryClient(t *testing.T) {
	const clients = 200
	e := setup(t, &realtime.Options{MaxConnsPerUser: clients, MaxConnsPerAddress: clients})
	conns := make([]*apitest.WS, clients)
	for i := range conns {
		conns[i] = e.dial(t, "alice")
		subscribe(t, conns[i], "players")
	}
	codes := make([]int, clients)
	var wg sync.WaitGroup
	for i, ws := range conns {
		wg.Go(func() {
			_, err := ws.ReadFrame()
			var closeErr *websocket.CloseError
			if errors.As(err, &closeErr) {
				codes[i] = closeErr.Code
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.hub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, code := range codes {
		if code != realtime.CloseGoingAway {
			t.Fatalf("client %d: got close code %d, want %d", i, code, realtime.CloseGoingAway)
		}
	}
	if s := e.hub.Stats(); s.Clients != 0 {
		t.Errorf("after Close: %d clients", s.Clients)
	}
	// A closed hub refuses new connections.
	if status, _ := apitest.DialStatus(t, e.srv, "/ws", apitest.As("alice")); status != 503 {
		t.Errorf("after Close: got %d, want 503", status)
	}
	if err := e.hub.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A client that stopped reading and was dropped as slow, then comes back
// to life, reading and sending requests again as a client would, reads
// every event queued for it, whole and in order, then close code 4000:
// not a reset. (The hub answers none of its requests: it has been
// dropped.)
func TestDroppedSlowClientThatResumesReadsTheCloseCode(t *testing.T) {
	e := setupOn(t, nil, smallSendBuffers)
	stalled := dialSmallReadBuffer(t, e, "alice")
	if err := stalled.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"verb":"subscribe","channel":"players"}`)); err != nil {
		t.Fatal(err)
	}
	if _, reply, err := stalled.ReadMessage(); err != nil || !strings.Contains(string(reply), `"ok":true`) {
		t.Fatalf("subscribe: %s %v", reply, err)
	}
	const burst = 2000 // far more than the buffers on the way hold
	payload := map[string]any{"id": 1, "note": strings.Repeat("x", 100)}
	for range burst {
		e.publish(t, "players", "moved", payload)
	}
	if s := e.hub.Stats(); s.SlowDisconnects != 1 {
		t.Fatalf("after the burst: got %+v, want the stalled client dropped", s)
	}

	events := 0
	var err error
	for {
		stalled.SetReadDeadline(time.Now().Add(time.Minute))
		var b []byte
		if _, b, err = stalled.ReadMessage(); err != nil {
			break
		}
		events++
		if want := `"seq":` + strconv.Itoa(events) + `,`; !strings.Contains(string(b), want) {
			t.Fatalf("event %d: got %s, want %s", events, b, want)
		}
		// What the client sends cannot stop it reading what it was sent.
		_ = stalled.WriteMessage(websocket.TextMessage, []byte(`{"id":2,"route":"test","verb":"whoami"}`))
	}
	var closeErr *websocket.CloseError
	if !errors.As(err, &closeErr) || closeErr.Code != realtime.CloseSlowConsumer {
		t.Fatalf("after %d events: got %v, want close %d", events, err, realtime.CloseSlowConsumer)
	}
	t.Logf("the resumed client read %d of %d events, then close %d", events, burst, closeErr.Code)
}

// A client dropped as slow that resumes reading only after the hub is done
// with it (past WriteTimeout) reads a gapless prefix of whole events, and
// then the connection ends: with 4000 if the frame found room in the
// kernel, else abnormally (the write the client stalled timed out, and
// the close frame never got past it).
func TestDroppedSlowClientThatResumesTooLateSeesNoCloseCode(t *testing.T) {
	e := setupOn(t, &realtime.Options{SlowTimeout: 50 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}, smallSendBuffers)
	stalled := dialSmallReadBuffer(t, e, "alice")
	if err := stalled.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"verb":"subscribe","channel":"players"}`)); err != nil {
		t.Fatal(err)
	}
	if _, reply, err := stalled.ReadMessage(); err != nil || !strings.Contains(string(reply), `"ok":true`) {
		t.Fatalf("subscribe: %s %v", reply, err)
	}
	payload := map[string]any{"id": 1, "note": strings.Repeat("x", 100)}
	for range 2000 {
		e.publish(t, "players", "moved", payload)
	}
	if s := e.hub.Stats(); s.SlowDisconnects != 1 {
		t.Fatalf("after the burst: got %+v, want the stalled client dropped", s)
	}
	// Close returns once the hub is done with every connection.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.hub.Close(ctx); err != nil {
		t.Fatal(err)
	}

	events := 0
	var err error
	for {
		stalled.SetReadDeadline(time.Now().Add(time.Minute))
		var b []byte
		if _, b, err = stalled.ReadMessage(); err != nil {
			break
		}
		events++
		if want := `"seq":` + strconv.Itoa(events) + `,`; !strings.Contains(string(b), want) {
			t.Fatalf("event %d: got %s, want %s", events, b, want)
		}
	}
	var closeErr *websocket.CloseError
	if errors.As(err, &closeErr) && closeErr.Code != websocket.CloseAbnormalClosure && closeErr.Code != realtime.CloseSlowConsumer {
		t.Fatalf("after %d events: got close %d, want %d or an abnormal end", events, closeErr.Code, realtime.CloseSlowConsumer)
	}
	if events == 0 {
		t.Fatal("the late client read no event")
	}
	t.Logf("the late client read %d events, then %v", events, err)
}
