package main

import (
	"bufio"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// scrapeMetrics fetches a /metrics page and returns its series by name
// and labels, or nil if it is not one.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		return nil
	}
	series := make(map[string]float64)
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			series[line[:i]] = v
		}
	}
	return series
}

// With GAMEKIT_METRICS_ADDR set, the server serves Prometheus metrics on
// that address, and only there; after real traffic they show it: requests
// by route pattern, the websocket client, the gift tick and the lease.
func TestMetrics(t *testing.T) {
	metricsAddr := freeAddr(t)
	r := start(t, []string{"-gift-interval", "1s"}, map[string]string{
		"GAMEKIT_DB": filepath.Join(t.TempDir(), "game.db"), "GAMEKIT_PASSWORD": adminPassword, "GAMEKIT_METRICS_ADDR": metricsAddr,
	})
	if status, _ := r.get("admin", adminPassword, "/api/items/2/"); status != 200 {
		t.Fatalf("item 2: %d", status)
	}
	if status, _ := r.get("", "", "/api/items/99/"); status != 404 {
		t.Fatalf("item 99: %d", status)
	}
	if status, _ := r.get("admin", "wrong", "/api/items/"); status != 401 {
		t.Fatalf("a wrong password: %d", status)
	}
	header := http.Header{"Authorization": {basic("admin", adminPassword)}}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+r.addr+"/ws", header)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if m := scrapeMetrics(t, "http://"+r.addr+"/metrics"); m != nil {
		t.Errorf("the game's address serves metrics: %v", m)
	}

	url := "http://" + metricsAddr + "/metrics"
	var got map[string]float64
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// The hub counts a client once it has handled its connection,
		// which may be a moment after the client reads the 101.
		if got = scrapeMetrics(t, url); got[`gamekit_gifts_tick_duration_seconds_count{schedule="gifts"}`] >= 1 &&
			got[`gamekit_realtime_clients`] >= 1 {
			break
		}
	}
	for name, want := range map[string]float64{
		`gamekit_http_request_duration_seconds_count{code="200",method="GET",route="/api/items/"}`: 1,
		`gamekit_http_request_duration_seconds_count{code="404",method="GET",route="/api/items/"}`: 1,
		`gamekit_http_request_duration_seconds_count{code="401",method="GET",route="unmatched"}`:   1, // refused before routing
		`gamekit_http_request_duration_seconds_count{code="101",method="GET",route="/ws"}`:         1,
		`gamekit_realtime_clients`:                                            1,
		`gamekit_gifts_leader{schedule="gifts"}`:                              1,
		`gamekit_gifts_lease_changes_total{change="gained",schedule="gifts"}`: 1,
	} {
		if got[name] != want {
			t.Errorf("%s: got %v, want %v", name, got[name], want)
		}
	}
	for _, name := range []string{
		`gamekit_gifts_tick_duration_seconds_count{schedule="gifts"}`, `gamekit_gifts_users_granted_total{schedule="gifts"}`,
		`gamekit_http_request_duration_seconds_count{code="200",method="GET",route="GET /healthz"}`, "go_goroutines",
	} {
		if got[name] < 1 {
			t.Errorf("%s: got %v, want 1 or more", name, got[name])
		}
	}
	for name := range got {
		if strings.Contains(name, "/99") || strings.Contains(name, "/2/") {
			t.Errorf("%s: a path in a label", name)
		}
	}
}
