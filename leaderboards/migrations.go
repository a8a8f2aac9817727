package leaderboards

import (
	"embed"

	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema of the package's tables,
// gamekit_leaderboards (a row per board) and gamekit_leaderboard_records
// (a row per board, period and user), as bun migrations that run on
// SQLite and PostgreSQL alike. A host merges them with the other
// packages' and runs them with one migrator.
func Migrations() *migrate.Migrations {
	return storage.MustLoadMigrations(migrationFiles, "migrations")
}
