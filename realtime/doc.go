// Package realtime is gamekit's websocket hub: clients subscribe to
// channels and receive what packages publish there, and send requests to
// routes that packages register, over one JSON protocol. It is built on
// github.com/olahol/melody and hides it.
//
// # Wiring
//
// A host makes one Hub, registers routes and channel rules, mounts it and
// its ticket endpoint, and hands it to stores as their gamekit.Publisher:
//
//	hub, err := realtime.New(nil)
//	hub.Channel("monsters", realtime.Public)
//	players.RegisterRealtime(hub, playerStore)
//	mux.Handle("/ws", hub)
//	mux.Handle("POST /api/realtime/ticket/", hub.TicketHandler())
//	monsters := enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: hub})
//	srv.RegisterOnShutdown(func() { hub.Close(ctx) })
//
// # Identity
//
// The caller is fixed when the connection is upgraded. Browsers cannot set
// headers on a websocket, and an access token in a URL ends up in logs,
// so a page asks for a ticket (POST with its token, see TicketHandler)
// and connects to /ws?ticket=...; a ticket is good for one connection
// within 30 s, on any process sharing the hub's TicketStore. Other clients may send an Authorization header, which the
// host's authentication reads. An upgrade without identity is answered
// 401 and never upgraded.
//
// Origins are checked deliberately (melody allows every origin): by
// default a browser page may connect only from the hub's own origin.
// Options.CheckOrigin widens that for a game served from elsewhere.
//
// # Protocol
//
// Every message is one JSON object. A request carries an id, echoed in its
// reply:
//
//	→ {"id":1,"verb":"subscribe","channel":"players"}
//	← {"id":1,"ok":true,"data":{"epoch":"9c0f2a71be04","seq":41}}
//	→ {"id":2,"route":"player","verb":"get_list"}
//	← {"id":2,"ok":true,"data":[{"id":1,"user":1,"position_x":0,"position_y":0}]}
//	→ {"id":3,"route":"player","verb":"update","args":{"id":1,"position_x":1,"position_y":0}}
//	← {"id":3,"ok":false,"error":{"code":"forbidden","message":"..."}}
//
// Subscribed clients receive events, numbered per channel so a client can
// notice a gap:
//
//	← {"channel":"players","event":"updated","seq":42,"data":{"id":1,"position_x":1,"position_y":0}}
//
// Verbs without a route are subscribe, unsubscribe and presence (see
// Presence below).
//
// Error codes are bad_request (also for a message that is not valid JSON,
// after which the connection stays open), unauthorized, forbidden,
// not_found (no such route, verb or channel), conflict, rate_limited
// (with "retry_after" in seconds) and internal. A bad_request from field
// validation carries "fields", as the HTTP API does. Requests and their
// args are read as strictly as the HTTP API's bodies (rest.Unmarshal):
// keys match exactly, so "ID" is not "id"; a key given twice, invalid
// UTF-8, a lone surrogate (\ud800) or a NUL (\u0000) is a bad_request,
// which echoes the request's "id" when one can be read.
//
// Channels need a rule (Hub.Channel) before anyone may subscribe. Every hub
// has "user.*": "user.7" is user 7's private channel, refused to others.
//
// # Limits and slow clients
//
// A user may have MaxConnsPerUser connections open at once (10), and one
// client address MaxConnsPerAddress (100; by default rest.ClientKey, the
// host of RemoteAddr with an IPv6 address counted by its /64, see
// Options.ClientAddress for hosts behind a proxy). An upgrade over either
// cap is refused with 429 and a JSON {"detail": ...} naming the cap, and
// counted in Stats.RefusedConnections; a connection frees its slot when
// it ends. The caps count the connections of one hub, in one process: a
// cluster of N processes behind a load balancer lets a user or an address
// have up to N times as many.
//
// A message larger than Options.MaxMessageSize (64 KiB) closes the
// connection with 1009; more than MessageRate per second (20, bursts of 40)
// are answered rate_limited, each message counting, even one that is not
// JSON. A client that ignores rate_limited is flooding. Each message
// answered rate_limited adds one to a count and each answered message
// takes one off; the message that takes the count past FloodLimit (50) is
// not answered, and the connection is closed with ClosePolicyViolation
// (1008) and counted in Stats.FloodDisconnects. So a client that keeps
// sending at more than twice its rate is closed however many of its
// messages get through: at k times the rate, within (MessageBurst +
// FloodLimit) × k/(k−2) messages, about 110 in half a second at 200
// messages/s. A burst answered rate_limited and followed by messages
// within the rate is forgiven. A binary message is answered
// bad_request: the protocol is JSON text.
//
// Each client has a send buffer of SendBuffer messages (64). melody drops a
// message silently when a session's buffer is full; the hub never lets that
// happen. It counts what it queues, and a delivery to a full buffer waits
// for room (so a burst is paced by the clients that keep up) for at most
// SlowTimeout (250 ms). A client whose buffer stays full that long cannot
// keep up: it leaves every channel at once, is counted in
// Stats.SlowDisconnects, and is sent close code CloseSlowConsumer (4000) as
// a control frame, around its full buffer, so the frame is the next thing
// on the wire after the event being written. Nothing more is written to
// it, its requests are no longer answered, and the hub half-closes the
// connection after the frame and keeps it open until the client answers
// or WriteTimeout (10 s) passes, so what the client then sends cannot
// make the connection reset under the events still queued for it.
//
// What such a client sees therefore depends on when it reads again. If
// it resumes within about WriteTimeout, it reads a gapless run of whole events,
// then the close code 4000. If it resumes later, the hub has usually
// given up the event it was writing (its write timed out, perhaps half
// done) and closed the connection without a close frame: the client
// reads a gapless run of whole events, then the connection ends
// abnormally (1006 in a browser; an unexpected EOF, or a reset if the
// operating system dropped the abandoned connection meanwhile). It never sees an event
// after a gap. Every other client keeps receiving everything.
//
// Pings every PingPeriod (30 s) drop connections that have died without
// closing.
//
// # Positions and recovery
//
// A channel's position is {"epoch","seq"}: seq numbers its events 1, 2,
// 3, ... within an epoch, and the epoch changes when the channel's history
// is lost (a restarted Redis, say), so a position is never mistaken for one
// of another history. Every subscribe reply carries the channel's position
// at that moment; the events after it follow.
//
// A client that lost its connection resubscribes with the position of the
// last event it received:
//
//	→ {"id":7,"verb":"subscribe","channel":"players","since":{"epoch":"9c0f2a71be04","seq":42}}
//	← {"id":7,"ok":true,"data":{"epoch":"9c0f2a71be04","seq":57,"recovered":true}}
//	← {"channel":"players","event":"updated","seq":43,"data":...}
//	   ... 44 to 57, then live events from 58
//
// With "recovered":true the events it missed come first, in order, then
// live ones, none missing and none twice, even while publishing goes on
// (live events are buffered while the history is read, then merged by
// seq). When they are no longer kept (the broker keeps each channel's last
// 200 events for 2 minutes by default, see HistoryOptions) or the epoch has
// changed, the reply is "recovered":false with the position now: the
// client reloads its state (over the HTTP API, say) and goes on from
// there. Stats counts both outcomes.
//
// # Lost events
//
// A hub delivers each channel's events without a gap: if its broker
// could not hand it some (its Redis connection was lost and made again, or
// the hub fell too far behind), it reads them from the history before the
// next. If they are gone, it tells every subscriber instead of skipping
// silently:
//
//	← {"channel":"players","lost":{"epoch":"9c0f2a71be04","seq":57}}
//
// which says: events of players up to seq 57 of that epoch that you have
// not received will not come; reload; the next event is 58. A lost notice
// has no "event", so a client that dispatches on it does not mistake it
// for one. Stats.Lost counts them.
//
// # Presence
//
// A channel registered with ChannelWith and ChannelOptions.Presence keeps
// who is subscribed, on every process sharing the hub's Presence (the
// broker's, by default). Whoever may subscribe may ask:
//
//	→ {"id":8,"verb":"presence","channel":"lobby"}
//	← {"id":8,"ok":true,"data":[{"id":1,"username":"alice"},{"id":2,"username":"bob"}]}
//
// each user once, by id, however many connections they have. With
// ChannelOptions.JoinLeave the channel also announces each connection
// that subscribes and each that unsubscribes or disconnects:
//
//	← {"channel":"lobby","event":"join","seq":12,"data":{"id":1,"username":"alice"}}
//	← {"channel":"lobby","event":"leave","seq":13,"data":{"id":1,"username":"alice"}}
//
// A process that dies announces no leave; with the Redis broker its
// members drop out of presence within its PresenceTTL (60 s by default).
//
// # Brokers
//
// Publishing goes through a Broker, which numbers messages, keeps each
// channel's recent history, and hands them to every hub listening.
// LocalBroker, the default, does so within the process. The Redis broker
// (package realtime/redisbroker, a package of its own so hosts without
// Redis do not link its client) lets several server processes serve one
// set of channels: one sequence per channel across processes, history,
// tickets that redeem once on any process, and presence. Hubs on one
// broker share tickets and presence through it unless Options.Tickets or
// Options.Presence say otherwise:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	broker, err := redisbroker.New(rdb, nil)
//	hub, err := realtime.New(&realtime.Options{Broker: broker})
//
// # Shutdown
//
// Close sends every client 1001 (going away) and returns when every
// connection has ended. http.Server.Shutdown does not wait for websocket
// connections, so register Close with RegisterOnShutdown, or call it after
// Shutdown.
package realtime
