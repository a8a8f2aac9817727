package gifts_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/gifts"
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
	if _, err := storage.Migrate(ctx, db, inventory.Migrations(), gifts.Migrations()); err != nil {
		log.Fatal(err)
	}
	return db
}

// A host gives the scheduler its inventory store and its realtime hub
// (here a function printing what each player is told), starts it once the
// server is ready and stops it on shutdown. The tutorial's interval is 10
// seconds, the default; this example's is short so it ends quickly.
func Example() {
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

	told := make(chan gamekit.Event, 100)
	s, err := gifts.New(db, store, &gifts.Options{
		Interval: 100 * time.Millisecond,
		Publisher: gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
			told <- e
			return nil
		}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	// Two ticks: each player hears of each gift on their own channel.
	var ticks []int64
	for range 4 {
		e := <-told
		gift := e.Data.(gifts.Gift)
		if len(ticks) == 0 || ticks[len(ticks)-1] != gift.Tick {
			ticks = append(ticks, gift.Tick)
		}
		fmt.Println(e.Channel, e.Name)
	}
	if err := s.Stop(ctx); err != nil { // waits for a tick in progress
		log.Fatal(err)
	}
	fmt.Println("two ticks:", len(ticks) == 2 && ticks[1] > ticks[0])

	inv, err := store.InventoryOfUser(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	gift, err := store.Item(ctx, inv.Items[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bob's first gift: %q, %v kg\n", gift.Name, gift.Weight)
	// Output:
	// user.1 gift
	// user.2 gift
	// user.1 gift
	// user.2 gift
	// two ticks: true
	// bob's first gift: "Gift for bob", 0 kg
}
