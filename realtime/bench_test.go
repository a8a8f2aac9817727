package realtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/olahol/melody"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/realtime"
)

// The benchmarks measure delivery over loopback websockets to clients in a
// child process (see benchclients_test.go). Run them without -race:
//
//	go test -run '^$' -bench . -benchtime 3s -count 3 ./realtime/
//
// The machine's other load moves every figure; compare the hub with raw
// melody (or 100 clients with 10,000) within one run.
//
// To see what an idle connection holds, have BenchmarkIdleMemory write a
// heap profile while its clients are connected ("%" in the name becomes
// the benchmark's):
//
//	GAMEKIT_BENCH_HEAPPROFILE=/tmp/heap-%.pprof go test -run '^$' \
//		-bench IdleMemory -benchtime 1x -memprofilerate 1 -o /tmp/realtime.test ./realtime/
//	go tool pprof -sample_index=inuse_space -top /tmp/realtime.test /tmp/heap-BenchmarkIdleMemory_hub.pprof

// BenchmarkFanout publishes events to 1,000 subscribers: the hub's
// Publish against the limit, raw melody broadcasting the same bytes.
// Both are paced alike: at most window events are in flight (published
// and not yet read by every client), so no buffer fills and raw melody
// drops nothing; what is compared is the cost of a delivery. With a
// window of 16 the connections are kept busy and the figure to read is
// deliveries/s (latency is then mostly the wait behind the 15 events
// ahead); with a window of 1 an event is published once the previous one
// has reached everyone, and the figure to read is latency.
func BenchmarkFanout(b *testing.B) {
	const clients = 1000
	for _, window := range []int64{16, 1} {
		for _, withMetrics := range []bool{false, true} {
			name := "hub"
			if withMetrics {
				name = "hub+metrics"
			}
			b.Run(fmt.Sprintf("window=%d/%s", window, name), func(b *testing.B) {
				var hub *benchHub
				if withMetrics {
					hub = serveBenchHubWithMetrics(b)
				} else {
					hub = serveBenchHub(b)
				}
				proc := startBenchClients(b, benchClientConfig{
					URL: hub.url, Clients: clients, FirstUser: 1, Subscribe: "players", Receivers: clients,
				})
				runPaced(b, proc, "players", window, func(ev benchEvent) error {
					return hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "moved", Data: ev})
				})
			})
		}
		b.Run(fmt.Sprintf("window=%d/melody", window), func(b *testing.B) {
			m, url := serveBenchMelody(b, func(m *melody.Melody) {
				// The hub's configuration, but melody's own upgrader.
				m.Config.MaxMessageSize = realtime.DefaultMaxMessageSize
				m.Config.MessageBufferSize = realtime.DefaultSendBuffer
				m.Config.PingPeriod = realtime.DefaultPingPeriod
				m.Config.PongWait = 2 * realtime.DefaultPingPeriod
				m.Config.WriteWait = realtime.DefaultWriteTimeout
			})
			var dropped atomic.Int64
			m.HandleError(func(_ *melody.Session, err error) {
				if errors.Is(err, melody.ErrMessageBufferFull) {
					dropped.Add(1)
				}
			})
			proc := startBenchClients(b, benchClientConfig{URL: url, Clients: clients, Receivers: clients})
			// A client's dial returns once the server has answered the
			// upgrade, a moment before melody registers its session.
			waitFor(b, "every session to register", func() bool { return m.Len() == clients })
			seq := uint64(0)
			runPaced(b, proc, "players", window, func(ev benchEvent) error {
				data, err := json.Marshal(ev)
				if err != nil {
					return err
				}
				seq++
				return m.Broadcast(eventFrame("players", "moved", seq, data))
			})
			b.ReportMetric(float64(dropped.Load()), "dropped")
		})
	}
}

// BenchmarkPrivateChannel publishes to one client's user channel while
// 100 or 10,000 clients are connected, each subscribed to its own: the
// cost of a publish should not grow with the clients who do not get it.
func BenchmarkPrivateChannel(b *testing.B) {
	const privateWindow = 32 // well below the send buffer of 64
	for _, clients := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			hub := serveBenchHub(b)
			proc := startBenchClients(b, benchClientConfig{
				URL: hub.url, Clients: clients, FirstUser: 1, Subscribe: "user", Receivers: 1,
			})
			channel := realtime.UserChannel(int64(clients/2 + 1))
			runPaced(b, proc, channel, privateWindow, func(ev benchEvent) error {
				return hub.Publish(context.Background(), gamekit.Event{Channel: channel, Name: "moved", Data: ev})
			})
		})
	}
}

// BenchmarkIdleMemory measures what the server holds per idle connection:
// heap and goroutine stacks with 5,000 clients connected (to the hub,
// each subscribed to its own user channel), against none. Its ns/op is
// not reported: the figure is B/conn.
func BenchmarkIdleMemory(b *testing.B) {
	const clients = 5000
	b.Run("hub", func(b *testing.B) {
		hub := serveBenchHub(b)
		measureIdle(b, clients, func() {
			startBenchClients(b, benchClientConfig{URL: hub.url, Clients: clients, FirstUser: 1, Subscribe: "user"})
			waitFor(b, "every client to register", func() bool {
				s := hub.Stats()
				return s.Clients == clients && s.Channels == clients
			})
		})
	})
	b.Run("melody-defaults", func(b *testing.B) {
		m, url := serveBenchMelody(b, nil)
		measureIdle(b, clients, func() {
			startBenchClients(b, benchClientConfig{URL: url, Clients: clients})
			waitFor(b, "every client to register", func() bool { return m.Len() == clients })
		})
	})
}

// measureIdle reports the server's heap and stacks per connection: after
// a GC, before and after connect, which connects the clients.
func measureIdle(b *testing.B, clients int, connect func()) {
	before := settledMemStats()
	goroutines := runtime.NumGoroutine()
	connect()
	after := settledMemStats()
	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(clients)
	stack := float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(clients)
	perConn := float64(runtime.NumGoroutine()-goroutines) / float64(clients)
	if name := os.Getenv("GAMEKIT_BENCH_HEAPPROFILE"); name != "" {
		name = strings.ReplaceAll(name, "%", strings.ReplaceAll(b.Name(), "/", "_"))
		writeHeapProfile(b, name)
	}
	for b.Loop() { // the connections sit idle; b.Loop resets reported metrics
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(heap+stack, "B/conn")
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(stack, "stack-B/conn")
	b.ReportMetric(perConn, "goroutines/conn")
}

func settledMemStats() runtime.MemStats {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC() // a second cycle empties sync.Pools' victim caches
	runtime.ReadMemStats(&ms)
	return ms
}

func writeHeapProfile(b *testing.B, name string) {
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// runPaced publishes events 0, 1, 2, ... with publish, never more than
// window of them in flight: a warm-up outside the timer, then b.Loop's. It
// reports deliveries per second (deliveries read by clients over the time
// from the first timed publish until the last one is read everywhere),
// the time spent in publish itself (queueing the deliveries, not writing
// them), latency quantiles (publish to receive) and lost deliveries, which
// fail the benchmark. It checks that event 0 reached clients as exactly the
// frame eventFrame builds, so raw melody is sent the hub's bytes.
func runPaced(b *testing.B, proc *benchClients, channel string, window int64, publish func(benchEvent) error) {
	k := int64(0)
	var publishing time.Duration // spent in publish, in the timed loop
	next := func() {
		proc.await(b, k-window+1)
		sent := time.Now()
		ev := benchEvent{K: k, Sent: sent.UnixNano(), ID: k%100 + 1, User: k%100 + 1, X: k % 1000, Y: 7}
		if k == 0 {
			proc.first = ev
		}
		if err := publish(ev); err != nil {
			b.Fatal(err)
		}
		publishing += time.Since(sent)
		k++
	}
	for range proc.cfg.Warmup {
		next()
	}
	proc.await(b, k)
	publishing = 0

	start := time.Now()
	for b.Loop() {
		next()
	}
	timed := k - proc.cfg.Warmup
	proc.await(b, k)
	elapsed := time.Since(start)

	r := proc.report(b, k)
	if r.Sample == "" {
		b.Fatal("no client received event 0")
	}
	sample, _ := base64.StdEncoding.DecodeString(r.Sample)
	data, _ := json.Marshal(proc.first)
	if want := eventFrame(channel, "moved", 1, data); !bytes.Equal(sample, want) {
		b.Fatalf("event 0 arrived as\n%s\nwant\n%s", sample, want)
	}
	receivers := int64(proc.cfg.Receivers)
	b.ReportMetric(float64(timed*receivers-r.Lost)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(publishing.Nanoseconds())/float64(timed), "publish-ns/op")
	b.ReportMetric(float64(r.P50)/1e3, "p50-µs")
	b.ReportMetric(float64(r.P99)/1e3, "p99-µs")
	b.ReportMetric(float64(r.Lost), "lost")
	if r.Lost != 0 {
		b.Errorf("%d of %d deliveries lost", r.Lost, k*receivers)
	}
}

// eventFrame is the frame the hub sends for an event (see the package
// documentation's protocol).
func eventFrame(channel, event string, seq uint64, data []byte) []byte {
	c, _ := json.Marshal(channel)
	e, _ := json.Marshal(event)
	f := make([]byte, 0, 48+len(c)+len(e)+len(data))
	f = append(f, `{"channel":`...)
	f = append(f, c...)
	f = append(f, `,"event":`...)
	f = append(f, e...)
	f = append(f, `,"seq":`...)
	f = strconv.AppendUint(f, seq, 10)
	f = append(f, `,"data":`...)
	f = append(f, data...)
	return append(f, '}')
}

// benchHub is a hub served on loopback behind userAuth.
type benchHub struct {
	*realtime.Hub
	url string
}

func serveBenchHub(b *testing.B) *benchHub {
	b.Helper()
	return serveBenchHubWith(b, &realtime.Options{})
}

// serveBenchHubWithMetrics is serveBenchHub with package metrics wired as
// a host wires it (the publish hook, the hub's figures, the HTTP
// middleware), and scraped ten times a second: far more often than
// Prometheus would, so that the cost of metrics is not understated.
func serveBenchHubWithMetrics(b *testing.B) *benchHub {
	b.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		b.Fatal(err)
	}
	hub := serveBenchHubWith(b, &realtime.Options{ObservePublish: m.ObservePublish}, m.HTTP)
	if err := m.CollectHub(hub.Hub); err != nil {
		b.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := reg.Gather(); err != nil {
					b.Error(err)
				}
			}
		}
	}()
	b.Cleanup(func() {
		close(stop)
		<-done
	})
	return hub
}

// serveBenchHubWith serves a hub made with opts, behind userAuth and the
// given middleware (outermost first).
func serveBenchHubWith(b *testing.B, opts *realtime.Options, middleware ...func(http.Handler) http.Handler) *benchHub {
	b.Helper()
	// Every client connects from loopback.
	opts.MaxConnsPerAddress = 1 << 20
	hub, err := realtime.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	hub.Channel("players", realtime.Public)
	h := userAuth(hub)
	for _, mw := range slices.Backward(middleware) {
		h = mw(h)
	}
	srv := apitest.Serve(b, h)
	b.Cleanup(func() { // before srv.Close, registered earlier
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := hub.Close(ctx); err != nil {
			b.Errorf("close: %v", err)
		}
	})
	return &benchHub{Hub: hub, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"}
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

// serveBenchMelody serves a raw melody (configured by configure, if not
// nil) on loopback; its connections end before the benchmark does.
func serveBenchMelody(b *testing.B, configure func(*melody.Melody)) (*melody.Melody, string) {
	b.Helper()
	m := melody.New()
	if configure != nil {
		configure(m)
	}
	var handlers sync.WaitGroup
	srv := apitest.Serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		_ = m.HandleRequest(w, r)
	}))
	b.Cleanup(func() { // before srv.Close, registered earlier
		m.Close()
		handlers.Wait()
	})
	return m, "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// benchClients is the client process.
type benchClients struct {
	cfg    benchClientConfig
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	first  benchEvent // event 0, as published

	acked   atomic.Int64  // events 0..acked-1 reached every receiver
	ackc    chan struct{} // a new acked
	ready   chan struct{}
	reports chan benchReport
	exited  chan struct{} // stdout is closed: the process is gone

	waitOnce sync.Once
	waitErr  error
}

// startBenchClients starts the client process and waits until its clients
// are connected and subscribed. It stops when the benchmark ends, before
// the server.
func startBenchClients(b *testing.B, cfg benchClientConfig) *benchClients {
	b.Helper()
	if cfg.Warmup == 0 {
		cfg.Warmup = 64
	}
	raw, _ := json.Marshal(cfg)
	p := &benchClients{
		cfg: cfg, ackc: make(chan struct{}, 1), ready: make(chan struct{}),
		reports: make(chan benchReport, 1), exited: make(chan struct{}),
	}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestBenchClients$", "-test.bench=^$", "-test.count=1", "-test.timeout=30m")
	p.cmd.Env = append(os.Environ(), benchClientsEnv+"="+string(raw))
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go p.readStdout(stdout)
	b.Cleanup(func() { p.stop(b) })

	select {
	case <-p.ready:
	case <-p.exited:
		b.Fatalf("client process ended before its clients were ready: %v\n%s", p.wait(), p.stderr.String())
	case <-time.After(5 * time.Minute):
		b.Fatal("client process: gave up waiting for its clients")
	}
	return p
}

func (p *benchClients) readStdout(stdout io.Reader) {
	defer close(p.exited)
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line, ok := strings.CutPrefix(lines.Text(), "bench: ")
		if !ok {
			continue
		}
		switch verb, arg, _ := strings.Cut(line, " "); verb {
		case "ready":
			close(p.ready)
		case "a":
			n, _ := strconv.ParseInt(arg, 10, 64)
			p.acked.Store(n)
			select {
			case p.ackc <- struct{}{}:
			default:
			}
		case "report":
			var r benchReport
			json.Unmarshal([]byte(arg), &r)
			p.reports <- r
		}
	}
	io.Copy(io.Discard, stdout)
}

// await waits until events 0..n-1 reached every receiver; it fails the
// benchmark if none of them arrives for a long while.
func (p *benchClients) await(b *testing.B, n int64) {
	if p.acked.Load() >= n {
		return
	}
	const stall = 30 * time.Second
	timer := time.NewTimer(stall)
	defer timer.Stop()
	for p.acked.Load() < n {
		select {
		case <-p.ackc:
			timer.Reset(stall)
		case <-p.exited:
			b.Fatalf("client process ended: %v\n%s", p.wait(), p.stderr.String())
		case <-timer.C:
			b.Fatalf("no event reached every client for %v (waiting for %d, got %d)", stall, n, p.acked.Load())
		}
	}
}

// report asks the client process to account for events 0..total-1.
func (p *benchClients) report(b *testing.B, total int64) benchReport {
	if _, err := fmt.Fprintf(p.stdin, "report %d\n", total); err != nil {
		b.Fatal(err)
	}
	select {
	case r := <-p.reports:
		return r
	case <-p.exited:
		b.Fatalf("client process ended: %v\n%s", p.wait(), p.stderr.String())
	}
	panic("unreachable")
}

// stop closes the process's stdin, on which it closes its connections
// and exits; it is killed if it has not within a minute.
func (p *benchClients) stop(b *testing.B) {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.exited
	}
	if err := p.wait(); err != nil && !b.Failed() {
		b.Errorf("client process: %v\n%s", err, p.stderr.String())
	}
}

// wait waits for the process to exit (and its stderr to be copied).
func (p *benchClients) wait() error {
	p.waitOnce.Do(func() { p.waitErr = p.cmd.Wait() })
	return p.waitErr
}
