package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite"
)

// Importing the package is all a host does with it: storage.Open then
// opens file paths (created if missing) with the settings of a server,
// which any connection of the pool shows.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "game")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := storage.Open(ctx, filepath.Join(dir, "game.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, pragma := range []string{"journal_mode", "foreign_keys", "busy_timeout", "synchronous"} {
		var value string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&value); err != nil {
			log.Fatal(err)
		}
		fmt.Println(pragma, value)
	}
	fmt.Println("connections", db.Stats().MaxOpenConnections) // one writes at a time, the rest read
	// Output:
	// journal_mode wal
	// foreign_keys 1
	// busy_timeout 10000
	// synchronous 1
	// connections 8
}
