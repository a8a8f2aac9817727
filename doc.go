// Package gamekit is an embeddable SDK for the server side of a game. A Go
// program imports the packages it needs and wires them into its own server;
// gamekit never owns main, the users or the router.
//
// # Packages
//
//   - inventory: items and what each player owns, with the REST API of the
//     Django REST framework tutorial, and set-based grants of new items.
//   - enemies/fsm: a generic, typed finite-state machine.
//   - examples/server: a complete backend built from the packages, with
//     accounts, the CLI and graceful shutdown; read it as the reference
//     wiring.
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
// Each domain package exports its tables as bun migrations, a store on a
// *bun.DB (SQLite or PostgreSQL) and an http.Handler:
//
//	db := bun.NewDB(sqldb, sqlitedialect.New())
//	migrator := migrate.NewMigrator(db, inventory.Migrations())
//	if err := migrator.Init(ctx); err != nil { ... }
//	if _, err := migrator.Migrate(ctx); err != nil { ... }
//
//	api, err := inventory.NewHandler(inventory.NewSQLStore(db), nil)
//	if err != nil { ... }
//	mux.Handle("/api/", http.StripPrefix("/api", api))
//	http.ListenAndServe(":8000", yourAuth(mux)) // yourAuth calls gamekit.WithIdentity
package gamekit
