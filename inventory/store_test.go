package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

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

func TestItemsCRUD(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		piano := mustItem(t, s, "Piano", 10)
		guitar := mustItem(t, s, "  Guitar ", 2)
		if guitar.Name != "Guitar" {
			t.Errorf("name stored as %q, want it trimmed to %q", guitar.Name, "Guitar")
		}
		feather := mustItem(t, s, "feather", 0)

		items, err := s.Items(ctx, inventory.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(items), "feather,Guitar,Piano"; got != want {
			t.Errorf("default order: got %v, want %v", got, want)
		}
		for _, tc := range []struct{ sort, want string }{
			{"-weight", "Piano,Guitar,feather"},
			{"name", "Guitar,Piano,feather"},
			{"id", "Piano,Guitar,feather"},
			{"-id", "feather,Guitar,Piano"},
		} {
			items, err := s.Items(ctx, inventory.ListOptions{Sort: tc.sort})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(items); got != tc.want {
				t.Errorf("sort %s: got %v, want %v", tc.sort, got, tc.want)
			}
		}
		items, err = s.Items(ctx, inventory.ListOptions{Search: "GUIT"})
		if err != nil || names(items) != "Guitar" {
			t.Errorf("search GUIT: got %v %v, want Guitar", names(items), err)
		}
		items, err = s.Items(ctx, inventory.ListOptions{Limit: 1, Offset: 1})
		if err != nil || names(items) != "Guitar" {
			t.Errorf("limit 1 offset 1: got %v %v, want Guitar", names(items), err)
		}
		if n, err := s.CountItems(ctx, inventory.ListOptions{Search: "I"}); err != nil || n != 2 {
			t.Errorf("count search I: got %d %v, want 2", n, err)
		}
		if _, err := s.Items(ctx, inventory.ListOptions{Sort: "weight; DROP TABLE x"}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("unknown sort: got %v, want invalid", err)
		}
		// LIKE wildcards in a search are literal.
		mustItem(t, s, "100% cotton", 1)
		items, err = s.Items(ctx, inventory.ListOptions{Search: "%"})
		if err != nil || names(items) != "100% cotton" {
			t.Errorf("search %%: got %v %v, want the one name with %%", names(items), err)
		}

		name := "Grand piano"
		got, err := s.UpdateItem(ctx, piano.ID, inventory.ItemChange{Name: &name})
		if err != nil || got.Name != name || got.Weight != 10 {
			t.Errorf("rename: got %+v %v", got, err)
		}
		weight := 400.5
		got, err = s.UpdateItem(ctx, piano.ID, inventory.ItemChange{Weight: &weight})
		if err != nil || got.Name != name || got.Weight != weight {
			t.Errorf("reweigh: got %+v %v, want name kept", got, err)
		}
		if _, err := s.UpdateItem(ctx, 999, inventory.ItemChange{Weight: &weight}); !errors.Is(err, inventory.ErrItemNotFound) {
			t.Errorf("update missing: got %v, want ErrItemNotFound", err)
		}
		if err := s.DeleteItem(ctx, feather.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Item(ctx, feather.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("deleted item: got %v, want not found", err)
		}
		if err := s.DeleteItem(ctx, feather.ID); !errors.Is(err, inventory.ErrItemNotFound) {
			t.Errorf("delete twice: got %v, want ErrItemNotFound", err)
		}
	})
}

func TestItemValidation(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			item  inventory.Item
			field string
		}{
			{inventory.Item{Name: "", Weight: 1}, "name"},
			{inventory.Item{Name: "   ", Weight: 1}, "name"},
			{inventory.Item{Name: strings.Repeat("é", 256), Weight: 1}, "name"},
			{inventory.Item{Name: "nul\x00byte", Weight: 1}, "name"},
			{inventory.Item{Name: "bad \xff utf-8", Weight: 1}, "name"},
			{inventory.Item{Name: "x", Weight: -0.5}, "weight"},
			{inventory.Item{Name: "x", Weight: math.NaN()}, "weight"},
			{inventory.Item{Name: "x", Weight: math.Inf(1)}, "weight"},
		} {
			err := s.CreateItem(ctx, &tc.item)
			var invalid *gamekit.InvalidError
			if !errors.As(err, &invalid) || len(invalid.Fields[tc.field]) == 0 {
				t.Errorf("create %q %v: got %v, want a message for %s", tc.item.Name, tc.item.Weight, err, tc.field)
			}
		}
		if item := mustItem(t, s, strings.Repeat("é", 255), 0); item.ID == 0 {
			t.Error("255 characters refused")
		}
		if n, _ := s.CountItems(ctx, inventory.ListOptions{}); n != 1 {
			t.Errorf("items stored: got %d, want 1 (only the valid one)", n)
		}
	})
}

func TestInventories(t *testing.T) {
	runStore(t, func(t *testing.T, s *inventory.SQLStore, _ *bun.DB) {
		ctx := context.Background()
		guitar := mustItem(t, s, "Guitar", 2)
		piano := mustItem(t, s, "Piano", 10)
		alice := mustInventory(t, s, 1, "alice", piano.ID, guitar.ID, guitar.ID)
		bob := mustInventory(t, s, 2, "bob")

		got, err := s.Inventory(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint([]int64{guitar.ID, piano.ID}); fmt.Sprint(got.Items) != want || got.UserID != 1 || got.Username != "alice" {
			t.Errorf("alice: got %+v, want items %v", got, want)
		}
		invs, err := s.Inventories(ctx, inventory.ListOptions{Username: "bob"})
		if err != nil || len(invs) != 1 || invs[0].ID != bob.ID || len(invs[0].Items) != 0 || invs[0].Items == nil {
			t.Errorf("by username bob: got %+v %v, want bob's empty (not nil) items", invs, err)
		}
		invs, err = s.Inventories(ctx, inventory.ListOptions{UserID: 1})
		if err != nil || len(invs) != 1 || invs[0].ID != alice.ID {
			t.Errorf("by user 1: got %+v %v", invs, err)
		}
		if n, err := s.CountInventories(ctx, inventory.ListOptions{Search: "O"}); err != nil || n != 1 {
			t.Errorf("count search O: got %d %v, want 1", n, err)
		}
		// A page of one inventory's items, searched, sorted and counted.
		items, err := s.Items(ctx, inventory.ListOptions{InventoryID: alice.ID, Sort: "-weight"})
		if err != nil || len(items) != 2 || items[0].ID != piano.ID || items[1].ID != guitar.ID {
			t.Errorf("alice's items: got %+v %v, want the piano, then the guitar", items, err)
		}
		if items, err := s.Items(ctx, inventory.ListOptions{InventoryID: alice.ID, Search: "pia"}); err != nil || len(items) != 1 || items[0].ID != piano.ID {
			t.Errorf("alice's items with pia: got %+v %v", items, err)
		}
		if n, err := s.CountItems(ctx, inventory.ListOptions{InventoryID: bob.ID}); err != nil || n != 0 {
			t.Errorf("bob's items: got %d %v, want 0", n, err)
		}

		dup := inventory.Inventory{UserID: 1, Username: "alice"}
		if err := s.CreateInventory(ctx, &dup); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("second inventory for a user: got %v, want invalid", err)
		}
		bad := inventory.Inventory{UserID: 3, Username: "carol", Items: []int64{guitar.ID, 999}}
		err = s.CreateInventory(ctx, &bad)
		var invalid *gamekit.InvalidError
		if !errors.As(err, &invalid) || invalid.Fields["items"][0] != `Invalid pk "999" - object does not exist.` {
			t.Errorf("missing item: got %v", err)
		}
		if n, _ := s.CountInventories(ctx, inventory.ListOptions{}); n != 2 {
			t.Errorf("inventories after refused creates: got %d, want 2", n)
		}

		if err := s.AddItems(ctx, bob.ID, guitar.ID, guitar.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.AddItems(ctx, bob.ID, guitar.ID); err != nil {
			t.Fatalf("adding an item already there: %v", err)
		}
		if err := s.AddItems(ctx, 999, guitar.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
			t.Errorf("add to missing inventory: got %v", err)
		}
		if err := s.RemoveItems(ctx, alice.ID, piano.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Inventory(ctx, alice.ID); fmt.Sprint(got.Items) != fmt.Sprint([]int64{guitar.ID}) {
			t.Errorf("alice after remove: got %v", got.Items)
		}

		got, err = s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &[]int64{piano.ID}})
		if err != nil || fmt.Sprint(got.Items) != fmt.Sprint([]int64{piano.ID}) || got.UserID != 1 {
			t.Errorf("alice after update: got %+v %v", got, err)
		}
		if _, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &[]int64{guitar.ID, 12345}}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("update with missing item: got %v", err)
		}
		taken := int64(2)
		if _, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{UserID: &taken, Username: "bob"}); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("move to a user who has one: got %v", err)
		}
		if _, err := s.UpdateInventory(ctx, 999, inventory.InventoryChange{}); !errors.Is(err, inventory.ErrInventoryNotFound) {
			t.Errorf("update missing inventory: got %v", err)
		}
		if got, _ := s.Inventory(ctx, alice.ID); fmt.Sprint(got.Items) != fmt.Sprint([]int64{piano.ID}) {
			t.Errorf("a refused update changed alice: %v", got.Items)
		}

		// Deleting an item takes it out of every inventory.
		if err := s.DeleteItem(ctx, guitar.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Inventory(ctx, bob.ID); len(got.Items) != 0 {
			t.Errorf("bob still holds a deleted item: %v", got.Items)
		}
		if err := s.DeleteInventory(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Inventory(ctx, bob.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
			t.Errorf("deleted inventory: got %v", err)
		}
		if _, err := s.Item(ctx, piano.ID); err != nil {
			t.Errorf("deleting inventories must keep items: %v", err)
		}
	})
}

func names(items []inventory.Item) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = it.Name
	}
	return strings.Join(s, ",")
}
