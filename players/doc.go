// Package players keeps the players of a game — the tutorial's Player, a
// user's character with a position — and moves them with the server as the
// authority: a client asks to move, and the database decides, in one
// statement, whether the move is allowed, so no client can walk through a
// wall, teleport, move another user's player or flood the game with moves,
// however many server processes share the database.
//
// # Players
//
// A [Player] belongs to a user of the host (a user may own several) and has
// a position, [Player.X] and [Player.Y]. The host sets the owner's id and
// username when it creates the player; the JSON is the tutorial's,
// {"id":1,"user":1,"position_x":0,"position_y":0}, without the username.
//
// # Moves
//
// [SQLStore.Move] moves a player by (dx, dy) and [SQLStore.MoveTo] to a
// position, for a user. Either is refused, never clamped, unless:
//
//   - the user owns the player ([ErrNotOwner] otherwise, forbidden);
//   - each coordinate changes by at most [StoreOptions.Step] (1), and
//     the new position is finite and no farther from 0 than
//     [StoreOptions.Bound] (1000) on each axis (an *gamekit.InvalidError
//     naming the fields);
//   - the player has made fewer than [StoreOptions.Rate] (10) moves in the
//     current one-second window (a *gamekit.RateLimitError whose
//     RetryAfter is the time until the window ends).
//
// The rate limit counts at most Rate moves in each one-second window, a
// window opening at the first move after the previous one ended: the row
// keeps the window's start (Unix milliseconds) and its count, and a move at
// now opens a new window when now >= start + 1s, or else is allowed while
// the count is below Rate. A client can still make nearly 2×Rate moves in
// a moment that straddles the end of a window, but never more than Rate in
// one window, and never more than 2×Rate in any second.
//
// Everything that depends on the stored player — owner, step, bounds, rate
// — is checked inside one conditional UPDATE ... WHERE ... RETURNING that
// also writes the move (Move adds to the stored position), so the rules
// hold across processes and concurrent moves neither lose one another nor
// share the last slot of a window. Only a refused move costs a second
// statement: the store reads the player once to say why, in the errors
// above, and tries again (a few times, then [ErrConcurrentMove]) if a
// concurrent move changed the player in between so that nothing is wrong
// with it any more. [SQLStore.SetPosition] is the admin's move, limited by
// the bounds alone.
//
// # Storage
//
// [Store] is what the handlers need from storage; [SQLStore] implements it
// with bun on SQLite or PostgreSQL, and [Migrations] creates its table,
// gamekit_players. Lists page, filter by user, search usernames and sort
// ([ListOptions]), for the API and the host's admin pages.
//
// # Events
//
// After each committed change, a store built on a *bun.DB announces it on
// [Channel] ("players") through the gamekit.Publisher in [StoreOptions],
// usually the realtime hub: [EventUpdated] after every move, with only the
// id and the new position as Data (a [Position]), as SwampDragon published
// only a model's published fields; [EventCreated] with the player;
// [EventDeleted] with its id. A refused or failed change announces nothing.
//
// # HTTP and realtime
//
// [Handler] serves /players/: anyone lists and reads players, and the owner
// moves one with POST /players/{id}/move/ {"dx":1,"dy":0}; refusals are
// 400, 401, 403, 404 and 429 with Retry-After. [RegisterRealtime] serves
// the same players over the realtime hub: the channel "players" and the
// route "player" with the verbs get_list, get and update, which moves the
// caller's player to a position. Both read the caller from the identity
// the host established ([github.com/gamekit/gamekit.IdentityFrom]).
package players
