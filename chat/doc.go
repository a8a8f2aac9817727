// Package chat lets players talk: public rooms, groups and direct
// messages, persisted and delivered live, with the rules — who may read,
// post, edit, delete, manage members and moderate — enforced by the store,
// so no client and no handler can get around them, however many server
// processes share the database.
//
// # Rooms
//
// A [Room] is [Public] (created by an admin or the host, with
// [SQLStore.EnsurePublicRoom] at start; anyone signed in reads and posts),
// a [Group] (created by a user, its owner and first member; the owner or
// an admin adds and removes members, a member may leave; at most
// [StoreOptions.MaxMembers], 1,000) or [Direct], a DM between two users,
// one room per pair, created by [SQLStore.SendDirect] on their first
// message. Admins read every room but post only where they belong.
//
// # Messages
//
// A [Message] has an id, its room, the sender's id and username (from the
// identity they posted with, never from the client's body), the body, when
// it was created, edited and deleted. Bodies are trimmed and must be 1 to
// [StoreOptions.MaxBodyLength] characters (2,000) of valid UTF-8 with no
// control character but newline and tab. The sender edits and deletes;
// an admin deletes too. A deletion leaves the message in history with an
// empty body: the sender's erases it, a moderator's keeps it for
// moderators alone ([HistoryOptions.Moderation]).
//
// Each user may send [StoreOptions.Rate] messages a second in each room
// (5), [StoreOptions.Burst] at once (10): a generic cell rate algorithm
// whose state is one row per user and room, spent by one conditional
// upsert in the send's transaction, so the limit holds across processes.
// Over it, Send fails with a *gamekit.RateLimitError saying when to
// retry.
//
// # History and reconnecting
//
// [SQLStore.History] pages backward from the latest message or from
// HistoryOptions.Before, and forward from HistoryOptions.Since, 50
// messages by default, oldest first in each page. A send locks its room's
// row before its message gets an id, so the ids of a room commit in order
// on PostgreSQL as on SQLite: a client that reconnects asks for the
// messages since the last it saw and misses none. (The realtime hub's own
// recovery of missed events is being built; until it is, history is how
// a client catches up.)
//
// # Blocks and mutes
//
// A user blocks another ([SQLStore.Block]): no DM passes between them
// either way, and the blocked user's messages are left out of the
// blocker's history. Live events go to every subscriber of a room alike —
// filtering each delivery per subscriber would cost the hub a lookup per
// client per message — so a client hides what it receives from the users
// in its block list (GET /chat/blocks/).
//
// An admin mutes a user in a room, or everywhere, until a time
// ([SQLStore.Mute]); a muted user's sends and edits fail with a
// [*MutedError], of kind gamekit.ErrForbidden, saying until when.
// [SQLStore.Mutes] lists them for the admin's pages.
//
// # Storage
//
// [Store] is what the handlers and the realtime route need; [SQLStore]
// implements it with bun on SQLite or PostgreSQL, and [Migrations]
// creates its tables, gamekit_chat_*. The package chattest is the
// conformance suite a host's own Store passes.
//
// # Events
//
// After each committed change the store announces it through the
// gamekit.Publisher in [StoreOptions], usually the realtime hub: on the
// room's channel, [ChannelOf] ("chat.7"), [EventMessage], [EventEdited]
// and [EventDeleted] with the message, and [EventRoomDeleted]; on the
// user's own channel ("user.{id}"), [EventJoined] and [EventLeft] with
// the room, so a client knows which channels to subscribe to.
//
// # HTTP and realtime
//
// [Handler] serves /chat/ (rooms, messages, members, DMs, blocks and the
// admin's mutes; see its documentation for the routes and JSON).
// [RegisterRealtime] sets the rule of the channels "chat.*" — members
// only for groups and DMs, asked of the store on every subscribe — and
// serves the route "chat" with the verbs send and history. Both read the
// caller from the identity the host established
// ([github.com/gamekit/gamekit.IdentityFrom]).
//
// A host wires it so:
//
//	store, err := chat.NewSQLStore(db, &chat.StoreOptions{Publisher: hub, Users: users})
//	global, err := store.EnsurePublicRoom(ctx, "global")
//	h, err := chat.NewHandler(store, nil)
//	api.Mount(h, "chat") // a rest.API on /api
//	chat.RegisterRealtime(hub, store)
package chat
