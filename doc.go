// Package gamekit is an embeddable SDK for the server side of a game. A Go
// program imports the packages it needs and wires them into its own server;
// gamekit never owns main, the users or the router.
//
// # Packages
//
//   - inventory: items and what each player owns, with the REST API of the
//     Django REST framework tutorial, and set-based grants of new items.
//   - enemies: monsters whose state changes only through transitions that
//     are atomic, recorded and announced, with their REST API.
//   - enemies/fsm: a generic, typed finite-state machine, with guards,
//     automatic transitions and its diagram.
//   - players: player positions moved by the server's rules (step, bounds,
//     rate), over REST and the realtime hub.
//   - gifts: a scheduler that gives every player an item each tick, exactly
//     once, across restarts and several server processes.
//   - leaderboards: scored boards with exact ranks, new periods on a
//     schedule with no job to run, scores from the server (or from players
//     through the host's check), over REST and the realtime hub.
//   - chat: public rooms, groups and direct messages whose rules (who reads,
//     posts, moderates), rate limit, blocks and mutes the store enforces,
//     over REST and the realtime hub.
//   - realtime: the websocket hub: channels with rules, routes, tickets, and
//     a Broker to share channels between processes.
//   - realtime/redisbroker: that Broker on Redis, so several server
//     processes serve one set of channels, tickets and presence.
//   - metrics: the hub's, the Redis broker's, the gifts' and storage's
//     figures and HTTP latency by route, for Prometheus; the one package
//     that links its client.
//   - storage: opening a database with the settings the stores need,
//     migrating every package with one call, transactions that retry lost
//     races and announce only after they commit.
//   - storage/sqlite and storage/postgres: the drivers, each linked only by
//     a host that imports it.
//   - storage/storagetest: private, migrated test databases on SQLite and
//     PostgreSQL, for the packages' tests and a host's.
//   - inventory/inventorytest, enemies/enemiestest, players/playerstest,
//     leaderboards/leaderboardstest and chat/chattest: the conformance
//     suite of each package's Store, which its SQLStore passes and a
//     host's own store (or a wrapper of SQLStore) runs too.
//   - rest: serving several packages under /api/ and writing DRF-style
//     JSON, errors included, from a host's own handlers.
//   - examples/server/accounts: users, passwords, tokens and the
//     authentication middleware of the example server, for hosts that want
//     them.
//   - examples/server/admin: the example server's admin pages.
//
// examples/server is a complete backend built from them; examples/host is
// a host in a module of its own, using the public API only.
//
// This package holds the small vocabulary they share, and depends on nothing
// but the standard library.
//
// # Identity
//
// The host authenticates each request as it likes and puts the caller on the
// context with [WithIdentity]. Every handler reads it with [IdentityFrom]
// and applies its own package's rules: who may read, who may write.
//
// # Errors
//
// Every package's errors are of one of a few kinds: [ErrNotFound],
// [ErrConflict], [ErrForbidden], [ErrUnauthenticated], [ErrInvalid] (an
// [*InvalidError] says which fields are wrong) and [ErrRateLimited] (a
// [*RateLimitError] says when to retry). Test them with errors.Is; the HTTP
// layers turn them into 404, 409, 403, 401, 400 and 429.
//
// # Events
//
// Stores announce changes as [Event] values through a [Publisher], after
// their transaction has committed. A host passes each package the
// publisher it wants, or none.
//
// # Wiring
//
// A host opens its database through storage, with the drivers it needs
// imported, migrates every package's tables, builds each package's store
// and handler, and mounts the handlers and the hub behind its own
// authentication:
//
//	import _ "github.com/gamekit/gamekit/storage/sqlite" // and/or storage/postgres
//
//	db, err := storage.Open(ctx, "game.db")
//	_, err = storage.Migrate(ctx, db, inventory.Migrations(), enemies.Migrations(),
//		players.Migrations(), gifts.Migrations())
//
//	hub, err := realtime.New(nil)
//	items, err := inventory.NewSQLStore(db, nil)
//	positions, err := players.NewSQLStore(db, &players.StoreOptions{Publisher: hub})
//	itemAPI, err := inventory.NewHandler(items, nil)
//	playerAPI, err := players.NewHandler(positions, nil)
//	players.RegisterRealtime(hub, positions)
//
//	api := rest.NewAPI("/api")
//	api.Mount(itemAPI, "items", "inventories")
//	api.Mount(playerAPI, "players")
//	api.Handle("realtime/ticket", hub.TicketHandler())
//	api.Register(mux)
//	mux.Handle("/ws", hub)
//	http.ListenAndServe(":8000", yourAuth(mux)) // yourAuth calls gamekit.WithIdentity
//
// examples/host does all of it, with leaderboards, chat and metrics too:
// its host.go, under 100 lines, is the wiring, users.go the host's own
// users and main.go the command. It runs one process; a cluster would add
// a realtime/redisbroker Broker, as examples/server's cluster.go does.
package gamekit
