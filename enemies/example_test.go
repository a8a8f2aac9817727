package enemies_test

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
	"github.com/gamekit/gamekit/enemies"
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
	if _, err := storage.Migrate(ctx, db, enemies.Migrations()); err != nil {
		log.Fatal(err)
	}
	return db
}

// The tutorial's shell session: a monster attacks, evades, and looks for
// aid by itself once its health drops; every committed change is
// announced, and every transition is in the history.
func Example() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	// The realtime hub would deliver these to subscribed clients.
	announce := gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
		m := e.Data.(enemies.Monster)
		fmt.Printf("  %s: %s %s\n", e.Channel, e.Name, m.State)
		return nil
	})
	store, err := enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: announce})
	if err != nil {
		log.Fatal(err)
	}

	m := enemies.NewMonster()
	if err := store.CreateMonster(ctx, &m); err != nil {
		log.Fatal(err)
	}
	const admin = 1 // the host's user who fires the transitions
	player := int64(2)
	m, err = store.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: &player}, admin)
	fmt.Println("attack:", m.State, *m.UserBeingAttacked, err)
	m, err = store.Fire(ctx, m.ID, enemies.Evade, enemies.Args{}, admin)
	fmt.Println("evade:", m.State, err)
	m, err = store.SetHealth(ctx, m.ID, 2)
	fmt.Println("health 2:", m.State, err)
	_, err = store.Fire(ctx, m.ID, enemies.Evade, enemies.Args{}, admin)
	fmt.Println("evade again:", err)

	history, err := store.History(ctx, enemies.HistoryOptions{Monster: m.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range history {
		by := "automatic"
		if h.By != nil {
			by = fmt.Sprint("by user ", *h.By)
		}
		fmt.Printf("%s: %s → %s, %s\n", h.Transition, h.From, h.To, by)
	}
	// Output:
	//   monsters: created wandering
	//   monsters: updated attacking
	// attack: attacking 2 <nil>
	//   monsters: updated evading
	// evade: evading <nil>
	//   monsters: updated looking for aid
	// health 2: looking for aid <nil>
	// evade again: fsm: transition "evade" not allowed from looking for aid
	// attack: wandering → attacking, by user 1
	// evade: attacking → evading, by user 1
	// look_for_aid: evading → looking for aid, automatic
}

// A host mounts the handler under /api/ behind its own authentication;
// admins fire transitions with POST /api/monsters/{id}/{transition}/.
func ExampleHandler() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	store, err := enemies.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	m := enemies.NewMonster()
	if err := store.CreateMonster(ctx, &m); err != nil {
		log.Fatal(err)
	}

	api, err := enemies.NewHandler(store, nil)
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

	post := func(path, body string) {
		res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		fmt.Print(res.StatusCode, " ", string(b))
	}
	post("/api/monsters/1/attack/", `{"user": 2}`)
	post("/api/monsters/1/attack/", `{"user": 2}`)
	post("/api/monsters/1/evade/", ``)
	post("/api/monsters/1/fly/", ``)
	// Output:
	// 200 {"id":1,"state":"attacking","user_being_attacked":2,"health_points":10}
	// 409 {"detail":"fsm: transition \"attack\" not allowed from attacking"}
	// 200 {"id":1,"state":"evading","user_being_attacked":2,"health_points":10}
	// 404 {"detail":"Not found."}
}

// The state diagram, as GET /api/monsters/graph/?format=mermaid serves it.
func ExampleMachine() {
	fmt.Print(enemies.Machine().Mermaid())
	// Output:
	// stateDiagram-v2
	//     wandering
	//     attacking
	//     state "looking for aid" as s2
	//     evading
	//     wandering --> attacking: attack
	//     attacking --> wandering: wander
	//     s2 --> wandering: wander
	//     attacking --> evading: evade
	//     evading --> s2: look_for_aid [health_points <= 5] (auto)
}
