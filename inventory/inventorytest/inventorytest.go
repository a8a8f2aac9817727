// Package inventorytest checks that an [inventory.Store] keeps the
// contract the package's handlers rely on, as testing/fstest does for a
// file system: a host that wraps [inventory.SQLStore] (a cache, metrics) or
// brings a store of its own runs, in a test of its own, the suite that
// SQLStore passes on SQLite and PostgreSQL:
//
//	func TestMyStore(t *testing.T) {
//		inventorytest.TestStore(t, func(t *testing.T, opts *inventory.StoreOptions) inventory.Store {
//			db := storagetest.Open(t, storagetest.Memory, inventory.Migrations())
//			return &myStore{Store: storagetest.Must(inventory.NewSQLStore(db, opts))}
//		})
//	}
//
// # What the suite checks
//
// What the Store's documentation and SQLStore's promise: items and
// inventories are created, read, listed, counted, changed and deleted;
// Item.Validate's rules refuse bad items; missing rows are
// gamekit.ErrNotFound ([inventory.ErrItemNotFound],
// [inventory.ErrInventoryNotFound]) and refused input is a
// *gamekit.InvalidError naming the field; lists search, filter, sort (the
// sorts ListOptions names, any other is invalid input), limit and offset;
// an inventory's items are listed once each, in increasing order, and
// deleting an item takes it out of every inventory; ItemsVersion changes
// with every change of items; and 64 goroutines creating items and adding
// them to shared inventories all succeed and lose nothing.
//
// # What newStore must do
//
// Each subtest calls newStore once, with its own t, and works on the store
// it returns: a new, empty store, configured by opts as NewSQLStore(db,
// opts) would be (opts is never nil). Release what it holds with
// t.Cleanup. The subtests run one after the other, and some use the store
// from many goroutines at once.
package inventorytest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
)

// TestStore runs the conformance suite on the stores newStore makes, one
// subtest per part of the contract.
func TestStore(t *testing.T, newStore func(t *testing.T, opts *inventory.StoreOptions) inventory.Store) {
	t.Helper()
	run := func(name string, test func(t *testing.T, s inventory.Store)) {
		t.Run(name, func(t *testing.T) { test(t, newStore(t, &inventory.StoreOptions{})) })
	}
	run("Items", testItems)
	run("ItemValidation", testItemValidation)
	run("ItemsVersion", testItemsVersion)
	run("Inventories", testInventories)
	run("InventoryHeads", testInventoryHeads)
	run("ConcurrentAdds", testConcurrentAdds)
}

func testItems(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	piano := create(t, inventory.Item{Name: "Piano", Weight: 10}, s.CreateItem)
	guitar := create(t, inventory.Item{Name: "  Guitar ", Weight: 2}, s.CreateItem)
	if guitar.Name != "Guitar" {
		t.Errorf("name stored as %q, want it trimmed to %q", guitar.Name, "Guitar")
	}
	feather := create(t, inventory.Item{Name: "Feather", Weight: 5}, s.CreateItem)
	if got, err := s.Item(ctx, guitar.ID); err != nil || got != guitar {
		t.Errorf("read back: got %+v %v, want %+v", got, err, guitar)
	}

	for _, tc := range []struct {
		opts inventory.ListOptions
		want string
	}{
		{inventory.ListOptions{}, "Guitar,Feather,Piano"}, // by weight
		{inventory.ListOptions{Sort: "weight"}, "Guitar,Feather,Piano"},
		{inventory.ListOptions{Sort: "-weight"}, "Piano,Feather,Guitar"},
		{inventory.ListOptions{Sort: "name"}, "Feather,Guitar,Piano"},
		{inventory.ListOptions{Sort: "-name"}, "Piano,Guitar,Feather"},
		{inventory.ListOptions{Sort: "id"}, "Piano,Guitar,Feather"},
		{inventory.ListOptions{Sort: "-id"}, "Feather,Guitar,Piano"},
		{inventory.ListOptions{Search: "GUIT"}, "Guitar"},
		{inventory.ListOptions{Limit: 1, Offset: 1}, "Feather"},
		{inventory.ListOptions{Offset: 3}, ""},
	} {
		items, err := s.Items(ctx, tc.opts)
		if got := names(items); err != nil || got != tc.want {
			t.Errorf("items %+v: got %v %v, want %v", tc.opts, got, err, tc.want)
		}
	}
	// Equal weights are listed by id, either way.
	drum := create(t, inventory.Item{Name: "Drum", Weight: 2}, s.CreateItem)
	items, err := s.Items(ctx, inventory.ListOptions{Sort: "-weight"})
	if got := names(items); err != nil || got != "Piano,Feather,Drum,Guitar" {
		t.Errorf("-weight with a tie: got %v %v, want the newer drum first", got, err)
	}
	if err := s.DeleteItem(ctx, drum.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountItems(ctx, inventory.ListOptions{Search: "I"}); err != nil || n != 2 {
		t.Errorf("count search I: got %d %v, want 2", n, err)
	}
	if n, err := s.CountItems(ctx, inventory.ListOptions{Limit: 1, Offset: 1}); err != nil || n != 3 {
		t.Errorf("count with a page: got %d %v, want 3 (paging does not count)", n, err)
	}
	if _, err := s.Items(ctx, inventory.ListOptions{Sort: "weight; DROP TABLE x"}); !errors.Is(err, gamekit.ErrInvalid) {
		t.Errorf("unknown sort: got %v, want invalid", err)
	}
	// LIKE wildcards in a search are literal.
	create(t, inventory.Item{Name: "100% cotton", Weight: 1}, s.CreateItem)
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
	if stored, err := s.Item(ctx, piano.ID); err != nil || stored != got {
		t.Errorf("stored after updates: got %+v %v, want %+v", stored, err, got)
	}
	if got, err := s.UpdateItem(ctx, piano.ID, inventory.ItemChange{}); err != nil || got.Name != name {
		t.Errorf("empty change: got %+v %v, want the item as it is", got, err)
	}
	blank := " "
	if _, err := s.UpdateItem(ctx, piano.ID, inventory.ItemChange{Name: &blank}); !hasField(err, "name") {
		t.Errorf("blank name: got %v, want invalid name", err)
	}
	if _, err := s.UpdateItem(ctx, 999, inventory.ItemChange{Weight: &weight}); !errors.Is(err, inventory.ErrItemNotFound) {
		t.Errorf("update missing: got %v, want ErrItemNotFound", err)
	}
	if err := s.DeleteItem(ctx, feather.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Item(ctx, feather.ID); !errors.Is(err, inventory.ErrItemNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("deleted item: got %v, want ErrItemNotFound", err)
	}
	if err := s.DeleteItem(ctx, feather.ID); !errors.Is(err, inventory.ErrItemNotFound) {
		t.Errorf("delete twice: got %v, want ErrItemNotFound", err)
	}
}

func testItemValidation(t *testing.T, s inventory.Store) {
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
		if err := s.CreateItem(ctx, &tc.item); !hasField(err, tc.field) {
			t.Errorf("create %q %v: got %v, want a message for %s", tc.item.Name, tc.item.Weight, err, tc.field)
		}
	}
	if item := create(t, inventory.Item{Name: strings.Repeat("é", 255)}, s.CreateItem); item.ID == 0 {
		t.Error("255 characters refused")
	}
	if n, err := s.CountItems(ctx, inventory.ListOptions{}); err != nil || n != 1 {
		t.Errorf("items stored: got %d %v, want 1 (only the valid one)", n, err)
	}
}

// A list of items cached with one version is current while the version is
// the same: every change moves it on.
func testItemsVersion(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	version := func() int64 {
		t.Helper()
		v, err := s.ItemsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := version()
	item := create(t, inventory.Item{Name: "Guitar", Weight: 2}, s.CreateItem)
	for _, change := range []struct {
		name string
		fn   func() error
	}{
		{"create", func() error { return nil }}, // made above
		{"update", func() error {
			weight := 3.0
			_, err := s.UpdateItem(ctx, item.ID, inventory.ItemChange{Weight: &weight})
			return err
		}},
		{"delete", func() error { return s.DeleteItem(ctx, item.ID) }},
	} {
		if err := change.fn(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		after := version()
		if after == before {
			t.Errorf("%s: the items version stayed %d", change.name, before)
		}
		before = after
	}
}

// testInventoryHeads checks that an inventory's version moves on with
// every change to what its JSON shows, so a cache keyed by it is never
// stale.
func testInventoryHeads(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	guitar := create(t, inventory.Item{Name: "Guitar", Weight: 2}, s.CreateItem)
	piano := create(t, inventory.Item{Name: "Piano", Weight: 10}, s.CreateItem)
	alice := create(t, inventory.Inventory{UserID: 1, Username: "alice", Items: []int64{guitar.ID}}, s.CreateInventory)
	head := func(step string) inventory.InventoryHead {
		t.Helper()
		byID, err := s.InventoryHead(ctx, alice.ID)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		byUser, err := s.InventoryHeadOfUser(ctx, byID.UserID)
		if err != nil || byUser != byID || byID.ID != alice.ID {
			t.Fatalf("%s: by id %+v, by user %+v %v: want the same head of inventory %d", step, byID, byUser, err, alice.ID)
		}
		return byID
	}
	before := head("created")
	if before.UserID != 1 || before.Username != "alice" {
		t.Errorf("created: got %+v, want alice's", before)
	}
	bob := int64(2)
	for _, change := range []struct {
		name string
		fn   func() error
	}{
		{"add", func() error { return s.AddItems(ctx, alice.ID, piano.ID) }},
		{"remove", func() error { return s.RemoveItems(ctx, alice.ID, piano.ID) }},
		{"update items", func() error {
			items := []int64{piano.ID}
			_, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &items})
			return err
		}},
		{"move", func() error {
			_, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{UserID: &bob, Username: "bob"})
			return err
		}},
		{"delete a held item", func() error { return s.DeleteItem(ctx, piano.ID) }},
	} {
		if err := change.fn(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		after := head(change.name)
		if after.Version == before.Version {
			t.Errorf("%s: the version stayed %d", change.name, before.Version)
		}
		before = after
	}
	if before.UserID != 2 || before.Username != "bob" {
		t.Errorf("moved: got %+v, want bob's", before)
	}
	if err := s.DeleteInventory(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InventoryHead(ctx, alice.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("head of a deleted inventory: got %v, want ErrInventoryNotFound", err)
	}
	if _, err := s.InventoryHeadOfUser(ctx, 2); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("head of a user without an inventory: got %v, want ErrInventoryNotFound", err)
	}
}

func testInventories(t *testing.T, s inventory.Store) {
	ctx := context.Background()
	guitar := create(t, inventory.Item{Name: "Guitar", Weight: 2}, s.CreateItem)
	piano := create(t, inventory.Item{Name: "Piano", Weight: 10}, s.CreateItem)
	alice := create(t, inventory.Inventory{UserID: 1, Username: "alice", Items: []int64{piano.ID, guitar.ID, guitar.ID}}, s.CreateInventory)
	if alice.ID == 0 || fmt.Sprint(alice.Items) != fmt.Sprint([]int64{guitar.ID, piano.ID}) {
		t.Errorf("created: got %+v, want an id and the items once each, in order", alice)
	}
	bob := create(t, inventory.Inventory{UserID: 2, Username: "bob"}, s.CreateInventory)

	for _, read := range []func() (inventory.Inventory, error){
		func() (inventory.Inventory, error) { return s.Inventory(ctx, alice.ID) },
		func() (inventory.Inventory, error) { return s.InventoryOfUser(ctx, 1) },
	} {
		got, err := read()
		if want := fmt.Sprint([]int64{guitar.ID, piano.ID}); err != nil || got.ID != alice.ID ||
			fmt.Sprint(got.Items) != want || got.UserID != 1 || got.Username != "alice" {
			t.Errorf("alice: got %+v %v, want items %v", got, err, want)
		}
	}
	if got, err := s.InventoryOfUser(ctx, 2); err != nil || got.ID != bob.ID || got.Items == nil || len(got.Items) != 0 {
		t.Errorf("bob's by user: got %+v %v, want his empty (not nil) items", got, err)
	}
	if _, err := s.InventoryOfUser(ctx, 99); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("inventory of a user without one: got %v, want ErrInventoryNotFound", err)
	}
	if _, err := s.Inventory(ctx, 999); !errors.Is(err, inventory.ErrInventoryNotFound) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("missing inventory: got %v, want ErrInventoryNotFound", err)
	}
	invs, err := s.Inventories(ctx, inventory.ListOptions{Username: "bob"})
	if err != nil || len(invs) != 1 || invs[0].ID != bob.ID || len(invs[0].Items) != 0 || invs[0].Items == nil {
		t.Errorf("by username bob: got %+v %v, want bob's empty (not nil) items", invs, err)
	}
	// Usernames whose order is the same in every collation.
	aaron := create(t, inventory.Inventory{UserID: 3, Username: "aaron", Items: []int64{piano.ID}}, s.CreateInventory)
	for _, tc := range []struct {
		opts inventory.ListOptions
		want []int64
	}{
		{inventory.ListOptions{}, []int64{alice.ID, bob.ID, aaron.ID}},
		{inventory.ListOptions{Sort: "-id"}, []int64{aaron.ID, bob.ID, alice.ID}},
		{inventory.ListOptions{Sort: "username"}, []int64{aaron.ID, alice.ID, bob.ID}},
		{inventory.ListOptions{Sort: "-username"}, []int64{bob.ID, alice.ID, aaron.ID}},
		{inventory.ListOptions{UserID: 1}, []int64{alice.ID}},
		{inventory.ListOptions{Username: "aaro"}, nil}, // exactly
		{inventory.ListOptions{Search: "O"}, []int64{bob.ID, aaron.ID}},
		{inventory.ListOptions{Limit: 1, Offset: 1}, []int64{bob.ID}},
	} {
		invs, err := s.Inventories(ctx, tc.opts)
		var got []int64
		for _, inv := range invs {
			got = append(got, inv.ID)
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("inventories %+v: got %v %v, want %v", tc.opts, got, err, tc.want)
		}
	}
	if _, err := s.Inventories(ctx, inventory.ListOptions{Sort: "weight"}); !errors.Is(err, gamekit.ErrInvalid) {
		t.Errorf("unknown sort: got %v, want invalid", err)
	}
	if n, err := s.CountInventories(ctx, inventory.ListOptions{Search: "O"}); err != nil || n != 2 {
		t.Errorf("count search O: got %d %v, want 2", n, err)
	}
	if err := s.DeleteInventory(ctx, aaron.ID); err != nil {
		t.Fatal(err)
	}
	// A page of one inventory's items, searched, sorted and counted.
	items, err := s.Items(ctx, inventory.ListOptions{InventoryID: alice.ID, Sort: "-weight"})
	if err != nil || names(items) != "Piano,Guitar" {
		t.Errorf("alice's items: got %v %v, want the piano, then the guitar", names(items), err)
	}
	if items, err := s.Items(ctx, inventory.ListOptions{InventoryID: alice.ID, Search: "pia"}); err != nil || names(items) != "Piano" {
		t.Errorf("alice's items with pia: got %v %v", names(items), err)
	}
	if n, err := s.CountItems(ctx, inventory.ListOptions{InventoryID: bob.ID}); err != nil || n != 0 {
		t.Errorf("bob's items: got %d %v, want 0", n, err)
	}

	dup := inventory.Inventory{UserID: 1, Username: "alice"}
	if err := s.CreateInventory(ctx, &dup); !hasField(err, "user") {
		t.Errorf("second inventory for a user: got %v, want invalid user", err)
	}
	bad := inventory.Inventory{UserID: 3, Username: "carol", Items: []int64{guitar.ID, 999}}
	err = s.CreateInventory(ctx, &bad)
	var invalid *gamekit.InvalidError
	if !errors.As(err, &invalid) || fmt.Sprint(invalid.Fields["items"]) != `[Invalid pk "999" - object does not exist.]` {
		t.Errorf("missing item: got %v, want the one missing pk named", err)
	}
	if n, err := s.CountInventories(ctx, inventory.ListOptions{}); err != nil || n != 2 {
		t.Errorf("inventories after refused creates: got %d %v, want 2", n, err)
	}

	if err := s.AddItems(ctx, bob.ID, guitar.ID, guitar.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddItems(ctx, bob.ID, guitar.ID); err != nil {
		t.Fatalf("adding an item already there: %v", err)
	}
	if got, _ := s.Inventory(ctx, bob.ID); fmt.Sprint(got.Items) != fmt.Sprint([]int64{guitar.ID}) {
		t.Errorf("bob after adds: got %v, want the guitar once", got.Items)
	}
	if err := s.AddItems(ctx, 999, guitar.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("add to missing inventory: got %v", err)
	}
	if err := s.AddItems(ctx, bob.ID, 999); !hasField(err, "items") {
		t.Errorf("add a missing item: got %v, want invalid items", err)
	}
	if err := s.RemoveItems(ctx, alice.ID, piano.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Inventory(ctx, alice.ID); fmt.Sprint(got.Items) != fmt.Sprint([]int64{guitar.ID}) {
		t.Errorf("alice after remove: got %v", got.Items)
	}
	if _, err := s.Item(ctx, piano.ID); err != nil {
		t.Errorf("removing an item from an inventory must keep the item: %v", err)
	}
	if err := s.RemoveItems(ctx, 999, piano.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("remove from missing inventory: got %v", err)
	}

	got, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &[]int64{piano.ID}})
	if err != nil || fmt.Sprint(got.Items) != fmt.Sprint([]int64{piano.ID}) || got.UserID != 1 || got.Username != "alice" {
		t.Errorf("alice after update: got %+v %v", got, err)
	}
	if _, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &[]int64{guitar.ID, 12345}}); !hasField(err, "items") {
		t.Errorf("update with missing item: got %v", err)
	}
	taken := int64(2)
	if _, err := s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{UserID: &taken, Username: "bob"}); !hasField(err, "user") {
		t.Errorf("move to a user who has one: got %v", err)
	}
	if _, err := s.UpdateInventory(ctx, 999, inventory.InventoryChange{}); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("update missing inventory: got %v", err)
	}
	if got, _ := s.Inventory(ctx, alice.ID); fmt.Sprint(got.Items) != fmt.Sprint([]int64{piano.ID}) || got.UserID != 1 {
		t.Errorf("a refused update changed alice: %+v", got)
	}
	dave := int64(4)
	got, err = s.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{UserID: &dave, Username: "dave"})
	if err != nil || got.UserID != dave || got.Username != "dave" || fmt.Sprint(got.Items) != fmt.Sprint([]int64{piano.ID}) {
		t.Errorf("move to dave: got %+v %v, want dave's, items kept", got, err)
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
	if err := s.DeleteInventory(ctx, bob.ID); !errors.Is(err, inventory.ErrInventoryNotFound) {
		t.Errorf("delete twice: got %v", err)
	}
	if _, err := s.Item(ctx, piano.ID); err != nil {
		t.Errorf("deleting inventories must keep items: %v", err)
	}
}

// 64 goroutines create items, then add each to one of a few shared
// inventories: no operation fails (SQLite's "database is locked"
// included), and every item ends up in its inventory exactly once.
func testConcurrentAdds(t *testing.T, s inventory.Store) {
	const (
		workers     = 64
		operations  = 1_000
		inventories = 8
	)
	ctx := context.Background()
	var invs []int64
	for i := range inventories {
		invs = append(invs, create(t, inventory.Inventory{UserID: int64(i + 1), Username: fmt.Sprintf("user%d", i+1)}, s.CreateInventory).ID)
	}
	items := make([]inventory.Item, operations)
	inParallel(t, workers, operations, func(i int) error {
		items[i] = inventory.Item{Name: fmt.Sprintf("item %d", i), Weight: 1}
		return s.CreateItem(ctx, &items[i])
	})
	if n, err := s.CountItems(ctx, inventory.ListOptions{}); err != nil || n != operations {
		t.Fatalf("items after concurrent creates: got %d %v, want %d", n, err, operations)
	}
	inParallel(t, workers, operations, func(i int) error {
		return s.AddItems(ctx, invs[i%inventories], items[i].ID)
	})
	for i, id := range invs {
		inv, err := s.Inventory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := operations / inventories; len(inv.Items) != want {
			t.Errorf("inventory %d: got %d items, want %d", i, len(inv.Items), want)
		}
	}
}

// inParallel runs fn(0) to fn(n-1) on workers goroutines and reports
// every error.
func inParallel(t *testing.T, workers, n int, fn func(i int) error) {
	t.Helper()
	ops := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range ops {
				if err := fn(i); err != nil {
					t.Errorf("operation %d: %v", i, err)
				}
			}
		})
	}
	for i := range n {
		ops <- i
	}
	close(ops)
	wg.Wait()
}

// create stores v with a store's create method, failing the test if it
// cannot, and returns v as stored.
func create[T any](t *testing.T, v T, createFn func(context.Context, *T) error) T {
	t.Helper()
	if err := createFn(context.Background(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// hasField reports whether err is an *gamekit.InvalidError with a message
// for field.
func hasField(err error, field string) bool {
	var invalid *gamekit.InvalidError
	return errors.As(err, &invalid) && len(invalid.Fields[field]) > 0
}

func names(items []inventory.Item) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = it.Name
	}
	return strings.Join(s, ",")
}
