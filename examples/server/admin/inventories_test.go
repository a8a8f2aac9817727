package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/inventory"
)

func TestInventoryList(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		it := e.mustItem(t, "Guitar", 2)
		if err := e.items.AddItems(ctx, inv.ID, it.ID); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		res := c.get("/admin/inventories/")
		expect(t, res, http.StatusOK, "root", "alice", "1–2 of 2")
		res = c.get("/admin/inventories/?q=ali")
		expect(t, res, http.StatusOK, "alice", "1–1 of 1")
		absent(t, res, "<td>root</td>")
		expect(t, c.get("/admin/inventories/?sort=-username"), http.StatusOK, `href="/admin/inventories/?sort=username"`)
	})
}

func TestInventoryAdd(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		bob := e.mustUser(t, "bob", false)
		bobs, _ := e.items.InventoryOfUser(ctx, bob.ID)
		if err := e.items.DeleteInventory(ctx, bobs.ID); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/inventories/add"), http.StatusOK, "Add inventory")
		expect(t, c.post("/admin/inventories/add", url.Values{"user": {"nobody"}}), http.StatusBadRequest,
			`There is no user "nobody"`, `value="nobody"`)
		expect(t, c.post("/admin/inventories/add", url.Values{"user": {""}}), http.StatusBadRequest, "This field is required.")
		// The store's rule, in the store's words.
		expect(t, c.post("/admin/inventories/add", url.Values{"user": {"alice"}}), http.StatusBadRequest,
			"inventory with this user already exists.", `value="alice"`)

		res := c.post("/admin/inventories/add", url.Values{"user": {fmt.Sprint(bob.ID)}})
		inv, err := e.items.InventoryOfUser(ctx, bob.ID)
		if err != nil {
			t.Fatalf("bob's inventory: %v", err)
		}
		expectRedirect(t, res, fmt.Sprintf("/admin/inventories/%d/?done=added", inv.ID))
		checkAudit(t, e.lastAudit(t), e.root, "add", "inventory", inv.ID, "",
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"bob","item_count":0,"items":[]}`, inv.ID, bob.ID))
	})
}

func TestInventoryItems(t *testing.T) {
	run(t, &admin.Options{PageSize: 3}, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		var items []inventory.Item
		for i := range 7 {
			items = append(items, e.mustItem(t, fmt.Sprintf("Thing %d", i), float64(i)))
		}
		flute := e.mustItem(t, "Flute", 0.5)
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/inventories/%d/", inv.ID)

		// The picker: newest first, a page at a time, not counted.
		res := c.get(path)
		expect(t, res, http.StatusOK, fmt.Sprintf("Inventory #%d of alice", inv.ID), "This inventory holds no items.",
			"Flute", "Thing 6", "Thing 5", "1–3", fmt.Sprintf(`href="%s?ppage=2"`, path))
		absent(t, res, "Thing 4")
		res = c.get(path + "?ppage=3")
		expect(t, res, http.StatusOK, "Thing 0", "Thing 1", "7–8")
		absent(t, res, "Flute", "Next ›</a>")
		// Searchable.
		res = c.get(path + "?pq=flu")
		expect(t, res, http.StatusOK, "Flute", "1–1")
		absent(t, res, "Thing 6")

		// Add ticked items, back to the same picker page.
		res = c.post(path+"items/add", url.Values{"items": {fmt.Sprint(items[0].ID), fmt.Sprint(items[1].ID), fmt.Sprint(flute.ID)},
			"back": {"pq=&ppage=3&evil=1"}})
		expectRedirect(t, res, path+"?ppage=3&done=items-added")
		got, _ := e.items.Inventory(ctx, inv.ID)
		want := []int64{items[0].ID, items[1].ID, flute.ID}
		if !slices.Equal(got.Items, want) {
			t.Fatalf("items: got %v, want %v", got.Items, want)
		}
		checkAudit(t, e.lastAudit(t), e.root, "add items", "inventory", inv.ID,
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","item_count":0,"items":[],"selected":[%d,%d,%d]}`,
				inv.ID, e.alice.ID, items[0].ID, items[1].ID, flute.ID),
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","item_count":3,"items":[%d,%d,%d],"selected":[%d,%d,%d]}`,
				inv.ID, e.alice.ID, items[0].ID, items[1].ID, flute.ID, items[0].ID, items[1].ID, flute.ID))

		// The contents, newest first and paginated; items held are marked in
		// the picker.
		res = c.follow(res)
		expect(t, res, http.StatusOK, "Items added to the inventory.", "Items in this inventory (3)", "1–3 of 3",
			fmt.Sprintf(`id="remove-%d"`, flute.ID))
		absent(t, res, fmt.Sprintf(`id="add-%d"`, items[0].ID), fmt.Sprintf(`id="remove-%d"`, items[6].ID))

		// A refused addition names the item, keeps the page.
		res = c.post(path+"items/add", url.Values{"items": {"999999"}, "back": {"ppage=2"}})
		expect(t, res, http.StatusBadRequest, `Invalid pk "999999" - object does not exist.`, "4–6")
		res = c.post(path+"items/add", url.Values{"back": {""}})
		expect(t, res, http.StatusBadRequest, "Tick at least one item.")

		// Remove.
		res = c.post(path+"items/remove", url.Values{"items": {fmt.Sprint(items[1].ID)}})
		expectRedirect(t, res, path+"?done=items-removed")
		got, _ = e.items.Inventory(ctx, inv.ID)
		if want := []int64{items[0].ID, flute.ID}; !slices.Equal(got.Items, want) {
			t.Fatalf("items after remove: got %v, want %v", got.Items, want)
		}
		entry := e.lastAudit(t)
		if entry.Action != "remove items" || !jsonEqual(t, string(entry.After),
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","item_count":2,"items":[%d,%d],"selected":[%d]}`,
				inv.ID, e.alice.ID, items[0].ID, flute.ID, items[1].ID)) {
			t.Errorf("audit entry of the removal: %s %s", entry.Action, entry.After)
		}
	})
}

func TestInventoryContentsPages(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		var ids []int64
		for i := range 5 {
			ids = append(ids, e.mustItem(t, fmt.Sprintf("Gift %d", i), 0).ID)
		}
		if err := e.items.AddItems(ctx, inv.ID, ids...); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/inventories/%d/", inv.ID)
		res := c.get(path + "?ipage=2")
		expect(t, res, http.StatusOK, fmt.Sprintf(`id="remove-%d"`, ids[2]), fmt.Sprintf(`id="remove-%d"`, ids[1]), "3–4 of 5", "Page 2 of 3")
		absent(t, res, fmt.Sprintf(`id="remove-%d"`, ids[4]))
		expect(t, c.get(path+"?ipage=3"), http.StatusOK, fmt.Sprintf(`id="remove-%d"`, ids[0]), "5–5 of 5")
	})
}

func TestInventoryChangeOwner(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		bob := e.mustUser(t, "bob", false)
		bobs, _ := e.items.InventoryOfUser(ctx, bob.ID)
		if err := e.items.DeleteInventory(ctx, bobs.ID); err != nil {
			t.Fatal(err)
		}
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/inventories/%d/", inv.ID)
		expect(t, c.post(path, url.Values{"user": {"root"}}), http.StatusBadRequest, "inventory with this user already exists.", `value="root"`)
		expect(t, c.post(path, url.Values{"user": {"zed"}}), http.StatusBadRequest, `There is no user "zed"`)
		expectRedirect(t, c.post(path, url.Values{"user": {"bob"}}), path+"?done=saved")
		if got, _ := e.items.Inventory(ctx, inv.ID); got.UserID != bob.ID || got.Username != "bob" {
			t.Errorf("inventory after the change: %+v", got)
		}
		checkAudit(t, e.lastAudit(t), e.root, "change", "inventory", inv.ID,
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","item_count":0,"items":[]}`, inv.ID, e.alice.ID),
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"bob","item_count":0,"items":[]}`, inv.ID, bob.ID))
	})
}

func TestInventoryDelete(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv, _ := e.items.InventoryOfUser(ctx, e.alice.ID)
		it := e.mustItem(t, "Guitar", 2)
		if err := e.items.AddItems(ctx, inv.ID, it.ID); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/inventories/%d/delete", inv.ID)
		expect(t, c.get(path), http.StatusOK, "Delete inventory?", "Its 1 items stay")
		expectRedirect(t, c.post(path, nil), "/admin/inventories/?done=deleted")
		if _, err := e.items.Inventory(ctx, inv.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("inventory after delete: %v", err)
		}
		if _, err := e.items.Item(ctx, it.ID); err != nil {
			t.Errorf("its item after delete: %v", err)
		}
		checkAudit(t, e.lastAudit(t), e.root, "delete", "inventory", inv.ID,
			fmt.Sprintf(`{"id":%d,"user":%d,"username":"alice","item_count":1,"items":[%d]}`, inv.ID, e.alice.ID, it.ID), "")
	})
}
