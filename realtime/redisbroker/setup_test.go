package redisbroker_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// redisAddr is the Redis the tests use: GAMEKIT_REDIS_ADDR, or the local
// one.
func redisAddr() string {
	if addr := os.Getenv("GAMEKIT_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// cluster is a key prefix of its own on the test Redis, standing for one
// game's servers: every broker made by it shares channels with the others.
type cluster struct {
	prefix string
}

// newCluster skips the test if Redis is not answering (fails it if
// GAMEKIT_REQUIRE_REDIS=1), and deletes the cluster's keys when the test
// ends.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	c := &cluster{prefix: "gamekit-test:" + realtime.NewEpoch() + ":"}
	rdb := c.client(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if os.Getenv("GAMEKIT_REQUIRE_REDIS") == "1" {
			t.Fatalf("Redis at %s: %v (GAMEKIT_REQUIRE_REDIS=1)", redisAddr(), err)
		}
		t.Skipf("Redis at %s is not answering (%v); set GAMEKIT_REQUIRE_REDIS=1 to fail instead", redisAddr(), err)
	}
	t.Cleanup(func() { c.forget(t) })
	return c
}

// client is a new Redis client, as a process has, closed when the test
// ends; name names its connections.
func (c *cluster) client(t testing.TB, name string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), ClientName: name})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// broker is a broker of the cluster on a client of its own, closed when
// the test ends (after the hubs on it, registered later).
func (c *cluster) broker(t testing.TB, name string, opts redisbroker.Options) *redisbroker.Broker {
	t.Helper()
	opts.Prefix = c.prefix
	b, err := redisbroker.New(c.client(t, name), &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// brokers are two brokers of one cluster, as realtimetest wants them.
func (c *cluster) brokers(t *testing.T, history realtime.HistoryOptions) (realtime.Broker, realtime.Broker) {
	opts := redisbroker.Options{History: history}
	return c.broker(t, "", opts), c.broker(t, "", opts)
}

// forget deletes every key of the cluster, as a Redis restarted without
// persistence would have lost them.
func (c *cluster) forget(t testing.TB) {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr()})
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, c.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("deleting the test's keys: %v", err)
	}
}
