// Command host is a game server built from gamekit's public packages alone,
// in a module of its own: every package on one database (inventory,
// enemies, players, gifts, leaderboards, chat), their APIs under /api/, the
// live hub at /ws, a gift for every player every ten seconds, and
// Prometheus metrics on a listener of their own.
//
//	go run . -db host.db -metrics-addr localhost:9090
//	curl -H 'Authorization: Bearer admin-token' localhost:8000/api/inventories/
//
// host.go, under 100 lines, is the whole wiring: newHost. users.go holds
// the host's own users and their authentication; this file, main, parses
// the flags, opens the database and serves.
//
// One process keeps the realtime hub's channels to itself. Several
// processes on one PostgreSQL database would share them through a broker:
// a realtime/redisbroker Broker in realtime.Options.Broker (examples/server's
// cluster.go does that with -redis).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/postgres" // postgres:// URLs
	_ "github.com/gamekit/gamekit/storage/sqlite"   // file paths and :memory:
)

func main() {
	addr, dsn := flag.String("addr", "localhost:8000", "address"), flag.String("db", "host.db", "SQLite file or postgres:// URL")
	metricsAddr := flag.String("metrics-addr", "", "address of /metrics, a private one (off when empty)")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	db, err := storage.Open(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	handler, stop, err := newHost(ctx, db, demoUsers, 10*time.Second, reg)
	if err != nil {
		log.Fatal(err)
	}
	if *metricsAddr != "" {
		// Metrics say how many play and how the server struggles: they go to
		// the operator's scraper, never through the game's own address.
		go func() { log.Print(http.ListenAndServe(*metricsAddr, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))) }()
	}
	srv := &http.Server{Addr: *addr, Handler: handler}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Print(err)
	}
	stop(context.Background())
}
