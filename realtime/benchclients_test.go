package realtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gamekit/gamekit/realtime"
)

// The benchmarks serve a hub in the test process and run their websocket
// clients in a child process: the test binary again, running only
// TestBenchClients with the client configuration in this environment
// variable. Ten thousand clients and the ten thousand server connections
// they open would not fit one process's file descriptors, and a separate
// process keeps the clients' memory out of the server's figures.
//
// The child speaks lines on stdin and stdout. It prints
//
//	bench: ready                      every client is connected (and subscribed)
//	bench: a <n>                      events 0..n-1 reached every subscriber
//	bench: report <benchReport JSON>  answering "report <total>" on stdin
//
// and closes its connections and exits when stdin is closed. Events carry
// their number k and the time they were published in their data (see
// benchEvent); a client that receives k after k' < k-1 counts the events
// between as lost.
const benchClientsEnv = "GAMEKIT_BENCH_CLIENTS"

// benchClientConfig is what the child is told.
type benchClientConfig struct {
	URL       string `json:"url"`        // ws://.../ws
	Clients   int    `json:"clients"`    // connections to open
	FirstUser int64  `json:"first_user"` // client i is user FirstUser+i ("Authorization: User <id>")
	// Subscribe is what each client subscribes to once connected: a
	// channel name, "user" for its own user channel, or "" for nothing
	// (raw melody has no subscriptions).
	Subscribe string `json:"subscribe"`
	// Receivers is how many clients receive each event: an event is
	// acknowledged once it reached that many.
	Receivers int `json:"receivers"`
	// Warmup is how many events (k < Warmup) are left out of latencies.
	Warmup int64 `json:"warmup"`
}

// benchReport is the child's account of the events 0..total-1.
type benchReport struct {
	Received int64  `json:"received"` // deliveries read by clients
	Lost     int64  `json:"lost"`     // deliveries expected and never read
	Latency  int64  `json:"latency"`  // deliveries in the latency figures
	P50      int64  `json:"p50_ns"`   // publish → receive, over k >= Warmup
	P99      int64  `json:"p99_ns"`
	Max      int64  `json:"max_ns"`
	Sample   string `json:"sample"` // base64 of the bytes of event 0 as received
}

// benchEvent is the data of a benchmark event: a player update with the
// event's number and its publish time (Unix ns; the child runs on the
// same clock) in front, where the child finds them without decoding JSON.
type benchEvent struct {
	K    int64 `json:"k"`
	Sent int64 `json:"sent"`
	ID   int64 `json:"id"`
	User int64 `json:"user"`
	X    int64 `json:"position_x"`
	Y    int64 `json:"position_y"`
}

// The window of events the acknowledgement ring tracks; senders keep far
// fewer in flight.
const benchRing = 1 << 12

// TestBenchClients is the benchmarks' client process; it skips unless
// started by one (see startBenchClients).
func TestBenchClients(t *testing.T) {
	raw := os.Getenv(benchClientsEnv)
	if raw == "" {
		t.Skip("runs only as the client process of the realtime benchmarks")
	}
	var cfg benchClientConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Receivers < 1 {
		cfg.Receivers = 1
	}
	out := &benchOut{w: os.Stdout}

	conns, err := dialBenchClients(cfg)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		t.Fatal(err)
	}

	st := newBenchStats(cfg, out)
	var readers sync.WaitGroup
	for _, c := range conns {
		readers.Go(func() { st.read(c) })
	}
	acker := make(chan struct{})
	go func() {
		defer close(acker)
		st.ack()
	}()
	out.printf("bench: ready\n")

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		total, ok := strings.CutPrefix(in.Text(), "report ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(st.report(n))
		out.printf("bench: report %s\n", b)
	}
	// Stdin closed: the benchmark is done.
	for _, c := range conns {
		c.Close()
	}
	readers.Wait()
	close(st.completed)
	<-acker
}

// dialBenchClients connects (and subscribes) cfg.Clients clients, a few at
// a time so the listener's backlog never overflows.
func dialBenchClients(cfg benchClientConfig) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, cfg.Clients)
	dialer := websocket.Dialer{HandshakeTimeout: time.Minute, ReadBufferSize: 1024, WriteBufferSize: 1024}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	slots := make(chan struct{}, 32)
	for i := range conns {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			user := cfg.FirstUser + int64(i)
			c, err := dialBenchClient(&dialer, cfg, user)
			mu.Lock()
			defer mu.Unlock()
			conns[i] = c
			if err != nil && first == nil {
				first = fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	return conns, first
}

func dialBenchClient(dialer *websocket.Dialer, cfg benchClientConfig, user int64) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	header := http.Header{"Authorization": {"User " + strconv.FormatInt(user, 10)}}
	c, _, err := dialer.DialContext(ctx, cfg.URL, header)
	if err != nil {
		return nil, err
	}
	channel := cfg.Subscribe
	if channel == "user" {
		channel = realtime.UserChannel(user)
	}
	if channel == "" {
		return c, nil
	}
	req := `{"id":1,"verb":"subscribe","channel":` + strconv.Quote(channel) + `}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(req)); err != nil {
		return c, err
	}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	_, reply, err := c.ReadMessage()
	if err != nil {
		return c, err
	}
	c.SetReadDeadline(time.Time{})
	if !bytes.Contains(reply, []byte(`"ok":true`)) {
		return c, fmt.Errorf("subscribe %s: %s", channel, reply)
	}
	return c, nil
}

// benchOut serializes the child's lines on stdout.
type benchOut struct {
	mu sync.Mutex
	w  *os.File
}

func (o *benchOut) printf(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, format, args...)
}

// benchStats counts what the clients read.
type benchStats struct {
	cfg benchClientConfig
	out *benchOut

	counts    [benchRing]atomic.Int32 // readers that accounted for event k, by k % benchRing
	completed chan int64              // events every receiver accounted for
	done      atomic.Int64            // events 0..done-1 are complete

	received, lost atomic.Int64
	latency        latencyHistogram
	sample         atomic.Pointer[[]byte]
}

func newBenchStats(cfg benchClientConfig, out *benchOut) *benchStats {
	return &benchStats{cfg: cfg, out: out, completed: make(chan int64, benchRing)}
}

// read reads one client's events until its connection ends.
func (st *benchStats) read(c *websocket.Conn) {
	var buf bytes.Buffer
	last := int64(-1)
	for {
		_, r, err := c.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		now := time.Now().UnixNano()
		k, sent, ok := parseBenchEvent(buf.Bytes())
		if !ok {
			continue
		}
		st.received.Add(1)
		if k == 0 && st.sample.Load() == nil {
			frame := bytes.Clone(buf.Bytes())
			st.sample.CompareAndSwap(nil, &frame)
		}
		if k >= st.cfg.Warmup {
			st.latency.add(now - sent)
		}
		for gap := last + 1; gap < k; gap++ {
			st.lost.Add(1)
			st.account(gap)
		}
		st.account(k)
		last = k
	}
}

// account counts event k as received (or lost) by one more receiver.
func (st *benchStats) account(k int64) {
	slot := &st.counts[k%benchRing]
	if slot.Add(1) == int32(st.cfg.Receivers) {
		slot.Store(0)
		st.completed <- k
	}
}

// ack acknowledges complete events in order, coalescing: it writes a line
// only when no other completion is waiting.
func (st *benchStats) ack() {
	var complete [benchRing]bool
	done := int64(0)
	for k := range st.completed {
		complete[k%benchRing] = true
		for complete[done%benchRing] {
			complete[done%benchRing] = false
			done++
		}
		st.done.Store(done)
		if len(st.completed) == 0 {
			st.out.printf("bench: a %d\n", done)
		}
	}
}

// report waits until events 0..total-1 are complete, or until nothing has
// been received for a while, and accounts for them.
func (st *benchStats) report(total int64) benchReport {
	const quiet = 10 * time.Second
	seen, since := st.received.Load(), time.Now()
	for st.done.Load() < total && time.Since(since) < quiet {
		time.Sleep(time.Millisecond)
		if n := st.received.Load(); n != seen {
			seen, since = n, time.Now()
		}
	}
	r := benchReport{Received: st.received.Load()}
	// Every delivery not read was lost: those counted at gaps and those
	// missing at the end.
	r.Lost = total*int64(st.cfg.Receivers) - r.Received
	r.Latency = st.latency.count()
	r.P50, r.P99, r.Max = st.latency.quantile(0.50), st.latency.quantile(0.99), st.latency.max()
	if s := st.sample.Load(); s != nil {
		r.Sample = base64.StdEncoding.EncodeToString(*s)
	}
	return r
}

// parseBenchEvent finds k and sent in an event's data without decoding
// the JSON (the child must not be the bottleneck).
func parseBenchEvent(frame []byte) (k, sent int64, ok bool) {
	i := bytes.Index(frame, []byte(`"data":{"k":`))
	if i < 0 {
		return 0, 0, false
	}
	rest := frame[i+len(`"data":{"k":`):]
	k, rest = leadingInt(rest)
	rest, ok = bytes.CutPrefix(rest, []byte(`,"sent":`))
	if !ok {
		return 0, 0, false
	}
	sent, _ = leadingInt(rest)
	return k, sent, true
}

func leadingInt(b []byte) (int64, []byte) {
	var n int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	return n, b[i:]
}

// latencyHistogram counts durations in log-linear buckets, 64 per power
// of two (within 1.6%), lock-free.
type latencyHistogram struct {
	buckets [64 * 60]atomic.Int64
}

func latencyBucket(ns int64) int {
	v := uint64(max(ns, 0))
	if v < 64 {
		return int(v)
	}
	shift := bits.Len64(v) - 7 // v>>shift is in [64, 128)
	return (shift+1)*64 + int(v>>shift) - 64
}

// latencyValue is the upper bound of a bucket's durations.
func latencyValue(bucket int) int64 {
	if bucket < 64 {
		return int64(bucket)
	}
	shift := bucket/64 - 1
	return (int64(bucket%64+64+1) << shift) - 1
}

func (h *latencyHistogram) add(ns int64) { h.buckets[latencyBucket(ns)].Add(1) }

func (h *latencyHistogram) count() int64 {
	var n int64
	for i := range h.buckets {
		n += h.buckets[i].Load()
	}
	return n
}

func (h *latencyHistogram) quantile(q float64) int64 {
	n := h.count()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen int64
	for i := range h.buckets {
		if seen += h.buckets[i].Load(); seen >= rank {
			return latencyValue(i)
		}
	}
	return 0
}

func (h *latencyHistogram) max() int64 {
	for i := len(h.buckets) - 1; i >= 0; i-- {
		if h.buckets[i].Load() > 0 {
			return latencyValue(i)
		}
	}
	return 0
}

func TestLatencyHistogram(t *testing.T) {
	for _, ns := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 123456, 5e9} {
		b := latencyBucket(ns)
		if hi := latencyValue(b); hi < ns || float64(hi-ns) > 0.02*float64(ns)+1 {
			t.Errorf("%d ns: bucket %d up to %d", ns, b, hi)
		}
		if b > 0 && latencyValue(b-1) >= ns {
			t.Errorf("%d ns: bucket %d, but the one below reaches %d", ns, b, latencyValue(b-1))
		}
	}
	var h latencyHistogram
	for ns := int64(1); ns <= 1000; ns++ {
		h.add(ns * 1000)
	}
	if p99 := h.quantile(0.99); p99 < 990_000 || p99 > 1_006_000 {
		t.Errorf("p99 of 1..1000 µs: got %d ns", p99)
	}
}
