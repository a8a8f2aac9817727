package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
	"github.com/gamekit/gamekit/storage"
)

// cluster joins this process to the other server processes of one game:
// with -redis, the realtime hub publishes through a Redis broker, so a
// channel's events reach the subscribers of every process, numbered in one
// sequence, and tickets and presence are shared. Everything else the
// processes share already lives in the database (accounts, positions, the
// gift lease, dated by the database's clock), so several processes on one
// PostgreSQL database and one Redis behave as one server.
//
// Without -redis the zero cluster keeps everything in this process, as
// one server alone needs.
type cluster struct {
	rdb    *redis.Client       // nil without -redis
	broker *redisbroker.Broker // nil without -redis
}

// pingTimeout bounds how long a start waits for Redis to answer.
const pingTimeout = 5 * time.Second

// joinCluster connects to the Redis at url (redis://host:port/db), if
// one is given, and says in the log whether the hub is in process or in
// a cluster. A Redis that does not answer fails the start: a server that
// went on alone would split the game in two. Close the cluster after the
// hub.
func joinCluster(url, prefix string, logger *slog.Logger) (*cluster, error) {
	if url == "" {
		logger.Info("realtime in process: channels, tickets and presence are this server's alone (-redis joins a cluster)")
		return &cluster{}, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("-redis %s: %w", storage.Redact(url), err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("-redis %s: %w", storage.Redact(url), err)
	}
	broker, err := redisbroker.New(rdb, &redisbroker.Options{Prefix: prefix, Logger: logger})
	if err != nil {
		rdb.Close()
		return nil, err
	}
	logger.Info("realtime through Redis: channels, tickets and presence are shared with every server on it",
		"redis", storage.Redact(url), "prefix", prefix)
	return &cluster{rdb: rdb, broker: broker}, nil
}

// hubBroker is the broker a hub of this process publishes through: nil,
// the hub's own LocalBroker, outside a cluster.
func (c *cluster) hubBroker() realtime.Broker {
	if c.broker == nil {
		return nil
	}
	return c.broker
}

// close stops the broker, then closes its Redis client; the hubs on it
// must be closed first. It is safe to call on the zero cluster and more
// than once.
func (c *cluster) close() error {
	if c.broker == nil {
		return nil
	}
	err := errors.Join(c.broker.Close(), c.rdb.Close())
	c.broker, c.rdb = nil, nil
	if err != nil {
		return fmt.Errorf("leave the cluster: %w", err)
	}
	return nil
}
