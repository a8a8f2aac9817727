package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// benchItems is how many items the benchmarks' database holds: what gifts
// accumulate to on a busy server.
const benchItems = 1_000_000

// benchHeld is how many of them alice's inventory holds: a player of many
// days' gifts.
const benchHeld = 10_000

// benchChunk is how many items one statement of benchSeed inserts: a
// million at once outlasts pgdriver's 10-second read timeout on
// PostgreSQL, which updates the trigram index of names as it inserts.
const benchChunk = 100_000

// benchSeed fills the items table set-based, benchChunk rows at a time,
// each an INSERT ... SELECT over a recursive CTE (the same text on both
// databases): gifts named "Gift for userN" for 100 users, weights 0 to
// 99.9, and, every 100,000th, a rare "Guitar N" that a search must find
// among them. alice's inventory gets the last benchHeld items.
func benchSeed(b *testing.B, db *bun.DB, inventoryID int64) {
	b.Helper()
	ctx := context.Background()
	exec := func(query string, args ...any) {
		b.Helper()
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			b.Fatalf("%v\n%s", err, query)
		}
	}
	for first := 1; first <= benchItems; first += benchChunk {
		exec(`WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		INSERT INTO gamekit_items (name, weight)
		SELECT CASE WHEN n % 100000 = 0 THEN 'Guitar ' || n ELSE 'Gift for user' || (n % 100) END, (n % 1000) * 0.1
		FROM seq`, first, first+benchChunk-1)
	}
	exec(`INSERT INTO gamekit_inventory_items (inventory_id, item_id)
		SELECT ?, id FROM gamekit_items WHERE id > (SELECT MAX(id) FROM gamekit_items) - ?`, inventoryID, benchHeld)
	// Statistics, and on PostgreSQL the visibility map, as autovacuum
	// leaves them after a bulk insert: the steady state of a server.
	if db.Dialect().Name() == dialect.PG {
		exec("VACUUM ANALYZE")
	} else {
		exec("ANALYZE")
	}
}

// BenchmarkMillionItems is the admin's pages over a million items, as an
// admin's browser asks for them (in memory: the handler, the stores and
// the database, not the network). Each sub-benchmark is one page; its
// time per op is the page's response time.
func BenchmarkMillionItems(b *testing.B) {
	for _, kind := range []storagetest.Kind{storagetest.File, storagetest.Postgres} {
		b.Run(string(kind), func(b *testing.B) {
			db := storagetest.Open(b, kind, migrations()...)
			e := newEnv(b, db, nil)
			inv, err := e.items.InventoryOfUser(context.Background(), e.alice.ID)
			if err != nil {
				b.Fatal(err)
			}
			benchSeed(b, db, inv.ID)
			if n, err := e.items.CountItems(context.Background(), inventory.ListOptions{}); err != nil || n != benchItems {
				b.Fatalf("%d items, %v; want %d", n, err, benchItems)
			}
			c := e.signIn(b, "root")
			invPath := fmt.Sprintf("/admin/inventories/%d/", inv.ID)
			for _, page := range []struct{ name, path, want string }{
				{"items/first", "/admin/items/", "1–50 of 1000000"},
				{"items/middle", "/admin/items/?page=10000", "499951–500000 of 1000000"},
				{"items/last", "/admin/items/?page=20000", "999951–1000000 of 1000000"},
				{"items/sort=-id", "/admin/items/?sort=-id", "1–50 of 1000000"},
				{"items/sort=name", "/admin/items/?sort=name", "1–50 of 1000000"},
				{"items/sort=name/middle", "/admin/items/?sort=name&page=10000", "499951–500000 of 1000000"},
				{"items/search=common", "/admin/items/?q=user42", "1–50"},
				{"items/search=common/page=100", "/admin/items/?q=user42&page=100", "4951–5000"},
				{"items/search=rare", "/admin/items/?q=guitar", "1–10 of 10"},
				{"items/search=none", "/admin/items/?q=zebra", "None of 0"},
				{"picker/first", invPath, "1–20"},
				{"picker/page=1000", invPath + "?ppage=1000", "19981–20000"},
				{"picker/search=common", invPath + "?pq=user42", "1–20"},
				{"picker/search=rare", invPath + "?pq=guitar", "1–10"},
				{"picker/contents/last", invPath + "?ipage=200", "9951–10000 of 10000"},
				{"inventories/first", "/admin/inventories/", "1–2 of 2"},
				{"dashboard", "/admin/", "1000000"},
			} {
				b.Run(page.name, func(b *testing.B) {
					expect(b, c.get(page.path), http.StatusOK, page.want)
					for b.Loop() {
						if res := c.get(page.path); res.Code != http.StatusOK {
							b.Fatalf("GET %s: %d", page.path, res.Code)
						}
					}
				})
			}
		})
	}
}
