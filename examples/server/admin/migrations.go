package admin

import (
	"embed"

	"github.com/uptrace/bun/migrate"

	"github.com/gamekit/gamekit/storage"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema of the admin's one table,
// gamekit_admin_audit (the audit trail), as bun migrations that run on
// SQLite and PostgreSQL alike. A host merges them with the other packages'
// and runs them with one migrator.
func Migrations() *migrate.Migrations {
	return storage.MustLoadMigrations(migrationFiles, "migrations")
}
