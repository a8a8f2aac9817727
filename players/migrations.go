package players

import (
	"embed"

	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema of the package's one table,
// gamekit_players (a row per player: owner, position and the state of its
// rate limit), as bun migrations that run on SQLite and PostgreSQL alike.
// A host merges them with the other packages' and runs them with one
// migrator.
func Migrations() *migrate.Migrations {
	return storage.MustLoadMigrations(migrationFiles, "migrations")
}
