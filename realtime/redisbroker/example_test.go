package redisbroker_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

// A server process joins the cluster by giving its hub a Redis broker:
// events published on any process reach the subscribers of all of them,
// in one sequence per channel; tickets redeem on any process; presence
// spans them all. (Not run: it needs a Redis.)
func Example() {
	opts, err := redis.ParseURL("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	broker, err := redisbroker.New(rdb, &redisbroker.Options{
		// Keep more of the busy channel, less of the private ones.
		Histories: map[string]realtime.HistoryOptions{
			"players": {Size: 1000, TTL: 5 * time.Minute},
			"user.*":  {Size: 20},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer broker.Close() // after the hub's Close, deferred below

	hub, err := realtime.New(&realtime.Options{Broker: broker})
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close(context.Background())
	hub.Channel("players", realtime.Public)
	hub.ChannelWith("lobby", realtime.Public, &realtime.ChannelOptions{Presence: true, JoinLeave: true})

	mux := http.NewServeMux()
	mux.Handle("/ws", hub)
	mux.Handle("POST /api/realtime/ticket/", hub.TicketHandler())
	srv := &http.Server{Addr: ":8000", Handler: mux}
	srv.RegisterOnShutdown(func() { hub.Close(context.Background()) })
	log.Fatal(srv.ListenAndServe())
}
