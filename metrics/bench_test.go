package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// BenchmarkItemsList is inventory's BenchmarkItemsList (1,000 items read
// by anyone, over loopback keep-alive connections) through a host's
// wiring, without metrics and with them (HTTP around authentication,
// Routed around the mux, a scrape ten times a second). Only the ratio of
// the two, in one run, means anything on a noisy machine:
//
//	go test -run '^$' -bench ItemsList -count 5 ./metrics/
func BenchmarkItemsList(b *testing.B) {
	const n = 1000
	db := storagetest.Open(b, storagetest.File, inventory.Migrations())
	if _, err := db.ExecContext(context.Background(), `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_items (name, weight) SELECT printf('Item %04d', n), (n % 40) * 0.25 FROM seq`, n); err != nil {
		b.Fatal(err)
	}
	h, err := inventory.NewHandler(storagetest.Must(inventory.NewSQLStore(db, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	api := rest.NewAPI("/api")
	api.Mount(h, "items", "inventories")
	mux := http.NewServeMux()
	api.Register(mux)

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name string
		h    http.Handler
	}{
		{"plain", apitest.WithCallers(mux)},
		{"metrics", m.HTTP(apitest.WithCallers(metrics.Routed(mux)))},
	} {
		srv := httptest.NewServer(v.h)
		b.Cleanup(srv.Close)
		srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
		b.Run(v.name, func(b *testing.B) {
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						reg.Gather()
					}
				}
			}()
			defer func() { close(stop); <-done }()
			benchGet(b, srv, "/api/items/")
		})
	}
}

func benchGet(b *testing.B, srv *httptest.Server, path string) {
	client := srv.Client()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(srv.URL + path)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || err != nil {
				b.Errorf("GET %s: %d %v", path, res.StatusCode, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkMiddleware is what HTTP and Routed add to one request, in
// memory, without the network or a database to hide it: a mux with a
// pattern route and authentication that replaces the request, bare and
// wrapped.
func BenchmarkMiddleware(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":1}`)
	})
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name string
		h    http.Handler
	}{
		{"plain", apitest.WithCallers(mux)},
		{"metrics", m.HTTP(apitest.WithCallers(metrics.Routed(mux)))},
	} {
		b.Run(v.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/items/7", nil)
			req.Header.Set("Authorization", apitest.As("alice"))
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				w.Body.Reset()
				v.h.ServeHTTP(w, req)
			}
		})
	}
}
