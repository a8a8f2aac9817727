// Package postgres is gamekit's PostgreSQL driver (bun's pgdriver):
// importing it lets storage.Open open postgres:// and postgresql:// URLs,
// and teaches storage.Classify pgdriver's errors.
//
//	import _ "github.com/gamekit/gamekit/storage/postgres"
//
//	db, err := storage.Open(ctx, "postgres://game@db.internal:5432/game?sslmode=disable")
//
// # Settings
//
// The URL's query parameters other than the driver's own (sslmode,
// application_name, ...) are passed to the server as run-time settings, so
// "&search_path=game" selects a schema. The pool is bounded (MaxConns) so a
// burst of requests queues in the process instead of exhausting the
// server's max_connections.
//
// A host on another PostgreSQL driver (pgx, lib/pq) needs none of this
// package: storage.Classify reads any error with a SQLState method.
package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/gamekit/gamekit/storage"
)

// MaxConns bounds one process's PostgreSQL pool.
const MaxConns = 16

func init() {
	for _, scheme := range []string{"postgres", "postgresql"} {
		storage.Register(scheme, open)
	}
	storage.RegisterClassifier(classify)
}

func open(_ context.Context, dsn string) (*bun.DB, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	sqldb.SetMaxOpenConns(MaxConns)
	sqldb.SetMaxIdleConns(MaxConns)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// classify reads the SQLSTATE of pgdriver's errors, which have no
// SQLState method.
func classify(err error) storage.Class {
	var e pgdriver.Error
	if !errors.As(err, &e) {
		return storage.Unknown
	}
	return storage.ClassOfSQLState(e.Field('C'))
}
