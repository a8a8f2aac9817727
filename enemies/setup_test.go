package enemies_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is what a store test works with.
type env struct {
	store  *enemies.SQLStore
	db     *bun.DB
	events *apitest.Events
}

// runStore runs fn on a fresh store, publishing to a recorder, on each
// test database.
func runStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newEnv(db))
	}, enemies.Migrations())
}

func newEnv(db *bun.DB) *env {
	ev := &apitest.Events{}
	return &env{store: storagetest.Must(enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: ev})), db: db, events: ev}
}

func mustMonster(t testing.TB, s enemies.Store) enemies.Monster {
	t.Helper()
	m := enemies.NewMonster()
	if err := s.CreateMonster(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func userID(id int64) *int64 { return &id }

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// same reports whether two monsters hold the same values (== would compare
// the UserBeingAttacked pointers).
func same(a, b enemies.Monster) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb) && a.Version == b.Version
}
