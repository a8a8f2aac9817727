package accounts_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite" // file paths and :memory:
)

// A host creates every user's inventory with the user, signs clients in
// with tokens, and reads the caller's identity in its handlers.
func Example() {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := storage.Migrate(ctx, db, inventory.Migrations(), accounts.Migrations()); err != nil {
		log.Fatal(err)
	}

	acc, err := accounts.New(db, &accounts.Options{
		BcryptCost: bcrypt.MinCost, // for a fast example; leave it unset in a server
		OnCreate: func(ctx context.Context, tx bun.Tx, u accounts.User) error {
			inv := inventory.Inventory{UserID: u.ID, Username: u.Username}
			store, err := inventory.NewSQLStore(tx, nil)
			if err != nil {
				return err
			}
			return store.CreateInventory(ctx, &inv)
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/api/auth/", http.StripPrefix("/api", acc.Handler()))
	mux.HandleFunc("/api/hello/", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := gamekit.IdentityFrom(r.Context()); ok {
			fmt.Fprintf(w, "hello, %s", id.Username)
			return
		}
		fmt.Fprint(w, "hello, stranger")
	})
	srv := httptest.NewServer(acc.Middleware(mux))
	defer srv.Close()

	post := func(path, body string) string {
		res, err := srv.Client().Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.Status + " " + strings.TrimSpace(string(b))
	}
	fmt.Println(post("/api/auth/register/", `{"username": "alice", "password": "correct horse"}`))
	fmt.Println(post("/api/auth/token/", `{"username": "alice", "password": "wrong horse"}`))

	alice, err := acc.UserByUsername(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	token, _, err := acc.IssueToken(ctx, alice.ID) // what POST /api/auth/token/ returns
	if err != nil {
		log.Fatal(err)
	}
	for _, authorization := range []string{"", "Bearer " + token} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/hello/", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(string(b))
	}

	store, err := inventory.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	invs, err := store.Inventories(ctx, inventory.ListOptions{UserID: alice.ID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inventories of alice:", len(invs))
	// Output:
	// 201 Created {"id":1,"username":"alice"}
	// 400 Bad Request {"non_field_errors":["Unable to log in with provided credentials."]}
	// hello, stranger
	// hello, alice
	// inventories of alice: 1
}
