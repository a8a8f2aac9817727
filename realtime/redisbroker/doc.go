// Package redisbroker is a realtime.Broker on Redis (7 or later), so that
// several server processes serve one set of channels: a message published
// on any process reaches the subscribers of every process, numbered in one
// sequence per channel, and a client that reconnects to another process
// resumes where it stopped.
//
// It is a package of its own so that hosts that do not use Redis do not
// link its client.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	broker, err := redisbroker.New(rdb, nil)
//	hub, err := realtime.New(&realtime.Options{Broker: broker})
//	...
//	hub.Close(ctx)
//	broker.Close()
//
// See Broker for how it works, and the realtime package for the protocol
// clients see.
package redisbroker
