package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/internal/browsertest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestBrowser drives the admin in Chromium, as a person would: a player is
// turned away at sign-in, an admin signs in, adds an item that the API then
// lists, sees the gifts in alice's inventory, and fires attack then evade
// on a monster with the page's buttons. It saves screenshots of the item
// list (laptop and phone widths), alice's inventory and the monster page.
func TestBrowser(t *testing.T) {
	b := browsertest.New(t)
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db, nil)
		var gifts []int64
		for i := range 30 {
			gifts = append(gifts, e.mustItem(t, fmt.Sprintf("Gift for alice #%d", i+1), float64(i%4)/2).ID)
		}
		inv, err := e.items.InventoryOfUser(context.Background(), e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.items.AddItems(context.Background(), inv.ID, gifts[26:]...); err != nil { // the latest four
			t.Fatal(err)
		}
		m := e.mustMonster(t)
		api, err := inventory.NewHandler(e.items, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The example server's wiring: the API under /api/, the admin under
		// /admin/, the accounts middleware around both.
		mux := http.NewServeMux()
		mux.Handle("/api/", http.StripPrefix("/api", api))
		mux.Handle("/admin/", e.adm)
		srv := httptest.NewServer(e.acc.Middleware(mux))
		t.Cleanup(srv.Close)

		tab := b.Tab(t)
		ctx, cancel := context.WithTimeout(tab, 2*time.Minute) // generous: a cold browser under -race
		defer cancel()
		text := func(selector string) string {
			t.Helper()
			return browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).innerText`, selector))
		}
		location := func() string {
			t.Helper()
			return browsertest.Eval[string](t, ctx, `location.pathname + location.search`)
		}
		signIn := func(username string) {
			t.Helper()
			browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin/"), chromedp.WaitVisible(chromedp.ID("password")),
				chromedp.SetValue(chromedp.ID("username"), username), chromedp.SetValue(chromedp.ID("password"), password),
				chromedp.Click(chromedp.CSS("main form button[type=submit]")))
		}

		// A player's right password does not open the admin.
		signIn("alice")
		browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".errors")))
		if got := text(".errors"); !strings.Contains(got, "correct username and password for an admin account") {
			t.Errorf("a player's sign-in says %q", got)
		}
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin/items/"), chromedp.WaitVisible(chromedp.ID("password")))
		if got := location(); got != "/admin/signin?next=%2Fadmin%2Fitems%2F" {
			t.Errorf("after a player's sign-in, /admin/items/ is at %s, want the sign-in page", got)
		}

		// The admin signs in and adds an item.
		signIn("root")
		browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("div.cards")))
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin/items/add"), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SetValue(chromedp.ID("name"), "Guitar"), chromedp.SetValue(chromedp.ID("weight"), "2.5"),
			chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
		if got := text("p.flash"); got != "Added." {
			t.Errorf("after adding an item the page says %q", got)
		}

		// The API lists it.
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/api/items/"), chromedp.WaitReady(chromedp.CSS("body")))
		var items []inventory.Item
		// Chromium shows JSON in a <pre>, with its own controls around it.
		body := browsertest.Eval[string](t, ctx, `(document.querySelector("pre") || document.body).innerText`)
		if json.Unmarshal([]byte(body), &items) != nil {
			t.Fatalf("GET /api/items/ in the browser: %s", body)
		}
		found := false
		for _, it := range items {
			found = found || it.Name == "Guitar" && it.Weight == 2.5
		}
		if !found {
			t.Errorf("GET /api/items/ does not list the new item: %+v", items)
		}

		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/admin/items/?sort=-id"), chromedp.WaitVisible(chromedp.CSS("table")))
		browsertest.Screenshot(t, ctx, "items")
		browsertest.Do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/admin/items/?sort=-id"),
			chromedp.WaitVisible(chromedp.CSS("table")))
		browsertest.Screenshot(t, ctx, "items-phone")
		browsertest.Do(t, ctx, chromedp.EmulateViewport(1280, 900))

		browsertest.Do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/inventories/%d/", srv.URL, inv.ID)),
			chromedp.WaitVisible(chromedp.ID("picker")))
		// Her four gifts, newest first, and nothing else.
		held := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("input[id^=remove-]")].map(box => box.value)`)
		if want := []string{fmt.Sprint(gifts[29]), fmt.Sprint(gifts[28]), fmt.Sprint(gifts[27]), fmt.Sprint(gifts[26])}; !slices.Equal(held, want) {
			t.Errorf("alice's inventory shows items %v, want %v", held, want)
		}
		browsertest.Screenshot(t, ctx, "inventory")

		// Attack, then evade, with the monster page's buttons.
		monster := fmt.Sprintf("%s/admin/monsters/%d/", srv.URL, m.ID)
		state := func() string { t.Helper(); return text("dl.facts dd strong") }
		browsertest.Do(t, ctx, chromedp.Navigate(monster), chromedp.WaitVisible(chromedp.ID("attack-user")),
			chromedp.SetValue(chromedp.ID("attack-user"), "alice"),
			chromedp.Click(chromedp.CSS(`button[value="attack"]`)), chromedp.WaitVisible(chromedp.CSS("p.flash")))
		if got := state(); got != "attacking" {
			t.Fatalf("after attack the page shows %q", got)
		}
		browsertest.Do(t, ctx, chromedp.Navigate(monster), chromedp.WaitVisible(chromedp.CSS(`button[value="evade"]`)),
			chromedp.Click(chromedp.CSS(`button[value="evade"]`)), chromedp.WaitVisible(chromedp.CSS("p.flash")))
		if got := state(); got != "evading" {
			t.Fatalf("after evade the page shows %q", got)
		}
		stored, err := e.monsters.Monster(context.Background(), m.ID)
		if err != nil || stored.State != enemies.Evading || *stored.UserBeingAttacked != e.alice.ID {
			t.Errorf("stored monster: %+v, %v; want evading, attacking alice", stored, err)
		}
		if got := text("table tbody"); !strings.Contains(got, "attack") || !strings.Contains(got, "evade") {
			t.Errorf("history: %q", got)
		}
		browsertest.Screenshot(t, ctx, "monster")
	}, migrations()...)
}
