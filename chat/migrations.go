package chat

import (
	"embed"

	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema of the package's tables — rooms, members,
// messages, the senders' rate limits, mutes and blocks, each prefixed
// gamekit_chat_ — as bun migrations that run on SQLite and PostgreSQL
// alike. A host merges them with the other packages' and runs them with one
// migrator (storage.Migrate).
func Migrations() *migrate.Migrations {
	return storage.MustLoadMigrations(migrationFiles, "migrations")
}
