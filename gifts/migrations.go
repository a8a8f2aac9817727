package gifts

import (
	"embed"

	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema of the package's tables,
// gamekit_gift_schedules (a row per schedule: its lease and its progress)
// and gamekit_gift_schedulers (a heartbeat per scheduler), as bun
// migrations that run on SQLite and PostgreSQL alike. A host merges
// them with the other packages' and runs them with one migrator. The gifts
// themselves are inventory items, in inventory's tables.
func Migrations() *migrate.Migrations {
	return storage.MustLoadMigrations(migrationFiles, "migrations")
}
