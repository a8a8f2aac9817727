package enemies_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/internal/dbtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// events is a Publisher that remembers what it was given.
type events struct {
	mu   sync.Mutex
	list []gamekit.Event
}

func (e *events) Publish(_ context.Context, ev gamekit.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	return nil
}

// take returns the events published since the last call and forgets them.
func (e *events) take() []gamekit.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.list
	e.list = nil
	return list
}

// env is what a store test works with.
type env struct {
	store  *enemies.SQLStore
	db     *bun.DB
	events *events
}

// runStore runs fn on a fresh store, publishing to a recorder, on each
// test database.
func runStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		fn(t, newEnv(db))
	}, enemies.Migrations())
}

func newEnv(db *bun.DB) *env {
	ev := &events{}
	return &env{store: enemies.NewSQLStore(db, &enemies.StoreOptions{Publisher: ev}), db: db, events: ev}
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
