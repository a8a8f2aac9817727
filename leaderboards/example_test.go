package leaderboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/leaderboards"
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
	if _, err := storage.Migrate(ctx, db, leaderboards.Migrations()); err != nil {
		log.Fatal(err)
	}
	return db
}

// The server submits scores; the board keeps each player's best of the
// day and ranks them, and a new day is a new period with nothing to run.
func Example() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	clock := time.Date(2027, 1, 15, 23, 59, 0, 0, time.UTC)
	// The realtime hub would deliver these to subscribed clients.
	announce := gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
		c := e.Data.(leaderboards.Change)
		fmt.Printf("  %s %s: user %d is #%d (was #%d)\n", e.Channel, e.Name, c.Record.UserID, c.Record.Rank, c.PreviousRank)
		return nil
	})
	store, err := leaderboards.NewSQLStore(db, &leaderboards.StoreOptions{
		Publisher: announce, Now: func() time.Time { return clock }, RankDepth: -1})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.CreateBoard(ctx, &leaderboards.Board{ID: "daily", Reset: "@daily"}); err != nil {
		log.Fatal(err)
	}
	for _, s := range []struct {
		user  int64
		name  string
		score int64
	}{{1, "alice", 120}, {2, "bob", 300}, {1, "alice", 90}, {1, "alice", 310}} {
		if _, err := store.Submit(ctx, "daily", s.user, s.name, s.score, 0, nil); err != nil {
			log.Fatal(err)
		}
	}
	page, err := store.Top(ctx, "daily", leaderboards.TopOptions{Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("period from", page.Period.Start.Format(time.DateOnly))
	for _, r := range page.Records {
		fmt.Printf("#%d %s %d\n", r.Rank, r.Username, r.Score)
	}

	clock = clock.Add(time.Minute) // midnight: a new period
	page, _ = store.Top(ctx, "daily", leaderboards.TopOptions{})
	fmt.Println("period from", page.Period.Start.Format(time.DateOnly), "records:", len(page.Records))
	yesterday := page.Period.ID - 24*60*60
	r, _ := store.Record(ctx, "daily", 1, &yesterday)
	fmt.Println("alice yesterday:", r.Score, "#", r.Rank)
	// Output:
	//   leaderboard.daily record: user 1 is #1 (was #0)
	//   leaderboard.daily record: user 2 is #1 (was #0)
	//   leaderboard.daily record: user 1 is #1 (was #2)
	// period from 2027-01-15
	// #1 alice 310
	// #2 bob 300
	// period from 2027-01-16 records: 0
	// alice yesterday: 310 # 1
}

// A host mounts the handler under /api/ behind its own authentication, and
// lets players submit to client-writable boards through its check.
func ExampleNewHandler() {
	ctx := context.Background()
	db := openDB()
	defer db.Close()
	store, err := leaderboards.NewSQLStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := store.CreateBoard(ctx, &leaderboards.Board{ID: "laps", Order: leaderboards.LowerFirst, ClientWritable: true}); err != nil {
		log.Fatal(err)
	}
	api, err := leaderboards.NewHandler(store, &leaderboards.HandlerOptions{
		// No lap is faster than 30 s.
		CheckSubmit: func(_ context.Context, _ gamekit.Identity, _ leaderboards.Board, s leaderboards.Submission) error {
			if s.Score < 30_000 {
				return gamekit.Invalid("score", "No lap is that fast.")
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	// The host's authentication puts the caller on the context; here every
	// request comes from alice.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			alice := gamekit.Identity{UserID: 1, Username: "alice"}
			next.ServeHTTP(w, r.WithContext(gamekit.WithIdentity(r.Context(), alice)))
		})
	}
	srv := httptest.NewServer(auth(mux))
	defer srv.Close()

	for _, body := range []string{`{"score":12000}`, `{"score":61500,"metadata":{"car":"red"}}`} {
		res, err := http.Post(srv.URL+"/api/leaderboards/laps/", "application/json", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var rec map[string]any
		json.Unmarshal(b, &rec)
		delete(rec, "updated_at")
		out, _ := json.Marshal(rec)
		fmt.Println(res.StatusCode, string(out))
	}
	// Output:
	// 400 {"score":["No lap is that fast."]}
	// 200 {"metadata":{"car":"red"},"rank":1,"score":61500,"subscore":0,"user":1,"username":"alice"}
}
