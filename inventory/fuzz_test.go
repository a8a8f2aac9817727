package inventory_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// FuzzItemWrite sends arbitrary bodies to PUT and PATCH /items/{id}/ as an
// admin: the answer is never a server error, and the stored item is either
// unchanged or valid and equal to what the answer says.
func FuzzItemWrite(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Guitar","weight":2.0}`, `{"weight":0}`, `{"name":""}`, `{"name":"x","name":"y"}`,
		`{"weight":-1}`, `{"weight":1e308}`, `{"id":7,"name":"n","weight":1}`, `{"name":"\u0000"}`, `{} x`,
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	db := storagetest.Open(f, storagetest.Memory, inventory.Migrations())
	store := storagetest.Must(inventory.NewSQLStore(db, nil))
	h, err := inventory.NewHandler(store, nil)
	if err != nil {
		f.Fatal(err)
	}
	item := inventory.Item{Name: "Guitar", Weight: 2}
	if err := store.CreateItem(context.Background(), &item); err != nil {
		f.Fatal(err)
	}
	admin := gamekit.Identity{UserID: 1, Username: "admin", Admin: true}
	f.Fuzz(func(t *testing.T, body string, put bool) {
		ctx := context.Background()
		before, err := store.Item(ctx, item.ID)
		if err != nil {
			t.Fatal(err)
		}
		method := "PATCH"
		if put {
			method = "PUT"
		}
		req := httptest.NewRequest(method, "/items/1/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(gamekit.WithIdentity(req.Context(), admin))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after, err := store.Item(ctx, item.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Code == 200:
			if err := after.Validate(); err != nil {
				t.Fatalf("%s %q stored an invalid item %+v: %v", method, body, after, err)
			}
		case rec.Code == 400 || rec.Code == 413:
			if after != before {
				t.Fatalf("%s %q refused with %d but changed %+v to %+v", method, body, rec.Code, before, after)
			}
		default:
			t.Fatalf("%s %q: status %d %s", method, body, rec.Code, rec.Body)
		}
	})
}

// FuzzListQuery sends arbitrary query strings to the item and inventory
// lists, as an admin, on SQLite and (with GAMEKIT_TEST_POSTGRES) on
// PostgreSQL: whatever reaches the database as a search, a username or a
// sort, the answer is never a server error.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"search=%00", "username=%00", "search=a%00b", "search=%ff", "username=%c3%28", "ordering=%00",
		"search=%25_%5C", "limit=1&offset=%00", "q=%00&search=gu", "%00=1", "search=\xff",
	} {
		f.Add(seed)
	}
	var handlers []http.Handler
	for _, kind := range []storagetest.Kind{storagetest.Memory, storagetest.Postgres} {
		if kind == storagetest.Postgres && os.Getenv(storagetest.PostgresEnv) == "" {
			continue
		}
		db := storagetest.Open(f, kind, inventory.Migrations())
		store := storagetest.Must(inventory.NewSQLStore(db, nil))
		h, err := inventory.NewHandler(store, nil)
		if err != nil {
			f.Fatal(err)
		}
		handlers = append(handlers, h)
	}
	admin := gamekit.Identity{UserID: 1, Username: "admin", Admin: true}
	f.Fuzz(func(t *testing.T, query string) {
		for _, h := range handlers {
			for _, path := range []string{"/items/", "/inventories/"} {
				req := httptest.NewRequest("GET", "/", nil)
				req.URL.Path, req.URL.RawQuery = path, query
				req = req.WithContext(gamekit.WithIdentity(req.Context(), admin))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("GET %s?%s: status %d %s", path, query, rec.Code, rec.Body)
				}
			}
		}
	})
}
