// Package inventory keeps the items of a game and what each player owns:
// the tutorial's Item and Inventory, with a REST API a Django REST framework
// client keeps working against.
//
// # Items and inventories
//
// An [Item] has a name (1 to 255 characters) and a weight (finite, at least
// 0 kg). An [Inventory] belongs to one user of the host, whose id and
// username it copies; it holds any number of items, and an item may be in
// any number of inventories. [Item.Validate] holds the rules, and every
// writer, the HTTP API included, goes through it.
//
// # Storage
//
// [Store] is what the handlers need from storage; [SQLStore] implements it
// with bun on SQLite or PostgreSQL. [Migrations] creates its tables. Reads
// and writes are single statements or one transaction each, and updates
// touch only the columns they change, so concurrent requests never lose one
// another's changes. A [SQLStore] built on a bun.Tx joins the caller's
// transaction.
//
// # Grants
//
// [SQLStore.GrantItems] gives every inventory a new item of its own in a few
// set-based statements per batch of thousands, and gives each (key, user) at
// most once: the granted item carries the key. A gift scheduler calls it
// every tick through [SQLStore.Grant].
//
// # HTTP
//
// [Handler] serves /items/ and /inventories/ with the tutorial's JSON,
// statuses and rules: anyone reads items, signed-in players read only their
// own inventory, admins write. It reads the caller from the request context
// ([github.com/gamekit/gamekit.IdentityFrom]); the host authenticates.
// /inventories/{id}/items/ pages through an inventory's items for clients
// that do not want every id of a large one at once.
//
// # Caching
//
// Reads are answered from memory while the database says nothing changed,
// whichever process changed it. Every transaction that changes items moves
// [Store.ItemsVersion] on, and the item list is replayed while it stays
// the same. Every transaction that changes what an inventory's JSON shows
// (items added or removed, a grant, a move to another user, the deletion
// of an item it held) moves the inventory's version ([InventoryHead]) on,
// and a player's inventory is served from a copy while its version is the
// one the copy was read at: one point read and the writing of its bytes,
// however many items it holds. SQLStore keeps the versions it read while
// the database shows no commit since (storage.Memo): on a SQLite file, a
// read between two commits costs no query at all.
package inventory
