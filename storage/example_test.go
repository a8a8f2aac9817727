package storage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite" // file paths and storage.Memory
)

// A host opens its database through Open, with the driver package of each
// kind of DSN it accepts imported, and migrates every package's tables,
// its own among them, with one call. Changes that span several statements
// or stores go in RunInTx; what must happen only once they are stored
// (telling clients) goes in AfterCommit.
func Example() {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Memory) // or "game.db", or a postgres:// URL with storage/postgres imported
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Each package's tables are a set of migrations (inventory.Migrations(),
	// players.Migrations(), ...); these are the host's own, in SQL both
	// databases accept (IDColumn is the one word that differs). A package
	// embeds its files rather than building them in memory.
	scores := storage.MustLoadMigrations(fstest.MapFS{
		"migrations/20260101000000_scores.up.sql": {Data: []byte(
			"CREATE TABLE scores (id ID_PRIMARY_KEY, name TEXT NOT NULL UNIQUE, points BIGINT NOT NULL);\n")},
		"migrations/20260101000000_scores.down.sql": {Data: []byte("DROP TABLE scores;\n")},
	}, "migrations")
	badges := storage.MustLoadMigrations(fstest.MapFS{
		"migrations/20260102000000_badges.up.sql":   {Data: []byte("CREATE TABLE badges (id ID_PRIMARY_KEY, name TEXT NOT NULL);\n")},
		"migrations/20260102000000_badges.down.sql": {Data: []byte("DROP TABLE badges;\n")},
	}, "migrations")
	n, err := storage.Migrate(ctx, db, scores, badges)
	fmt.Println("first start: applied", n, err)
	n, err = storage.Migrate(ctx, db, scores, badges)
	fmt.Println("next start: applied", n, err)

	score := func(name string, then error) error {
		return storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO scores (name, points) VALUES (?, 1)", name); err != nil {
				return err
			}
			// A store given this transaction announces its changes the
			// same way, after the commit.
			if err := storage.AfterCommit(ctx, tx, func(context.Context) { fmt.Println("  announced:", name, "scored") }); err != nil {
				return err
			}
			fmt.Println("  stored", name, "in the transaction")
			return then
		})
	}
	fmt.Println("alice:", score("alice", nil))
	fmt.Println("bob:", score("bob", errors.New("changed my mind")))
	err = score("alice", nil)
	fmt.Println("alice again: a unique violation:", storage.IsUniqueViolation(err))
	// Output:
	// first start: applied 2 <nil>
	// next start: applied 0 <nil>
	//   stored alice in the transaction
	//   announced: alice scored
	// alice: <nil>
	//   stored bob in the transaction
	// bob: changed my mind
	// alice again: a unique violation: true
}

// A store that reads a version on every request (to check a cached
// response against it) keeps it in a Memo: on a SQLite file the query
// runs once between two commits, whichever process makes them, and the
// version read is never older than the last commit.
func ExampleMemo() {
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
	if _, err := db.ExecContext(ctx, `CREATE TABLE versions (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
		INSERT INTO versions (id, version) VALUES (1, 1)`); err != nil {
		log.Fatal(err)
	}

	queries := 0
	versions := storage.NewMemo(db, func(ctx context.Context, id int64) (v int64, err error) {
		queries++
		return v, db.QueryRowContext(ctx, "SELECT version FROM versions WHERE id = ?", id).Scan(&v)
	})
	read := func() {
		v, err := versions.Read(ctx, 1)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("version %d, %d queries\n", v, queries)
	}
	read()
	read()
	if _, err := db.ExecContext(ctx, "UPDATE versions SET version = version + 1 WHERE id = 1"); err != nil {
		log.Fatal(err)
	}
	read()
	read()
	// Output:
	// version 1, 1 queries
	// version 1, 1 queries
	// version 2, 2 queries
	// version 2, 2 queries
}

// sqliteError stands for the error type of a SQLite driver gamekit has no
// package for: mattn/go-sqlite3's sqlite3.Error, whose Code is SQLite's
// primary result code and ExtendedCode its extended one. A host on that
// driver matches sqlite3.Error itself; this one keeps the example free of
// cgo.
type sqliteError struct {
	Code, ExtendedCode int
}

func (e sqliteError) Error() string {
	return fmt.Sprintf("sqlite: code %d (%d)", e.Code, e.ExtendedCode)
}

// A host on a driver whose errors have no SQLState method registers, once
// at start, what its errors mean, so RunInTx runs again a transaction that
// lost a race and the stores answer a duplicate with a conflict, not a
// 500. For mattn/go-sqlite3, by SQLite's codes (as storage/sqlite maps
// modernc's):
//
//   - primary 5 SQLITE_BUSY and 6 SQLITE_LOCKED (with every extended code
//     of theirs, such as 517 SQLITE_BUSY_SNAPSHOT): Busy;
//   - extended 2067 SQLITE_CONSTRAINT_UNIQUE and 1555
//     SQLITE_CONSTRAINT_PRIMARYKEY: UniqueViolation;
//   - extended 787 SQLITE_CONSTRAINT_FOREIGNKEY: ForeignKeyViolation;
//   - anything else, a CHECK or NOT NULL constraint (19 SQLITE_CONSTRAINT
//     with other extended codes) among them: Unknown.
//
// None of them is Conflict: with BEGIN IMMEDIATE a SQLite transaction
// waits for the writer before it starts, rather than being aborted in its
// favour, and Busy is run again all the same.
func ExampleRegisterClassifier() {
	storage.RegisterClassifier(func(err error) storage.Class {
		var e sqliteError // with mattn: var e sqlite3.Error
		if !errors.As(err, &e) {
			return storage.Unknown // another driver's error: not ours to name
		}
		switch e.ExtendedCode {
		case 2067, 1555:
			return storage.UniqueViolation
		case 787:
			return storage.ForeignKeyViolation
		}
		switch e.Code {
		case 5, 6:
			return storage.Busy
		}
		return storage.Unknown
	})

	for _, err := range []error{
		sqliteError{Code: 5, ExtendedCode: 5},
		sqliteError{Code: 5, ExtendedCode: 517},
		fmt.Errorf("insert item: %w", sqliteError{Code: 19, ExtendedCode: 2067}),
		sqliteError{Code: 19, ExtendedCode: 787},
		sqliteError{Code: 19, ExtendedCode: 275}, // SQLITE_CONSTRAINT_CHECK
	} {
		fmt.Printf("%v: %v\n", err, storage.Classify(err))
	}
	// Output:
	// sqlite: code 5 (5): Busy
	// sqlite: code 5 (517): Busy
	// insert item: sqlite: code 19 (2067): UniqueViolation
	// sqlite: code 19 (787): ForeignKeyViolation
	// sqlite: code 19 (275): Unknown
}
