// Package admin is the example server's admin site, Django admin's job for
// gamekit's data: admins sign in, then list, search, sort, add, change and
// delete users, items, inventories, monsters and players, fire monsters'
// transitions, and read an audit trail of every change made here.
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
// # Sessions
//
// Signing in checks the password with accounts.Accounts.Authenticate,
// throttled by username and client address like the API's sign-in, and
// lets admins alone in. The session is an accounts token, issued with
// Options.SessionLifetime and stored by accounts as a hash; the cookie
// ([CookieName]) is HttpOnly, SameSite=Strict, Secure over TLS (always,
// with Options.SecureCookies, behind a proxy that terminates TLS) and
// expires with the token. Signing out revokes the token. Admin rights are read from
// the user at every request, so withdrawing them ends the user's sessions
// at once.
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
// Lists and the inventory's item picker read one page at a time with the
// stores' Limit and Offset, never a whole table. A list without a search is
// counted, its first page and its count read at once; a page past the
// middle of a list is read from the other end in the reverse order, so the
// last page costs what the first does. A search is not counted, since
// counting its matches would read the whole table whatever the page: one
// row more than a page tells whether another follows. Searches list the
// newest rows first, the order the table is stored in.
//
// What the stores' options cannot make fast, the admin cannot either: a
// search is a substring match (LIKE '%text%'), which reads every row until
// it has a page of matches, and an offset costs a walk over the rows it
// skips. BenchmarkMillionItems measures both.
package admin
