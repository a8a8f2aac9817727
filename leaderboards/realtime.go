package leaderboards

import (
	"context"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

// Route is the realtime route of leaderboards.
const Route = "leaderboard"

// RegisterRealtime makes hub serve leaderboards to websocket clients:
// anyone signed in may subscribe to a board's channel, "leaderboard.{id}"
// (see Channel), where the store announces changes in the board's top
// records (EventRecord); a player's rank changes (EventRank) come on their
// own "user.{id}" channel, which the hub keeps private. Route answers two
// verbs, reads only:
//
//	get     {"id": "weekly", "limit": 10, "cursor": "...", "period": N}: a page of
//	        the top, as {"period": {...}, "records": [...], "next": "cursor" or ""}
//	around  {"id": "weekly", "user": 7, "limit": 5, "period": N}: the user's record
//	        (the caller's without "user") and the records above and below
//
// Args are read strictly; errors go back by kind, as over HTTP. Scores are
// submitted over HTTP (see Handler), where the host's CheckSubmit runs.
func RegisterRealtime(hub *realtime.Hub, store Store) {
	hub.Channel(ChannelPrefix+"*", realtime.Public)
	rt := route{store: store}
	hub.Handle(Route, "get", rt.get)
	hub.Handle(Route, "around", rt.around)
}

type route struct {
	store Store
}

// wirePage is a Page on the wire, with its cursor.
type wirePage struct {
	Period  Period   `json:"period"`
	Records []Record `json:"records"`
	Next    string   `json:"next"`
}

func (rt route) get(ctx context.Context, req realtime.Request) (any, error) {
	var args struct {
		ID     *string `json:"id"`
		Limit  int     `json:"limit"`
		Cursor string  `json:"cursor"`
		Period *int64  `json:"period"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if args.ID == nil {
		return nil, gamekit.Invalid("id", "This field is required.")
	}
	p, err := rt.store.Top(ctx, *args.ID, TopOptions{Period: args.Period, Cursor: args.Cursor, Limit: args.Limit})
	if err != nil {
		return nil, err
	}
	return wirePage{Period: p.Period, Records: p.Records, Next: p.Next}, nil
}

func (rt route) around(ctx context.Context, req realtime.Request) (any, error) {
	var args struct {
		ID     *string `json:"id"`
		User   *int64  `json:"user"`
		Limit  int     `json:"limit"`
		Period *int64  `json:"period"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if args.ID == nil {
		return nil, gamekit.Invalid("id", "This field is required.")
	}
	user := req.Identity.UserID
	if args.User != nil {
		user = *args.User
	}
	if user == 0 {
		return nil, gamekit.ErrUnauthenticated
	}
	p, err := rt.store.Around(ctx, *args.ID, user, args.Limit, args.Period)
	if err != nil {
		return nil, err
	}
	return wirePage{Period: p.Period, Records: p.Records, Next: p.Next}, nil
}
