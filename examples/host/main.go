// Command host is a game server built from gamekit's public packages alone,
// in a module of its own: every package on one database, their APIs under
// /api/, the live hub at /ws, a gift for every player every ten seconds.
//
//	go run . -db host.db
//	curl -H 'Authorization: Bearer admin-token' localhost:8000/api/inventories/
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/postgres" // postgres:// URLs
	_ "github.com/gamekit/gamekit/storage/sqlite"   // file paths and :memory:
)

func main() {
	addr, dsn := flag.String("addr", "localhost:8000", "address"), flag.String("db", "host.db", "SQLite file or postgres:// URL")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	db, err := storage.Open(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	handler, stop, err := newHost(ctx, db, demoUsers, 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: authenticate(demoUsers, handler)}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Print(err)
	}
	stop(context.Background())
}

// newHost migrates db, gives every user an inventory and a player, starts
// the gifts, and returns the server (to put behind authentication) and
// what stops it: the gift tick in progress, then the websockets.
func newHost(ctx context.Context, db *bun.DB, users map[string]gamekit.Identity, giftEvery time.Duration) (http.Handler, func(context.Context) error, error) {
	if _, err := storage.Migrate(ctx, db, inventory.Migrations(), enemies.Migrations(), players.Migrations(), gifts.Migrations()); err != nil {
		return nil, nil, err
	}
	hub, err := realtime.New(nil)
	if err != nil {
		return nil, nil, err
	}
	items, err1 := inventory.NewSQLStore(db, nil)
	monsters, err2 := enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: hub})
	positions, err3 := players.NewSQLStore(db, &players.StoreOptions{Publisher: hub})
	itemAPI, err4 := inventory.NewHandler(items, nil)
	monsterAPI, err5 := enemies.NewHandler(monsters, nil)
	playerAPI, err6 := players.NewHandler(positions, nil)
	giver, err7 := gifts.New(db, items, &gifts.Options{Interval: giftEvery, Publisher: hub})
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return nil, nil, err
	}
	if err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error { return addUsers(ctx, tx, hub, users) }); err != nil {
		return nil, nil, err
	}
	if err := giver.Start(ctx); err != nil {
		return nil, nil, err
	}
	hub.Channel(enemies.Channel, realtime.Public)
	players.RegisterRealtime(hub, positions)
	api := rest.NewAPI("/api")
	api.Mount(itemAPI, "items", "inventories")
	api.Mount(monsterAPI, "monsters")
	api.Mount(playerAPI, "players")
	api.Handle("realtime/ticket", hub.TicketHandler())
	mux := http.NewServeMux()
	api.Register(mux)
	mux.Handle("/ws", hub)
	return mux, func(ctx context.Context) error { return errors.Join(giver.Stop(ctx), hub.Close(ctx)) }, nil
}
