package admin_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/examples/server/admin"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite" // file paths and :memory:
)

// A host mounts the admin beside its API; an admin signs in with the form
// and every change lands in the audit trail.
func Example() {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := storage.Migrate(ctx, db, inventory.Migrations(), enemies.Migrations(), players.Migrations(),
		accounts.Migrations(), admin.Migrations()); err != nil {
		log.Fatal(err)
	}
	acc, err := accounts.New(db, &accounts.Options{BcryptCost: bcrypt.MinCost}) // fast, for an example
	if err != nil {
		log.Fatal(err)
	}
	ps, err := players.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	items, err := inventory.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	monsters, err := enemies.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	adm, err := admin.New(&admin.Options{
		Accounts:  acc,
		Inventory: items,
		Monsters:  monsters,
		Players:   ps,
		DB:        db,
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := acc.CreateUser(ctx, "root", "correct horse", true); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/admin/", adm)
	srv := httptest.NewServer(acc.Middleware(mux))
	defer srv.Close()

	// A browser: it keeps the session cookie, and sends the Origin of the
	// page a form is on, as browsers do.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL)
		res, err := browser.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println("POST", path, res.Status, res.Header.Get("Location"))
	}
	post("/admin/signin", url.Values{"username": {"root"}, "password": {"correct horse"}})
	post("/admin/items/add", url.Values{"name": {"Guitar"}, "weight": {"2"}})

	entries, err := adm.Audit(ctx, admin.AuditOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Printf("%s: %s %s #%d %s\n", e.Username, e.Action, e.ObjectType, e.ObjectID, e.After)
	}
	// Output:
	// POST /admin/signin 303 See Other /admin/
	// POST /admin/items/add 303 See Other /admin/items/1/?done=added
	// root: add item #1 {"id":1,"name":"Guitar","weight":2}
	// root: sign in session #0
}
