package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// Work deferred with AfterCommit runs once, after the outermost commit, in
// order; never for a rolled-back transaction or savepoint; at once outside
// a transaction; and is refused in a transaction RunInTx did not begin.
func TestAfterCommit(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		var ran []string
		later := func(ctx context.Context, db bun.IDB, name string) error {
			return storage.AfterCommit(ctx, db, func(context.Context) { ran = append(ran, name) })
		}
		rollback := errors.New("roll back")
		err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if err := later(ctx, tx, "outer"); err != nil {
				return err
			}
			err := storage.RunInTx(ctx, tx, func(ctx context.Context, tx bun.Tx) error {
				if err := later(ctx, tx, "kept savepoint"); err != nil {
					return err
				}
				return storage.RunInTx(ctx, tx, func(ctx context.Context, tx bun.Tx) error {
					return later(ctx, tx, "nested savepoint")
				})
			})
			if err != nil {
				return err
			}
			err = storage.RunInTx(ctx, tx, func(ctx context.Context, tx bun.Tx) error {
				later(ctx, tx, "rolled-back savepoint")
				return rollback
			})
			if !errors.Is(err, rollback) {
				return fmt.Errorf("savepoint: got %v", err)
			}
			if len(ran) != 0 {
				t.Errorf("ran before the commit: %v", ran)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"outer", "kept savepoint", "nested savepoint"}; !slices.Equal(ran, want) {
			t.Errorf("after the commit: got %v, want %v", ran, want)
		}

		ran = nil
		err = storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			later(ctx, tx, "rolled back")
			return rollback
		})
		if !errors.Is(err, rollback) || len(ran) != 0 {
			t.Errorf("rolled-back transaction: got %v and ran %v, want the error and nothing run", err, ran)
		}

		if err := later(ctx, db, "no transaction"); err != nil || !slices.Equal(ran, []string{"no transaction"}) {
			t.Errorf("outside a transaction: got %v and ran %v, want it run at once", err, ran)
		}

		ran = nil
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return storage.RunInTx(ctx, tx, func(ctx context.Context, tx bun.Tx) error {
				return later(ctx, tx, "foreign")
			})
		})
		if !errors.Is(err, storage.ErrForeignTx) || len(ran) != 0 {
			t.Errorf("in bun's own transaction: got %v and ran %v, want ErrForeignTx and nothing run", err, ran)
		}
	})
}

// A unique violation is classified as such on both databases, and so is a
// foreign key violation; other errors are Unknown.
func TestClassify(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		for _, stmt := range []string{
			"CREATE TABLE parent (id BIGINT PRIMARY KEY)",
			"CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT REFERENCES parent (id))",
			"INSERT INTO parent (id) VALUES (1)",
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		_, dup := db.ExecContext(ctx, "INSERT INTO parent (id) VALUES (1)")
		_, orphan := db.ExecContext(ctx, "INSERT INTO child (id, parent_id) VALUES (1, 2)")
		_, syntax := db.ExecContext(ctx, "SELEC 1")
		for _, tc := range []struct {
			err  error
			want storage.Class
		}{
			{dup, storage.UniqueViolation},
			{fmt.Errorf("wrapped: %w", dup), storage.UniqueViolation},
			{orphan, storage.ForeignKeyViolation},
			{syntax, storage.Unknown},
			{nil, storage.Unknown},
		} {
			if got := storage.Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v): got %v, want %v", tc.err, got, tc.want)
			}
		}
		if !storage.IsUniqueViolation(dup) {
			t.Errorf("IsUniqueViolation(%v) is false", dup)
		}
	})
}

// sqlStateError is how pgx (*pgconn.PgError) and lib/pq report a server
// error: a SQLState method. Classify needs nothing registered for them.
type sqlStateError string

func (e sqlStateError) Error() string    { return "ERROR: " + string(e) }
func (e sqlStateError) SQLState() string { return string(e) }

func TestClassifySQLState(t *testing.T) {
	for code, want := range map[string]storage.Class{
		"40001": storage.Conflict, "40P01": storage.Conflict, "55P03": storage.Busy,
		"23505": storage.UniqueViolation, "23503": storage.ForeignKeyViolation, "42601": storage.Unknown,
	} {
		if got := storage.Classify(fmt.Errorf("query: %w", sqlStateError(code))); got != want {
			t.Errorf("SQLSTATE %s: got %v, want %v", code, got, want)
		}
	}
}

// A host on a driver without SQLState registers a classifier of its own.
type codedError struct{ code int }

func (e codedError) Error() string { return fmt.Sprint("error ", e.code) }

func TestRegisterClassifier(t *testing.T) {
	storage.RegisterClassifier(func(err error) storage.Class {
		var e codedError
		if errors.As(err, &e) && e.code == 2067 {
			return storage.UniqueViolation
		}
		return storage.Unknown
	})
	if got := storage.Classify(codedError{2067}); got != storage.UniqueViolation {
		t.Errorf("registered classifier: got %v, want UniqueViolation", got)
	}
	if got := storage.Classify(codedError{1}); got != storage.Unknown {
		t.Errorf("another code: got %v, want Unknown", got)
	}
}

// Open names the driver package to import for a scheme it does not know.
func TestOpenUnknownScheme(t *testing.T) {
	_, err := storage.Open(context.Background(), "mysql://u:secret@host/db")
	if err == nil || !containsAll(err.Error(), "storage/postgres", "u:xxxxx") || containsAll(err.Error(), "secret") {
		t.Errorf("got %v, want an error naming the driver packages, with the password redacted", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
