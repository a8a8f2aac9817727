package inventory_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/inventory/inventorytest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on every kind of
// test database.
func TestSQLStore(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			inventorytest.TestStore(t, storagetest.Stores(kind, newSQLStore, inventory.Migrations()))
		})
	}
}

// newSQLStore is NewSQLStore as the suite's stores: the Store interface.
func newSQLStore(db bun.IDB, opts *inventory.StoreOptions) (inventory.Store, error) {
	return inventory.NewSQLStore(db, opts)
}

// countingStore is a host's wrapper around a Store: it counts the items
// created through it, as a metrics wrapper would.
type countingStore struct {
	inventory.Store
	created *atomic.Int64
}

func (s countingStore) CreateItem(ctx context.Context, item *inventory.Item) error {
	s.created.Add(1)
	return s.Store.CreateItem(ctx, item)
}

// A store that is not a SQLStore passes the suite too: the suite needs no
// more than the Store interface.
func TestWrappedStore(t *testing.T) {
	var created atomic.Int64
	inventorytest.TestStore(t, func(t *testing.T, opts *inventory.StoreOptions) inventory.Store {
		return countingStore{Store: storagetest.Stores(storagetest.Memory, newSQLStore, inventory.Migrations())(t, opts), created: &created}
	})
	if created.Load() == 0 {
		t.Error("the suite created no item through the wrapper")
	}
}

// runStore runs fn on a fresh store on each test database.
func runStore(t *testing.T, fn func(t *testing.T, s *inventory.SQLStore, db *bun.DB)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, storagetest.Must(inventory.NewSQLStore(db, nil)), db)
	}, inventory.Migrations())
}

func mustItem(t *testing.T, s inventory.Store, name string, weight float64) inventory.Item {
	t.Helper()
	item := inventory.Item{Name: name, Weight: weight}
	if err := s.CreateItem(context.Background(), &item); err != nil {
		t.Fatal(err)
	}
	return item
}

func mustInventory(t *testing.T, s inventory.Store, userID int64, username string, items ...int64) inventory.Inventory {
	t.Helper()
	inv := inventory.Inventory{UserID: userID, Username: username, Items: items}
	if err := s.CreateInventory(context.Background(), &inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func names(items []inventory.Item) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = it.Name
	}
	return strings.Join(s, ",")
}
