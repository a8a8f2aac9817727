package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// scrape fetches url (a /metrics endpoint) and returns its series, by
// name and labels as the text format writes them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return parse(t, res.Body)
}

func parse(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	series := make(map[string]float64)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// check compares the series named in want with what was scraped.
func check(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for name, v := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: missing", name)
		case g != v:
			t.Errorf("%s: got %v, want %v", name, g, v)
		}
	}
}

func openInventories(t *testing.T, users int) (*bun.DB, *inventory.SQLStore) {
	t.Helper()
	db := storagetest.Open(t, storagetest.Memory, inventory.Migrations(), gifts.Migrations())
	store := storagetest.Must(inventory.NewSQLStore(db, nil))
	for i := 1; i <= users; i++ {
		if err := store.CreateInventory(context.Background(), &inventory.Inventory{UserID: int64(i), Username: fmt.Sprint("user", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return db, store
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

var quiet = slog.New(slog.DiscardHandler)

// A server with every source wired, scraped after real traffic: requests
// count under their route pattern, never their path (through
// authentication that replaces the request, and through a rest.API, by
// collection); a websocket client, its subscription, a delivery and the
// publish count; a gift tick is timed and its users counted; taking and
// releasing the lease count as lease changes.
func TestScrape(t *testing.T) {
	db, store := openInventories(t, 3)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := realtime.New(&realtime.Options{ObservePublish: m.ObservePublish, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hub.Channel("players", realtime.Public)
	if err := m.CollectHub(hub); err != nil {
		t.Fatal(err)
	}
	if err := m.CollectHub(hub); err == nil {
		t.Error("a second CollectHub: no error")
	}
	if err := m.CollectBroker(func() metrics.BrokerStats { return metrics.BrokerStats{Reconnects: 2, Overflows: 5} }); err != nil {
		t.Fatal(err)
	}
	sched, err := gifts.New(db, store, &gifts.Options{Interval: 50 * time.Millisecond, OnTick: m.ObserveTick, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CollectGifts(sched); err != nil {
		t.Fatal(err)
	}

	items, err := inventory.NewHandler(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := rest.NewAPI("/api")
	api.Mount(items, "items", "inventories")
	mux := http.NewServeMux()
	api.Register(mux)
	mux.Handle("/ws", hub)
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.PathValue("name"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Authentication that refuses a bad header itself, before routing,
	// and replaces the request for a good one, and hands the
	// ResponseWriter on wrapped, as middleware that notes the status does.
	auth := func(next http.Handler) http.Handler {
		callers := apitest.WithCallers(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Caller mallory" {
				rest.WriteError(w, r, gamekit.ErrUnauthenticated)
				return
			}
			callers.ServeHTTP(wrapped{w}, r)
		})
	}
	srv := apitest.Serve(t, m.HTTP(auth(metrics.Routed(mux))))
	t.Cleanup(func() { // before the server closes
		if err := hub.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})

	for _, path := range []string{"/api/items/1/", "/api/items/2/", "/api/items/"} {
		srv.Do(apitest.As("alice"), "GET", path, "")
	}
	srv.Do("", "GET", "/hello/bob", "")
	srv.Do("", "GET", "/hello/carol", "")
	srv.Do("", "DELETE", "/hello/carol", "")
	srv.Do(apitest.As("mallory"), "GET", "/hello/dave", "")
	req, _ := http.NewRequest("BREW", srv.URL+"/hello/erin", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}

	ws := apitest.Dial(t, srv, "/ws", apitest.As("alice"))
	if f := ws.Call(map[string]any{"id": 1, "verb": "subscribe", "channel": "players"}); !f.OK {
		t.Fatalf("subscribe: %+v", f.Error)
	}
	if err := hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "moved", Data: 1}); err != nil {
		t.Fatal(err)
	}
	ws.Read()

	if err := sched.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two gift ticks", func() bool { return sched.Stats().Ticks >= 2 })

	got := scrape(t, srv.URL+"/metrics")
	ticks := sched.Stats().Ticks // the scrape may have seen one more
	if n := got[`gamekit_gifts_tick_duration_seconds_count{schedule="gifts"}`]; n < 2 || n > float64(ticks) {
		t.Errorf("ticks timed: got %v, want 2 to %d", n, ticks)
	}
	if n := got[`gamekit_gifts_users_granted_total{schedule="gifts"}`]; n < 6 || int(n)%3 != 0 {
		t.Errorf("users granted: got %v, want 3 per tick, 2 ticks or more", n)
	}
	check(t, got, map[string]float64{
		`gamekit_http_request_duration_seconds_count{code="404",method="GET",route="/api/items/"}`:       2,
		`gamekit_http_request_duration_seconds_count{code="200",method="GET",route="/api/items/"}`:       1,
		`gamekit_http_request_duration_seconds_count{code="200",method="GET",route="GET /hello/{name}"}`: 2,
		`gamekit_http_request_duration_seconds_count{code="405",method="DELETE",route="unmatched"}`:      1,
		`gamekit_http_request_duration_seconds_count{code="401",method="GET",route="unmatched"}`:         1,
		`gamekit_http_request_duration_seconds_count{code="405",method="OTHER",route="unmatched"}`:       1,
		`gamekit_http_request_duration_seconds_count{code="101",method="GET",route="/ws"}`:               1,
		`gamekit_http_request_duration_seconds_bucket{code="101",method="GET",route="/ws",le="+Inf"}`:    1,
		`gamekit_realtime_clients`:                                            1,
		`gamekit_realtime_channels`:                                           1,
		`gamekit_realtime_subscriptions`:                                      1,
		`gamekit_realtime_deliveries_total`:                                   1,
		`gamekit_realtime_disconnects_total{reason="slow"}`:                   0,
		`gamekit_realtime_disconnects_total{reason="flood"}`:                  0,
		`gamekit_realtime_refused_connections_total`:                          0,
		`gamekit_realtime_recoveries_total{outcome="recovered"}`:              0,
		`gamekit_realtime_recoveries_total{outcome="unrecovered"}`:            0,
		`gamekit_realtime_recoveries_total{outcome="lost"}`:                   0,
		`gamekit_realtime_publish_duration_seconds_count`:                     1,
		`gamekit_realtime_publish_failures_total`:                             0,
		`gamekit_realtime_broker_reconnects_total`:                            2,
		`gamekit_realtime_broker_overflows_total`:                             5,
		`gamekit_gifts_leader{schedule="gifts"}`:                              1,
		`gamekit_gifts_lease_changes_total{change="gained",schedule="gifts"}`: 1,
		`gamekit_gifts_lease_changes_total{change="lost",schedule="gifts"}`:   0,
		`gamekit_storage_transaction_retries_total`:                           0,
	})
	if _, ok := got[`gamekit_gifts_last_tick_timestamp_seconds{schedule="gifts"}`]; !ok {
		t.Error("no last tick timestamp")
	}
	for name := range got {
		for _, raw := range []string{"bob", "carol", "dave", "erin", "/items/1", "BREW"} {
			if strings.Contains(name, raw) {
				t.Errorf("%s: a raw path or method in a label", name)
			}
		}
	}

	// Stop releases the lease: a change counted.
	if err := sched.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	ws.Close()
	waitFor(t, "the client to leave", func() bool { return hub.Stats().Clients == 0 })
	check(t, scrape(t, srv.URL+"/metrics"), map[string]float64{
		`gamekit_gifts_leader{schedule="gifts"}`:                            0,
		`gamekit_gifts_lease_changes_total{change="lost",schedule="gifts"}`: 1,
		`gamekit_realtime_clients`:                                          0,
		`gamekit_realtime_subscriptions`:                                    0,
	})
}

// wrapped is a ResponseWriter as middleware wraps one, which
// http.ResponseController (and Routed) can unwrap.
type wrapped struct{ http.ResponseWriter }

func (w wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Two processes run one schedule: when the leader stops, the other takes
// its lease over, and each one's metrics say what happened to it.
func TestLeaseHandover(t *testing.T) {
	db, store := openInventories(t, 2)
	type process struct {
		sched *gifts.Scheduler
		reg   *prometheus.Registry
	}
	var ps [2]process
	for i := range ps {
		ps[i].reg = prometheus.NewRegistry()
		m, err := metrics.New(ps[i].reg)
		if err != nil {
			t.Fatal(err)
		}
		ps[i].sched, err = gifts.New(db, store, &gifts.Options{Interval: time.Hour, LeaseDuration: 60 * time.Millisecond,
			Holder: fmt.Sprint("process-", i), OnTick: m.ObserveTick, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.CollectGifts(ps[i].sched); err != nil {
			t.Fatal(err)
		}
		if err := ps[i].sched.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps[i].sched.Stop(context.Background()) })
		if i == 0 {
			waitFor(t, "the first to lead", func() bool { return ps[0].sched.Stats().Leader })
		}
	}
	gather := func(p process) map[string]float64 {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return parse(t, rec.Body)
	}
	check(t, gather(ps[1]), map[string]float64{
		`gamekit_gifts_leader{schedule="gifts"}`:                              0,
		`gamekit_gifts_lease_changes_total{change="gained",schedule="gifts"}`: 0,
	})
	if err := ps[0].sched.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second to take over", func() bool { return ps[1].sched.Stats().Leader })
	check(t, gather(ps[0]), map[string]float64{
		`gamekit_gifts_leader{schedule="gifts"}`:                              0,
		`gamekit_gifts_lease_changes_total{change="gained",schedule="gifts"}`: 1,
		`gamekit_gifts_lease_changes_total{change="lost",schedule="gifts"}`:   1,
	})
	check(t, gather(ps[1]), map[string]float64{
		`gamekit_gifts_leader{schedule="gifts"}`:                              1,
		`gamekit_gifts_lease_changes_total{change="gained",schedule="gifts"}`: 1,
		`gamekit_gifts_lease_changes_total{change="lost",schedule="gifts"}`:   0,
	})
}
