package inventory_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// readCounter counts the full reads of inventories, to tell a response
// from the cache from one read from the database.
type readCounter struct {
	inventory.Store
	reads *atomic.Int64
}

func (s readCounter) Inventory(ctx context.Context, id int64) (inventory.Inventory, error) {
	s.reads.Add(1)
	return s.Store.Inventory(ctx, id)
}

// secondPool opens another connection pool on db's database, as another
// server process would have.
func secondPool(t *testing.T, db *bun.DB) *bun.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	if db.Dialect().Name().String() == "pg" {
		var schema string
		if err := db.NewRaw(`SELECT current_schema()`).Scan(ctx, &schema); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv(storagetest.PostgresEnv))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else if err := db.NewRaw(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(ctx, &dsn); err != nil {
		t.Fatal(err)
	}
	other, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// A cached inventory is never served stale after a change made by another
// process: a grant, a PATCH, items added and removed, an item deleted, the
// inventory deleted. Between changes it is served from memory.
func TestCachedInventoryAcrossProcesses(t *testing.T) {
	storagetest.RunOn(t, []storagetest.Kind{storagetest.File, storagetest.Postgres}, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		here := storagetest.Must(inventory.NewSQLStore(db, nil))
		there := storagetest.Must(inventory.NewSQLStore(secondPool(t, db), nil))
		var reads atomic.Int64
		h := storagetest.Must(inventory.NewHandler(readCounter{here, &reads}, &inventory.HandlerOptions{Users: users{1: "alice", 2: "bob"}}))
		mux := http.NewServeMux()
		mux.Handle("/api/", http.StripPrefix("/api", h))
		srv := apitest.Serve(t, apitest.WithCallers(mux))

		guitar := mustItem(t, there, "Guitar", 2)
		piano := mustItem(t, there, "Piano", 10)
		alice := mustInventory(t, there, 1, "alice", guitar.ID)
		detail := fmt.Sprintf("/api/inventories/%d/", alice.ID)
		// expect checks what alice and the admin read, in every form, and
		// that the second of two identical reads came from memory.
		expect := func(step string, items ...int64) {
			t.Helper()
			ids := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(items)), ","), "[]")
			one := fmt.Sprintf(`{"id":%d,"user":1,"items":[%s]}`, alice.ID, ids)
			for _, rq := range []struct{ caller, path, want string }{
				{"alice", "/api/inventories/?username=alice", "[" + one + "]"},
				{"alice", "/api/inventories/", "[" + one + "]"},
				{"alice", detail, one},
				{"admin", detail, one},
			} {
				before := reads.Load()
				for range 2 {
					status, _, body := srv.Do(apitest.As(rq.caller), "GET", rq.path, "")
					if status != 200 || !apitest.JSONEqual(t, body, rq.want) {
						t.Errorf("%s: GET %s as %s: got %d %s, want 200 %s", step, rq.path, rq.caller, status, body, rq.want)
					}
				}
				if n := reads.Load() - before; n > 1 {
					t.Errorf("%s: GET %s twice read the inventory %d times, want at most once", step, rq.path, n)
				}
			}
		}
		expect("created", guitar.ID)

		if _, err := there.Grant(ctx, "gifts:1", "Gift for {username}", 0, nil); err != nil {
			t.Fatal(err)
		}
		gifted, err := there.InventoryOfUser(ctx, 1)
		if err != nil || len(gifted.Items) != 2 {
			t.Fatalf("after the grant: %+v %v", gifted, err)
		}
		gift := gifted.Items[1]
		expect("granted", guitar.ID, gift)

		items := []int64{piano.ID}
		if _, err := there.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{Items: &items}); err != nil {
			t.Fatal(err)
		}
		expect("patched", piano.ID)

		if err := there.AddItems(ctx, alice.ID, guitar.ID, gift); err != nil {
			t.Fatal(err)
		}
		expect("added", guitar.ID, piano.ID, gift)
		if err := there.RemoveItems(ctx, alice.ID, guitar.ID); err != nil {
			t.Fatal(err)
		}
		expect("removed", piano.ID, gift)
		if err := there.DeleteItem(ctx, gift); err != nil {
			t.Fatal(err)
		}
		expect("item deleted", piano.ID)

		// Moved to bob: alice no longer has it, bob does.
		bob := int64(2)
		if _, err := there.UpdateInventory(ctx, alice.ID, inventory.InventoryChange{UserID: &bob, Username: "bob"}); err != nil {
			t.Fatal(err)
		}
		for _, rq := range []struct{ caller, path, want string }{
			{"alice", "/api/inventories/", "[]"},
			{"bob", "/api/inventories/", fmt.Sprintf(`[{"id":%d,"user":2,"items":[%d]}]`, alice.ID, piano.ID)},
		} {
			if status, _, body := srv.Do(apitest.As(rq.caller), "GET", rq.path, ""); status != 200 || !apitest.JSONEqual(t, body, rq.want) {
				t.Errorf("moved: GET %s as %s: got %d %s, want 200 %s", rq.path, rq.caller, status, body, rq.want)
			}
		}
		if status, _, body := srv.Do(apitest.As("alice"), "GET", detail, ""); status != 404 {
			t.Errorf("moved: GET %s as alice: got %d %s, want 404", detail, status, body)
		}

		if err := there.DeleteInventory(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, body := srv.Do(apitest.As("bob"), "GET", "/api/inventories/", ""); status != 200 || body != "[]\n" {
			t.Errorf("deleted: got %d %q, want 200 []", status, body)
		}
		if status, _, body := srv.Do(apitest.As("admin"), "GET", detail, ""); status != 404 {
			t.Errorf("deleted: GET %s as admin: got %d %s, want 404", detail, status, body)
		}
	}, inventory.Migrations())
}

// An inventory's items, a page at a time, for its owner and admins only.
func TestInventoryItemsPages(t *testing.T) {
	runAPI(t, nil, func(t *testing.T, a *api) {
		path := fmt.Sprintf("/api/inventories/%d/items/", a.adminInv.ID)
		guitar := fmt.Sprintf(`{"id":%d,"name":"Guitar","weight":2}`, a.guitar.ID)
		piano := fmt.Sprintf(`{"id":%d,"name":"Piano","weight":10}`, a.piano.ID)
		for _, tc := range []struct {
			caller, path string
			status       int
			want         string
		}{
			{"admin", path, 200, "[" + guitar + "," + piano + "]"},
			{"admin", path + "?limit=1", 200, fmt.Sprintf(`{"count":2,"next":"%s%s?limit=1&offset=1","previous":null,"results":[%s]}`,
				a.srv.URL, path, guitar)},
			{"admin", path + "?limit=1&offset=1", 200, fmt.Sprintf(`{"count":2,"next":null,"previous":"%s%s?limit=1","results":[%s]}`,
				a.srv.URL, path, piano)},
			{"admin", path + "?ordering=-id", 200, "[" + piano + "," + guitar + "]"},
			{"alice", fmt.Sprintf("/api/inventories/%d/items", a.aliceInv.ID), 200, "[" + guitar + "]"},
			{"alice", path, 404, `{"detail":"Not found."}`},
			{"", path, 401, `{"detail":"Authentication credentials were not provided."}`},
			{"admin", "/api/inventories/999/items/", 404, `{"detail":"Not found."}`},
		} {
			status, _, body := a.do(tc.caller, "GET", tc.path, "")
			if status != tc.status || !apitest.JSONEqual(t, body, tc.want) {
				t.Errorf("GET %s as %q: got %d %s, want %d %s", tc.path, tc.caller, status, body, tc.status, tc.want)
			}
		}
		if status, _, _ := a.do("admin", "POST", path, `{}`); status != 405 {
			t.Errorf("POST %s: got %d, want 405", path, status)
		}
	})
}
