package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/rest"
	"github.com/gamekit/gamekit/storage"
)

// newHost migrates db, gives every user an inventory and a player, makes
// the chat room "global" and the board "points" (each point an admin's
// submit adds), starts the gifts, and returns the server behind the users'
// authentication, measured on reg, and what stops it: the gift tick in
// progress, then the websockets.
func newHost(ctx context.Context, db *bun.DB, users map[string]gamekit.Identity, giftEvery time.Duration, reg prometheus.Registerer) (http.Handler, func(context.Context) error, error) {
	if _, err := storage.Migrate(ctx, db, inventory.Migrations(), enemies.Migrations(), players.Migrations(),
		gifts.Migrations(), leaderboards.Migrations(), chat.Migrations()); err != nil {
		return nil, nil, err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	hub, err := realtime.New(&realtime.Options{ObservePublish: m.ObservePublish})
	if err != nil {
		return nil, nil, err
	}
	items, err1 := inventory.NewSQLStore(db, nil)
	monsters, err2 := enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: hub})
	positions, err3 := players.NewSQLStore(db, &players.StoreOptions{Publisher: hub})
	boards, err4 := leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{Publisher: hub})
	rooms, err5 := chat.NewSQLStore(db, &chat.StoreOptions{Publisher: hub, Users: usernames(users)})
	giver, err6 := gifts.New(db, items, &gifts.Options{Interval: giftEvery, Publisher: hub, OnTick: m.ObserveTick})
	itemAPI, err7 := inventory.NewHandler(items, nil)
	monsterAPI, err8 := enemies.NewHandler(monsters, nil)
	playerAPI, err9 := players.NewHandler(positions, nil)
	boardAPI, err10 := leaderboards.NewHandler(boards, nil)
	chatAPI, err11 := chat.NewHandler(rooms, nil)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11); err != nil {
		return nil, nil, err
	}
	if err := errors.Join(m.CollectHub(hub), m.CollectGifts(giver)); err != nil {
		return nil, nil, err
	}
	if err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error { return addUsers(ctx, tx, hub, users) }); err != nil {
		return nil, nil, err
	}
	if _, err := rooms.EnsurePublicRoom(ctx, "global"); err != nil {
		return nil, nil, err
	}
	points := leaderboards.Board{ID: "points", Operator: leaderboards.Incr}
	if err := boards.CreateBoard(ctx, &points); err != nil && !errors.Is(err, leaderboards.ErrBoardExists) {
		return nil, nil, err
	}
	if err := giver.Start(ctx); err != nil {
		return nil, nil, err
	}
	hub.Channel(enemies.Channel, realtime.Public)
	players.RegisterRealtime(hub, positions)
	leaderboards.RegisterRealtime(hub, boards)
	chat.RegisterRealtime(hub, rooms)
	api := rest.NewAPI("/api")
	api.Mount(itemAPI, "items", "inventories")
	api.Mount(monsterAPI, "monsters")
	api.Mount(playerAPI, "players")
	api.Mount(boardAPI, "leaderboards")
	api.Mount(chatAPI, "chat")
	api.Handle("realtime/ticket", hub.TicketHandler())
	mux := http.NewServeMux()
	api.Register(mux)
	mux.Handle("/ws", hub)
	// Routed goes inside authenticate, which replaces the request, so that
	// metrics see the route the mux matched (see package metrics).
	handler := m.HTTP(authenticate(users, metrics.Routed(mux)))
	return handler, func(ctx context.Context) error { return errors.Join(giver.Stop(ctx), hub.Close(ctx)) }, nil
}
