package inventory_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite" // file paths and storage.Memory
)

// openDB opens a private in-memory database the way a host opens every
// database, with storage.Open (and the sqlite driver imported), and
// migrates it.
func openDB() *bun.DB {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := storage.Migrate(ctx, db, inventory.Migrations()); err != nil {
		log.Fatal(err)
	}
	return db
}

// A host runs the package's migrations on its database (see openDB), and
// mounts the handler under /api/ behind its own authentication.
func Example() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	store, err := inventory.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	guitar := inventory.Item{Name: "Guitar", Weight: 2}
	if err := store.CreateItem(ctx, &guitar); err != nil {
		log.Fatal(err)
	}

	api, err := inventory.NewHandler(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	// The host's authentication puts the caller on the context; here every
	// request comes from an admin.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			admin := gamekit.Identity{UserID: 1, Username: "admin", Admin: true}
			next.ServeHTTP(w, r.WithContext(gamekit.WithIdentity(r.Context(), admin)))
		})
	}
	srv := httptest.NewServer(auth(mux))
	defer srv.Close()

	res, err := http.Post(srv.URL+"/api/items/", "application/json", strings.NewReader(`{"name":"Piano","weight":10}`))
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	res, err = http.Get(srv.URL + "/api/items/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(string(body))
	// Output:
	// [{"id":1,"name":"Guitar","weight":2},{"id":2,"name":"Piano","weight":10}]
}

// A host creates a user's inventory when the user registers, and puts items
// in it; a gift round gives every inventory an item of its own, once per key.
func ExampleSQLStore_GrantItems() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	store, err := inventory.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i, name := range []string{"alice", "bob"} {
		if err := store.CreateInventory(ctx, &inventory.Inventory{UserID: int64(i + 1), Username: name}); err != nil {
			log.Fatal(err)
		}
	}

	grant := inventory.Grant{Key: "gifts:1", Name: "Gift for {username}",
		Granted: func(ctx context.Context, users []int64) error {
			fmt.Println("tell users", users)
			return nil
		}}
	n, err := store.GrantItems(ctx, grant)
	fmt.Println("granted", n, err)
	n, err = store.GrantItems(ctx, grant) // the same key again: nothing
	fmt.Println("granted", n, err)

	invs, _ := store.Inventories(ctx, inventory.ListOptions{Username: "bob"})
	gift, _ := store.Item(ctx, invs[0].Items[0])
	fmt.Printf("%s: %q, %v kg\n", invs[0].Username, gift.Name, gift.Weight)
	// Output:
	// tell users [1 2]
	// granted 2 <nil>
	// granted 0 <nil>
	// bob: "Gift for bob", 0 kg
}
