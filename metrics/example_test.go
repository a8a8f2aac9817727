package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/realtime"
)

// A host registers gamekit's metrics, fills the hooks, wraps its handler
// and serves the registry where its scraper, and nobody else, reaches it.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		panic(err)
	}
	hub, err := realtime.New(&realtime.Options{ObservePublish: m.ObservePublish})
	if err != nil {
		panic(err)
	}
	defer hub.Close(context.Background())
	if err := m.CollectHub(hub); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s", r.PathValue("id"))
	})
	mux.Handle("/ws", hub)
	// Authentication would go between HTTP and Routed.
	handler := m.HTTP(metrics.Routed(mux))

	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/7", nil))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/8", nil))
	hub.Publish(context.Background(), gamekit.Event{Channel: "players", Name: "moved", Data: 1})

	// What Prometheus scrapes, in part.
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		for _, name := range []string{"gamekit_http_request_duration_seconds_count", "gamekit_realtime_clients", "gamekit_realtime_publish_duration_seconds_count"} {
			if strings.HasPrefix(sc.Text(), name) {
				fmt.Println(sc.Text())
			}
		}
	}
	// Output:
	// gamekit_http_request_duration_seconds_count{code="200",method="GET",route="GET /items/{id}"} 2
	// gamekit_realtime_clients 0
	// gamekit_realtime_publish_duration_seconds_count 1
}
