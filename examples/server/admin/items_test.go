package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/inventory"
)

var inventoryAll = inventory.ListOptions{}

func TestItemList(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		e.mustItem(t, "Guitar", 2)
		e.mustItem(t, "Drum <kit>", 5)
		e.mustItem(t, "Flute", 0.5)
		c := e.signIn(t, "root")

		// By weight, as the API lists them, two to a page, counted.
		res := c.get("/admin/items/")
		expect(t, res, http.StatusOK, "Flute", "Guitar", "1–2 of 3", "Page 1 of 2", `href="/admin/items/?page=2"`)
		absent(t, res, "Drum")
		if strings.Contains(res.body, "Drum <kit>") {
			t.Error("a name was not escaped")
		}
		expect(t, c.get("/admin/items/?page=2"), http.StatusOK, "Drum <kit>", "3–3 of 3", "Page 2 of 2")

		// Sorted by name, the other way round on the second click.
		res = c.get("/admin/items/?sort=name")
		expect(t, res, http.StatusOK, "Drum <kit>", "Flute", `href="/admin/items/?sort=-name"`)
		absent(t, res, "Guitar")
		expect(t, c.get("/admin/items/?sort=-name"), http.StatusOK, "Guitar", "Flute")
		// An unknown sort is the default one.
		expect(t, c.get("/admin/items/?sort=password"), http.StatusOK, "Flute", "Guitar")

		// A search, newest first, not counted unless its page shows all
		// there is.
		res = c.get("/admin/items/?q=U")
		expect(t, res, http.StatusOK, "Flute", "Drum <kit>", "1–2", `href="/admin/items/?page=2&q=U"`, "Matches are not counted")
		absent(t, res, "Guitar", "of 2", "of 3")
		expect(t, c.get("/admin/items/?q=U&page=2"), http.StatusOK, "Guitar", "3–3 of 3")
		expect(t, c.get("/admin/items/?q=gUiT"), http.StatusOK, "Guitar", "1–1 of 1")
		expect(t, c.get("/admin/items/?q=zzz"), http.StatusOK, "No item here.", "None of 0")
		expect(t, c.get("/admin/items/?q=%25"), http.StatusOK, "No item here.")
		// Past the end.
		expect(t, c.get("/admin/items/?page=9"), http.StatusOK, "No item here.", "Page 9 of 2")
	})
}

// TestItemPages reads every page of every order: pages past the middle
// are read from the other end and turned round, and must come out as if
// read from the start.
func TestItemPages(t *testing.T) {
	run(t, &admin.Options{PageSize: 2}, func(t *testing.T, e *env) {
		for i := range 7 {
			e.mustItem(t, fmt.Sprintf("Item %c", 'G'-i), float64(i%3))
		}
		c := e.signIn(t, "root")
		for _, sort := range []string{"", "id", "-id", "name", "-name", "weight", "-weight"} {
			all, err := e.items.Items(context.Background(), inventory.ListOptions{Sort: sort})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, it := range all {
				want = append(want, fmt.Sprintf(`<a href="/admin/items/%d/">`, it.ID))
			}
			for page := 1; page <= 5; page++ {
				res := c.get(fmt.Sprintf("/admin/items/?sort=%s&page=%d", sort, page))
				expect(t, res, http.StatusOK)
				got = append(got, rowLinks.FindAllString(res.body, -1)...)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("sort %q: pages show\n%v\nwant\n%v", sort, got, want)
			}
		}
	})
}

// rowLinks finds the links of a list's rows.
var rowLinks = regexp.MustCompile(`<a href="/admin/items/\d+/">`)

func TestItemAdd(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/items/add"), http.StatusOK, "Add item", `name="weight" value="0"`)

		res := c.post("/admin/items/add", url.Values{"name": {"  Guitar "}, "weight": {"2.5"}})
		items, _ := e.items.Items(context.Background(), inventoryAll)
		if len(items) != 1 || items[0].Name != "Guitar" || items[0].Weight != 2.5 {
			t.Fatalf("items after adding: %v", items)
		}
		id := items[0].ID
		expectRedirect(t, res, fmt.Sprintf("/admin/items/%d/?done=added", id))
		expect(t, c.follow(res), http.StatusOK, "Added.", `value="Guitar"`, `value="2.5"`)
		checkAudit(t, e.lastAudit(t), e.root, "add", "item", id, "", fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2.5}`, id))
	})
}

func TestItemFormErrors(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		long := strings.Repeat("é", inventory.MaxNameLength+1)
		for _, tc := range []struct {
			name, weight string
			messages     []string
		}{
			{"", "1", []string{"This field may not be blank."}},
			{"   ", "abc", []string{"This field may not be blank.", "A valid number is required."}},
			{long, "1", []string{"Ensure this field has no more than 255 characters."}},
			{"Anvil", "-1", []string{"Ensure this value is greater than or equal to 0."}},
			{"Anvil", "NaN", []string{"A valid number is required."}},
			{"Anvil", "Inf", []string{"A valid number is required."}},
			{"<b>Anvil</b>", "two", []string{"A valid number is required."}},
		} {
			res := c.post("/admin/items/add", url.Values{"name": {tc.name}, "weight": {tc.weight}})
			// The messages are next to their fields, and what was typed is
			// still there, escaped.
			expect(t, res, http.StatusBadRequest, tc.messages...)
			if !strings.Contains(res.body, `class="field invalid"`) {
				t.Errorf("%q %q: no field marked invalid", tc.name, tc.weight)
			}
			expect(t, res, http.StatusBadRequest, `value="`+tc.name+`"`, `value="`+tc.weight+`"`)
			if strings.Contains(res.body, "<b>Anvil") {
				t.Error("the typed name was not escaped")
			}
		}
		if n, _ := e.items.CountItems(context.Background(), inventoryAll); n != 0 {
			t.Errorf("%d items stored from bad forms", n)
		}
		if n := len(e.audit(t)); n != 1 { // the sign-in
			t.Errorf("bad forms made %d audit entries", n-1)
		}
	})
}

func TestItemChange(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		it := e.mustItem(t, "Guitar", 2)
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/items/%d/", it.ID)
		expect(t, c.get(path), http.StatusOK, fmt.Sprintf("Item #%d: Guitar", it.ID), `value="Guitar"`, `value="2"`)

		res := c.post(path, url.Values{"name": {"Bass"}, "weight": {"x"}})
		expect(t, res, http.StatusBadRequest, "A valid number is required.", `value="Bass"`, `value="x"`)
		if got, _ := e.items.Item(context.Background(), it.ID); got != it {
			t.Errorf("a refused change changed the item: %v", got)
		}

		expectRedirect(t, c.post(path, url.Values{"name": {"Bass"}, "weight": {"3"}}), path+"?done=saved")
		if got, _ := e.items.Item(context.Background(), it.ID); got.Name != "Bass" || got.Weight != 3 {
			t.Errorf("item after the change: %v", got)
		}
		checkAudit(t, e.lastAudit(t), e.root, "change", "item", it.ID,
			fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2}`, it.ID), fmt.Sprintf(`{"id":%d,"name":"Bass","weight":3}`, it.ID))

		expect(t, c.get("/admin/items/999/"), http.StatusNotFound, "There is no such object")
		expect(t, c.get("/admin/items/abc/"), http.StatusNotFound)
		expect(t, c.post("/admin/items/999/", url.Values{"name": {"x"}, "weight": {"1"}}), http.StatusNotFound)
	})
}

func TestItemDelete(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		it := e.mustItem(t, "Guitar", 2)
		inv, err := e.items.InventoryOfUser(context.Background(), e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.items.AddItems(context.Background(), inv.ID, it.ID); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/items/%d/delete", it.ID)
		// The confirmation page changes nothing.
		expect(t, c.get(path), http.StatusOK, "Delete item?", "Guitar", "It leaves every inventory that holds it.")
		if _, err := e.items.Item(context.Background(), it.ID); err != nil {
			t.Fatalf("the confirmation page deleted the item: %v", err)
		}
		expectRedirect(t, c.post(path, nil), "/admin/items/?done=deleted")
		if _, err := e.items.Item(context.Background(), it.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("item after delete: %v", err)
		}
		checkAudit(t, e.lastAudit(t), e.root, "delete", "item", it.ID, fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2}`, it.ID), "")
		expect(t, c.post(path, nil), http.StatusNotFound)
	})
}

// A NUL or invalid UTF-8 in a search box or a form field is refused with
// 400 on every page, on both databases, before it reaches a store.
func TestUnstorableInput(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		e.mustItem(t, "Guitar", 2)
		c := e.signIn(t, "root")
		for _, page := range []string{"items", "inventories", "monsters", "players", "users", "audit"} {
			for _, q := range []string{"%00", "a%00b", "%ff"} {
				expect(t, c.get("/admin/"+page+"/?q="+q), http.StatusBadRequest)
			}
		}
		expect(t, c.post("/admin/items/add", url.Values{"name": {"Dr\x00um"}, "weight": {"1"}}), http.StatusBadRequest)
		expect(t, c.post("/admin/inventories/add", url.Values{"user": {"ro\x00ot"}}), http.StatusBadRequest)
		expect(t, c.get("/admin/items/?q=gui"), http.StatusOK, "Guitar")
	})
}
