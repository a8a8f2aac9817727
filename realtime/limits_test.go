package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
)

// Connections are capped per user and per client address: the upgrade
// over the cap is refused with 429 and says why, and a closed connection
// frees its slot.
func TestConnectionCaps(t *testing.T) {
	e := setup(t, &realtime.Options{MaxConnsPerUser: 2, MaxConnsPerAddress: 3})
	first := e.dial(t, "alice")
	e.dial(t, "alice")
	status, body := apitest.DialStatus(t, e.srv, "/ws", apitest.As("alice"))
	if status != http.StatusTooManyRequests || !strings.Contains(body, `"detail"`) || !strings.Contains(body, "2 connections per user") {
		t.Errorf("alice's third: got %d %s, want 429 naming the cap", status, body)
	}
	e.dial(t, "bob") // another user, from the same address: the third
	status, body = apitest.DialStatus(t, e.srv, "/ws", apitest.As("admin"))
	if status != http.StatusTooManyRequests || !strings.Contains(body, "3 connections per address") {
		t.Errorf("a fourth from the address: got %d %s, want 429 naming the cap", status, body)
	}
	// A dial returns on the handshake's response, which the hub writes
	// before it registers the client.
	waitFor(t, "3 clients", func() bool { return e.hub.Stats().Clients == 3 })
	if s := e.hub.Stats(); s.Clients != 3 || s.RefusedConnections != 2 {
		t.Errorf("stats: got %+v, want 3 clients, 2 refused", s)
	}

	// Closing one frees its slot once the hub has seen it end.
	first.Close()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	waitFor(t, "alice's slot to be free", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {apitest.As("alice")}})
		if err != nil {
			return false
		}
		t.Cleanup(func() { ws.Close() })
		return true
	})
}

// Behind a proxy, the host says where a request comes from.
func TestConnectionCapByDerivedAddress(t *testing.T) {
	e := setup(t, &realtime.Options{MaxConnsPerAddress: 1, ClientAddress: func(r *http.Request) string {
		return r.Header.Get("X-Test-Client")
	}})
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws"
	dial := func(client string) int {
		return dialStatus(t, url, http.Header{"Authorization": {apitest.As("alice")}, "X-Test-Client": {client}})
	}
	if got := dial("203.0.113.1"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 203.0.113.1: got %d", got)
	}
	if got := dial("203.0.113.2"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 203.0.113.2: got %d", got)
	}
	if got := dial("203.0.113.1"); got != http.StatusTooManyRequests {
		t.Errorf("second from 203.0.113.1: got %d, want 429", got)
	}
}

// By default a client address is rest.ClientKey's: behind
// rest.TrustProxies, two IPv6 addresses of one /64 are one client, which
// could otherwise open MaxConnsPerAddress connections from each of its
// 2^64 addresses.
func TestConnectionCapByIPv6Prefix(t *testing.T) {
	hub, err := realtime.New(&realtime.Options{MaxConnsPerAddress: 1})
	if err != nil {
		t.Fatal(err)
	}
	loopback, err := rest.ParsePrefixes("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	srv := apitest.Serve(t, rest.TrustProxies(loopback, apitest.WithCallers(hub)))
	t.Cleanup(func() { hub.Close(context.Background()) })
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	dial := func(client string) int {
		return dialStatus(t, url, http.Header{"Authorization": {apitest.As("alice")}, "X-Forwarded-For": {client}})
	}
	if got := dial("2001:db8::1"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 2001:db8::1: got %d, want 101", got)
	}
	if got := dial("2001:db8::2"); got != http.StatusTooManyRequests {
		t.Errorf("2001:db8::2, in the same /64: got %d, want 429", got)
	}
	if got := dial("2001:db8:0:1::1"); got != http.StatusSwitchingProtocols {
		t.Errorf("first from 2001:db8:0:1::1, the next /64: got %d, want 101", got)
	}
}

// With nil Options the caps are the documented defaults.
func TestDefaultConnectionCapPerUser(t *testing.T) {
	e := setup(t, nil)
	for range realtime.DefaultMaxConnsPerUser {
		e.dial(t, "alice")
	}
	if status, _ := apitest.DialStatus(t, e.srv, "/ws", apitest.As("alice")); status != http.StatusTooManyRequests {
		t.Errorf("connection %d of one user: got %d, want 429", realtime.DefaultMaxConnsPerUser+1, status)
	}
}

// frozenClock is a clock that moves only when told.
type frozenClock chan time.Time

func newFrozenClock(now time.Time) frozenClock {
	c := make(frozenClock, 1)
	c <- now
	return c
}

func (c frozenClock) Now() time.Time { t := <-c; c <- t; return t }

func (c frozenClock) Advance(d time.Duration) { t := <-c; c <- t.Add(d) }

// A client that keeps sending over its rate is closed with 1008; one
// that slows down when told is not.
func TestFloodersAreDisconnected(t *testing.T) {
	clock := newFrozenClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	e := setup(t, &realtime.Options{MessageRate: 2, MessageBurst: 3, FloodLimit: 5, Now: clock.Now})
	alice := e.dial(t, "alice")
	echo := `{"id":1,"route":"test","verb":"echo"}`
	call := func(want string) {
		t.Helper()
		f := alice.Call(echo)
		if got := "ok"; !f.OK {
			got = f.Error.Code
			if got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		} else if want != "ok" {
			t.Fatalf("got ok, want %s", want)
		}
	}
	for range 3 {
		call("ok")
	}
	// Five over the rate are answered; a message within the rate takes
	// one off the count, so one more is.
	for range 5 {
		call(realtime.CodeRateLimited)
	}
	clock.Advance(500 * time.Millisecond)
	call("ok")
	call(realtime.CodeRateLimited)
	if s := e.hub.Stats(); s.FloodDisconnects != 0 || s.Clients != 1 {
		t.Fatalf("before flooding: got %+v", s)
	}
	// The sixth on the count is flooding.
	alice.Send(echo)
	_, err := alice.ReadFrame()
	var closeErr *websocket.CloseError
	if !errors.As(err, &closeErr) || closeErr.Code != websocket.ClosePolicyViolation {
		t.Fatalf("the sixth over the rate: got %v, want close 1008", err)
	}
	waitFor(t, "the flooder to be gone", func() bool { return e.hub.Stats().Clients == 0 })
	if s := e.hub.Stats(); s.FloodDisconnects != 1 {
		t.Errorf("stats: got %+v, want 1 flood disconnect", s)
	}
}

// A client sending steadily at several times its rate, so that some of
// its messages are within the rate, is still flooding: at k times the
// rate, a message in k is answered and takes one off the flood count, the
// others add one, so it is closed with 1008 within (MessageBurst +
// FloodLimit + 1) × k/(k−2) messages.
func TestSteadyFloodersAreDisconnected(t *testing.T) {
	for _, times := range []int{5, 10} {
		t.Run(fmt.Sprintf("%d× the rate", times), func(t *testing.T) {
			clock := newFrozenClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
			e := setup(t, &realtime.Options{Now: clock.Now})
			alice := e.dial(t, "alice")
			within := (realtime.DefaultMessageBurst + realtime.DefaultFloodLimit + 1) * times / (times - 2)
			for n := 1; ; n++ {
				if n > within {
					t.Fatalf("still open after %d messages at %d× the rate, want closed within %d", n-1, times, within)
				}
				alice.Send(`{"id":1,"route":"test","verb":"echo"}`)
				_, err := alice.ReadFrame()
				var closeErr *websocket.CloseError
				if errors.As(err, &closeErr) && closeErr.Code == websocket.ClosePolicyViolation {
					t.Logf("closed after %d messages", n)
					break
				}
				if err != nil {
					t.Fatalf("message %d: got %v, want a reply or close 1008", n, err)
				}
				clock.Advance(time.Second / time.Duration(realtime.DefaultMessageRate*times))
			}
			waitFor(t, "the flooder to be gone", func() bool { return e.hub.Stats().FloodDisconnects == 1 })
		})
	}
}

// A client that bursts over its rate up to the flood limit and then keeps
// to the rate is answered rate_limited, and never closed, however often
// it does so.
func TestBurstThenBehaveIsNotFlooding(t *testing.T) {
	clock := newFrozenClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	e := setup(t, &realtime.Options{Now: clock.Now})
	alice := e.dial(t, "alice")
	call := func() string {
		t.Helper()
		if f := alice.Call(`{"id":1,"route":"test","verb":"echo"}`); !f.OK {
			return f.Error.Code
		}
		return "ok"
	}
	for cycle := range 3 {
		limited := 0
		for range realtime.DefaultMessageBurst + realtime.DefaultFloodLimit {
			if call() == realtime.CodeRateLimited {
				limited++
			}
		}
		if limited != realtime.DefaultFloodLimit {
			t.Fatalf("cycle %d: burst answered rate_limited %d times, want %d", cycle, limited, realtime.DefaultFloodLimit)
		}
		for i := range 10 * realtime.DefaultMessageRate { // 10 s at the rate
			clock.Advance(time.Second / realtime.DefaultMessageRate)
			if got := call(); got != "ok" {
				t.Fatalf("cycle %d: message %d at the rate: got %s, want ok", cycle, i, got)
			}
		}
		clock.Advance(2 * time.Second) // idle: the burst is back
	}
	if s := e.hub.Stats(); s.FloodDisconnects != 0 || s.Clients != 1 {
		t.Errorf("stats: got %+v, want no flood disconnect", s)
	}
}

// The protocol is JSON text; a binary message is answered, not ignored.
func TestBinaryMessagesAreAnswered(t *testing.T) {
	e := setup(t, nil)
	alice := e.dial(t, "alice")
	if err := alice.WriteMessage(websocket.BinaryMessage, []byte(`{"id":1,"route":"test","verb":"whoami"}`)); err != nil {
		t.Fatal(err)
	}
	f := alice.Read()
	if f.OK || f.Error == nil || f.Error.Code != realtime.CodeBadRequest || !strings.Contains(f.Error.Message, "text") {
		t.Fatalf("binary message: got %+v %+v, want bad_request asking for text", f, f.Error)
	}
	if f := alice.Call(`{"id":2,"route":"test","verb":"whoami"}`); !f.OK {
		t.Errorf("after a binary message: got %+v", f.Error)
	}
}

// dialStatus dials url with header and returns the handshake's status,
// leaving an accepted connection open until the test ends.
func dialStatus(t *testing.T, url string, header http.Header) int {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err == nil {
		t.Cleanup(func() { ws.Close() })
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return resp.StatusCode
}
