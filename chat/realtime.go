package chat

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
)

// Route is the realtime route of chat.
const Route = "chat"

// ChannelPattern is the family of room channels, "chat.{room id}", whose
// rule RegisterRealtime sets.
const ChannelPattern = "chat.*"

// ruleTimeout bounds the store lookup of a subscription's rule, which the
// hub's Rule runs without a context of its own.
const ruleTimeout = 5 * time.Second

// RegisterRealtime makes hub serve chat to websocket clients. A client
// subscribes to a room's channel, ChannelOf(id) ("chat.7"), if the store
// lets it read the room: any signed-in client for a public room, members
// for a group or DM (the rule asks the store on every subscribe). On it
// arrive the events EventMessage, EventEdited and EventDeleted, each with
// the Message as data, and EventRoomDeleted. A user's own channel,
// "user.{id}", which every hub has, carries EventJoined and EventLeft, so
// a client learns of the groups and DMs to subscribe to.
//
// Route answers two verbs:
//
//	send     {"room": N, "body": "..."}, or {"to": U, "body": "..."} for a DM
//	         to user U: the message as stored, which also reaches every
//	         subscriber (the sender too, if subscribed) as a "message" event
//	history  {"room": N, "before": M, "since": M, "limit": L}, each but room
//	         optional: a page of history, oldest first (see Store.History)
//
// Errors go back by kind, as over HTTP: bad_request naming "body", "room"
// or "to"; forbidden for a room one may not post in, a mute (the message
// says until when) or a block; not_found; rate_limited with retry_after.
//
// A client that reconnects asks history for what came since the last
// message it saw, page by page, and then subscribes (subscribing first
// and reading history next shows a message at most twice, never misses
// one). The hub's own recovery of missed events is not used yet.
//
// Events reach every subscriber alike: a client hides the messages of
// users it blocked (GET /chat/blocks/), as the store does in history.
func RegisterRealtime(hub *realtime.Hub, store Store) {
	rt := route{store: store}
	hub.Channel(ChannelPattern, rt.rule)
	hub.Handle(Route, "send", rt.send)
	hub.Handle(Route, "history", rt.history)
}

// route answers the verbs of Route.
type route struct {
	store Store
}

// rule lets id subscribe to a room's channel if the store lets them read
// the room.
func (rt route) rule(id gamekit.Identity, channel string) error {
	s, _ := strings.CutPrefix(channel, "chat.")
	room, err := strconv.ParseInt(s, 10, 64)
	if err != nil || room < 1 || strconv.FormatInt(room, 10) != s {
		return gamekit.Errorf(gamekit.ErrNotFound, "chat: no channel %q", channel)
	}
	ctx, cancel := context.WithTimeout(gamekit.WithIdentity(context.Background(), id), ruleTimeout)
	defer cancel()
	_, err = rt.store.Room(ctx, room, id)
	return err
}

func (rt route) send(ctx context.Context, req realtime.Request) (any, error) {
	var args struct {
		Room *int64  `json:"room"`
		To   *int64  `json:"to"`
		Body *string `json:"body"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	bad := &gamekit.InvalidError{}
	if args.Body == nil {
		bad.Add("body", "This field is required.")
	}
	if (args.Room == nil) == (args.To == nil) {
		bad.Add("room", "Give room, or to for a DM.")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if args.To != nil {
		return rt.store.SendDirect(ctx, *args.To, req.Identity, *args.Body)
	}
	return rt.store.Send(ctx, *args.Room, req.Identity, *args.Body)
}

func (rt route) history(ctx context.Context, req realtime.Request) (any, error) {
	var args struct {
		Room   *int64 `json:"room"`
		Before int64  `json:"before"`
		Since  int64  `json:"since"`
		Limit  int    `json:"limit"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if args.Room == nil {
		return nil, gamekit.Invalid("room", "This field is required.")
	}
	return rt.store.History(ctx, *args.Room, req.Identity, HistoryOptions{Before: args.Before, Since: args.Since, Limit: args.Limit})
}
