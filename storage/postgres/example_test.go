package postgres_test

import (
	"context"
	"log"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/postgres"
)

// Importing the package is all a host does with it: storage.Open then
// opens postgres:// URLs, and every store runs on the database as on
// SQLite. A DSN goes in logs only through storage.Redact. (This example
// needs a server, so it is compiled but not run.)
func Example() {
	ctx := context.Background()
	dsn := "postgres://game:secret@db.internal:5432/game?sslmode=disable&search_path=game"
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		log.Fatal(err) // the error names the DSN redacted
	}
	defer db.Close()
	log.Print("serving from ", storage.Redact(dsn)) // postgres://game:xxxxx@db.internal:5432/...
}
