package players_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/players"
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
	if _, err := storage.Migrate(ctx, db, players.Migrations()); err != nil {
		log.Fatal(err)
	}
	return db
}

// A player moves by steps of at most 1; everything else is refused, and
// only saved moves are announced, with the new position alone.
func Example() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	// The realtime hub would deliver these to subscribed clients.
	announce := gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
		data, _ := json.Marshal(e.Data)
		fmt.Printf("  %s: %s %s\n", e.Channel, e.Name, data)
		return nil
	})
	store, err := players.NewSQLStore(db, &players.StoreOptions{Publisher: announce})
	if err != nil {
		log.Fatal(err)
	}

	const alice, bob = 1, 2 // the host's users
	p := players.Player{UserID: alice, Username: "alice"}
	if err := store.CreatePlayer(ctx, &p); err != nil {
		log.Fatal(err)
	}
	p, err = store.Move(ctx, p.ID, alice, 1, -0.5)
	fmt.Println("alice moves by (1, -0.5):", p.X, p.Y, err)
	p, err = store.MoveTo(ctx, p.ID, alice, 2, 0)
	fmt.Println("alice moves to (2, 0):", p.X, p.Y, err)

	_, err = store.Move(ctx, p.ID, alice, 5, 0)
	fmt.Println("alice moves by 5:", err)
	_, err = store.Move(ctx, p.ID, bob, 1, 0)
	fmt.Println("bob moves alice's player:", err, errors.Is(err, gamekit.ErrForbidden))

	p, err = store.SetPosition(ctx, p.ID, 1000, 0) // an admin's move
	fmt.Println("the admin puts it at (1000, 0):", p.X, p.Y, err)
	_, err = store.Move(ctx, p.ID, alice, 1, 0)
	fmt.Println("alice moves by 1:", err)
	// Output:
	//   players: created {"id":1,"user":1,"position_x":0,"position_y":0}
	//   players: updated {"id":1,"position_x":1,"position_y":-0.5}
	// alice moves by (1, -0.5): 1 -0.5 <nil>
	//   players: updated {"id":1,"position_x":2,"position_y":0}
	// alice moves to (2, 0): 2 0 <nil>
	// alice moves by 5: invalid input: dx: Ensure this value is between -1 and 1.
	// bob moves alice's player: players: player 1 belongs to another user: only its owner may move it true
	//   players: updated {"id":1,"position_x":1000,"position_y":0}
	// the admin puts it at (1000, 0): 1000 0 <nil>
	// alice moves by 1: invalid input: dx: Ensure this move keeps position_x between -1000 and 1000; it would be 1001.
}

// Each player may make Rate moves in each one-second window; the move
// after that is refused with the time until the window ends. Here the
// clock stands still, as if the moves came all at once.
func ExampleStoreOptions_rate() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	store, err := players.NewSQLStore(db, &players.StoreOptions{
		Rate: 3,
		Now:  func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	p := players.Player{UserID: 1}
	if err := store.CreatePlayer(ctx, &p); err != nil {
		log.Fatal(err)
	}
	for i := range 4 {
		_, err := store.Move(ctx, p.ID, 1, 1, 0)
		var limited *gamekit.RateLimitError
		if errors.As(err, &limited) {
			fmt.Printf("move %d: refused; retry after %s\n", i+1, limited.RetryAfter)
		} else {
			fmt.Printf("move %d: %v\n", i+1, err)
		}
	}
	now = now.Add(400 * time.Millisecond)
	_, err = store.Move(ctx, p.ID, 1, 1, 0)
	fmt.Println("400 ms later:", err)
	now = now.Add(600 * time.Millisecond)
	p, err = store.Move(ctx, p.ID, 1, 1, 0)
	fmt.Println("1 s after the first move:", p.X, err)
	// Output:
	// move 1: <nil>
	// move 2: <nil>
	// move 3: <nil>
	// move 4: refused; retry after 1s
	// 400 ms later: players: player 1 moved 3 times this second, the most allowed; retry in 600ms
	// 1 s after the first move: 4 <nil>
}

// A host mounts the handler under /api/ behind its own authentication;
// the owner moves a player with POST /api/players/{id}/move/.
func ExampleHandler() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	store, err := players.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, user := range []int64{1, 2} {
		if err := store.CreatePlayer(ctx, &players.Player{UserID: user}); err != nil {
			log.Fatal(err)
		}
	}

	api, err := players.NewHandler(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	// The host's authentication puts the caller on the context; here every
	// request comes from user 1.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			alice := gamekit.Identity{UserID: 1, Username: "alice"}
			next.ServeHTTP(w, r.WithContext(gamekit.WithIdentity(r.Context(), alice)))
		})
	}
	srv := httptest.NewServer(auth(mux))
	defer srv.Close()

	do := func(method, path, body string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		fmt.Print(res.StatusCode, " ", string(b))
	}
	do("POST", "/api/players/1/move/", `{"dx": 1, "dy": -1}`)
	do("POST", "/api/players/1/move/", `{"dx": 2}`)
	do("POST", "/api/players/2/move/", `{"dx": 1}`)
	do("GET", "/api/players/?user=1", ``)
	// Output:
	// 200 {"id":1,"user":1,"position_x":1,"position_y":-1}
	// 400 {"dx":["Ensure this value is between -1 and 1."]}
	// 403 {"detail":"players: player 2 belongs to another user: only its owner may move it"}
	// 200 [{"id":1,"user":1,"position_x":1,"position_y":-1}]
}
