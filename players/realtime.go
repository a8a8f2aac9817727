package players

import (
	"context"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage"
)

// Route is the realtime route of players, SwampDragon's "player" router.
const Route = "player"

// RegisterRealtime makes hub serve players to websocket clients: anyone
// signed in may subscribe to Channel, where the store announces every
// change, and Route answers three verbs:
//
//	get_list  args {} or none: every player, by id, at most storage.DefaultLimit (1000),
//	          as a JSON array
//	get       {"id": N}: one player
//	update    {"id": N, "position_x": X, "position_y": Y}: the caller's
//	          move of their player to (X, Y), validated as a move by
//	          Store.MoveTo; the data is the player as saved
//
// Args are read strictly (unknown fields, wrong types and missing ones are
// a bad request). Errors go back by kind, as over HTTP: not_found,
// forbidden for another user's player, invalid input naming position_x
// and position_y, rate limited. The saved move reaches every subscriber as
// an "updated" event with only the id and the position.
//
// It is the realtime counterpart of NewHandler, named so that a host's
// wiring reads as what it is (players.NewHandler for HTTP,
// players.RegisterRealtime for the hub); it registers on the hub rather
// than returning a handler because the hub is the host's, shared by every
// package.
func RegisterRealtime(hub *realtime.Hub, store Store) {
	hub.Channel(Channel, realtime.Public)
	rt := route{store: store}
	hub.Handle(Route, "get_list", rt.list)
	hub.Handle(Route, "get", rt.get)
	hub.Handle(Route, "update", rt.update)
}

// route answers the verbs of Route.
type route struct {
	store Store
}

func (rt route) list(ctx context.Context, req realtime.Request) (any, error) {
	var args struct{}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	players, err := rt.store.Players(ctx, ListOptions{Limit: storage.DefaultLimit})
	if err != nil {
		return nil, err
	}
	if players == nil {
		players = []Player{} // [] on the wire, not null
	}
	return players, nil
}

func (rt route) get(ctx context.Context, req realtime.Request) (any, error) {
	var args struct {
		ID *int64 `json:"id"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if args.ID == nil {
		return nil, gamekit.Invalid("id", "This field is required.")
	}
	p, err := rt.store.Player(ctx, *args.ID)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (rt route) update(ctx context.Context, req realtime.Request) (any, error) {
	if req.Identity.UserID == 0 {
		return nil, gamekit.ErrUnauthenticated
	}
	var args struct {
		ID *int64   `json:"id"`
		X  *float64 `json:"position_x"`
		Y  *float64 `json:"position_y"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	bad := &gamekit.InvalidError{}
	for field, missing := range map[string]bool{"id": args.ID == nil, "position_x": args.X == nil, "position_y": args.Y == nil} {
		if missing {
			bad.Add(field, "This field is required.")
		}
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	p, err := rt.store.MoveTo(ctx, *args.ID, req.Identity.UserID, *args.X, *args.Y)
	if err != nil {
		return nil, err
	}
	return p, nil
}
