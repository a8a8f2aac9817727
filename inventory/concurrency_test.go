package inventory_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// 64 goroutines perform 10,000 operations, each adding a distinct item to
// one of a few shared inventories: every item must end up linked exactly
// once, and no operation may fail, in particular not with SQLite's
// "database is locked", on an in-memory database, a WAL file (as a server
// runs) and PostgreSQL.
func TestConcurrentAddsLoseNothing(t *testing.T) {
	const (
		workers     = 64
		operations  = 10_000
		inventories = 8
	)
	kinds := []storagetest.Kind{storagetest.Memory, storagetest.File, storagetest.Postgres}
	storagetest.RunOn(t, kinds, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := storagetest.Must(inventory.NewSQLStore(db, nil))
		var invs []int64
		for i := range inventories {
			invs = append(invs, mustInventory(t, s, int64(i+1), fmt.Sprintf("user%d", i+1)).ID)
		}
		items := make([]inventory.Item, operations)
		for i := range items {
			items[i] = inventory.Item{Name: fmt.Sprintf("item %d", i), Weight: 1}
		}
		for chunk := range slicesChunk(items, 1000) {
			if _, err := db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}

		retriesBefore := storage.Retries()
		ops := make(chan int)
		errs := make(chan error, operations)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := range ops {
					if err := s.AddItems(ctx, invs[i%inventories], items[i].ID); err != nil {
						errs <- err
					}
				}
			})
		}
		for i := range operations {
			ops <- i
		}
		close(ops)
		wg.Wait()
		close(errs)
		for err := range errs {
			if strings.Contains(err.Error(), "locked") {
				t.Errorf("SQLite lock error: %v", err)
			} else {
				t.Errorf("add failed: %v", err)
			}
		}

		var linked int
		if err := db.NewSelect().Table("gamekit_inventory_items").ColumnExpr("count(*)").Scan(ctx, &linked); err != nil {
			t.Fatal(err)
		}
		if linked != operations {
			t.Errorf("links: got %d, want %d", linked, operations)
		}
		for i, id := range invs {
			inv, err := s.Inventory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if want := operations / inventories; len(inv.Items) != want {
				t.Errorf("inventory %d: got %d items, want %d", i, len(inv.Items), want)
			}
		}
		t.Logf("%d operations by %d goroutines: %d links, %d transactions retried after losing to a concurrent one",
			operations, workers, linked, storage.Retries()-retriesBefore)
	}, inventory.Migrations())
}

// slicesChunk yields consecutive chunks of s of at most n elements.
func slicesChunk[T any](s []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			m := min(n, len(s))
			if !yield(s[:m]) {
				return
			}
			s = s[m:]
		}
	}
}
