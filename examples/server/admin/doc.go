// Package admin is the example server's admin site, Django admin's job for
// gamekit's data: admins sign in, then list, search, sort, add, change and
// delete users, items, inventories, monsters and players, fire monsters'
// transitions, reset leaderboards, moderate chat, and read an audit trail
// of every change made here.
//
// # Wiring
//
// The host builds an [Admin] from its stores and mounts it at
// Options.Prefix ("/admin" by default), and runs [Migrations] with every
// other package's:
//
//	adm, err := admin.New(&admin.Options{
//		Accounts: acc, Inventory: items, Monsters: monsters, Players: players, DB: db,
//		Gifts: scheduler, // or nil when gifts are off
//		RealtimeClients: func() int { return hub.Stats().Clients },
//	})
//	if err != nil { ... }
//	mux.Handle("/admin/", adm)
//	mux.Handle("/admin", adm)
//
// Every page goes through the packages' Store interfaces and their list
// options, and through their validation: a form that breaks a rule shows
// the store's message next to the field, with what was typed kept.
//
// # Chat and leaderboards
//
// Options.Leaderboards and Options.Chat, when given, add their pages (a
// host without them keeps the admin it had). Leaderboards: the boards,
// searchable by id; a board's settings, its current period and its
// records best first, or those of a past period by its id; a reset, which
// ends the current period now and deletes nothing; a delete. Chat: the
// rooms, searchable by name and filtered by kind; a room as a moderator
// reads it, the text of messages a moderator deleted included; a delete
// button on each message; mutes of a user in a room or in every room,
// until a time or for a while, and unmutes. Each change is in the audit
// trail: a board by its id (AuditEntry.ObjectKey), a deleted message
// under its room with its text before and after, a mute or unmute under
// the user.
//
// # Sessions
//
// Signing in checks the password with accounts.Accounts.Authenticate,
// throttled by username and client address like the API's sign-in, and
// lets admins alone in. The session is an accounts token of
// Options.SessionLifetime (accounts.Accounts.IssueTokenFor), stored by
// accounts as a hash; the cookie ([CookieName]) is HttpOnly,
// SameSite=Strict, Secure over TLS (always, with Options.SecureCookies,
// behind a proxy that terminates TLS) and expires with the token. Signing
// out revokes the token. Admin rights are read from the user at every
// request, so withdrawing them ends the user's sessions at once.
//
// # Safety
//
// Every request that is not GET, HEAD or OPTIONS passes Go's
// http.CrossOriginProtection: a form posted from another site is refused
// with 403, and no GET handler changes anything. Pages are html/template,
// without scripts or external assets; their content security policy
// allows only their own inline style sheet, and they cannot be framed.
//
// # Audit
//
// Every change made through the admin (and every sign-in and sign-out) is
// an [AuditEntry]: who, when, what, and the object before and after as
// JSON, listed newest first on the audit page and by [Admin.Audit]. The
// stores own their transactions, so an entry is written just after its
// change commits; one that cannot be written is logged with its content.
//
// # Large tables
//
// Lists, an inventory's contents (inventory.ListOptions.InventoryID) and
// the inventory's item picker read one page at a time with the stores'
// Limit and Offset, never a whole table. A list without a search is
// counted, its first page and its count read at once; a page past the
// middle of a list is read from the other end in the reverse order, so the
// last page costs what the first does. A search is not counted, since
// counting a common word's matches reads every one of them whatever the
// page, nor is the picker, whose count would be of every item: one row more
// than a page tells whether another follows. Searches list the newest rows
// first, the order the table is stored in.
//
// What the stores' options cannot make fast, the admin cannot either.
// A search is a substring match ignoring case (LIKE on SQLite, ILIKE on
// PostgreSQL): PostgreSQL finds item names in their trigram index, but
// SQLite reads every row until it has a page of matches, so a rare word,
// or none, reads the whole table (about 120 ms for a million items). An
// offset costs a walk over the sort's index (weight, name or id) up to the
// page, never over the table's rows (database.PageByKey). With 1,000,000
// items every page measured by BenchmarkMillionItems answers in under
// 150 ms on both databases.
package admin
