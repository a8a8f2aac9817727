package enemies_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/enemiestest"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on every kind of
// test database.
func TestSQLStore(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			enemiestest.TestStore(t, storagetest.Stores(kind, newSQLStore, enemies.Migrations()))
		})
	}
}

// newSQLStore is NewSQLStore as the suite's stores: the Store interface.
func newSQLStore(db bun.IDB, opts *enemies.StoreOptions) (enemies.Store, error) {
	return enemies.NewSQLStore(db, opts)
}

// countingStore is a host's wrapper around a Store: it counts the
// transitions fired through it, as a metrics wrapper would.
type countingStore struct {
	enemies.Store
	fired *atomic.Int64
}

func (s countingStore) Fire(ctx context.Context, id int64, transition string, args enemies.Args, by int64) (enemies.Monster, error) {
	s.fired.Add(1)
	return s.Store.Fire(ctx, id, transition, args, by)
}

// A store that is not a SQLStore passes the suite too: the suite needs no
// more than the Store interface.
func TestWrappedStore(t *testing.T) {
	var fired atomic.Int64
	enemiestest.TestStore(t, func(t *testing.T, opts *enemies.StoreOptions) enemies.Store {
		return countingStore{Store: storagetest.Stores(storagetest.Memory, newSQLStore, enemies.Migrations())(t, opts), fired: &fired}
	})
	if fired.Load() == 0 {
		t.Error("the suite fired no transition through the wrapper")
	}
}

// A writer holding a version from before A → B → A is refused, though the
// state is A again, and its history entry is not written.
func TestStaleVersionRefused(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		stale := mustMonster(t, s)
		if _, err := s.Fire(ctx, stale.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1); err != nil {
			t.Fatal(err)
		}
		now, err := s.Fire(ctx, stale.ID, enemies.Wander, enemies.Args{}, 1)
		if err != nil || now.State != stale.State {
			t.Fatalf("back to wandering: got %+v %v", now, err)
		}
		changed := stale
		if err := changed.Fire(ctx, enemies.Attack, enemies.Args{User: userID(2)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOver(ctx, stale, changed, enemies.Attack); !errors.Is(err, enemies.ErrStale) {
			t.Errorf("stale write: got %v, want refused", err)
		}
		if got, _ := s.Monster(ctx, stale.ID); !same(got, now) {
			t.Errorf("after the stale write: got %+v, want %+v", got, now)
		}
		if n := countHistory(t, s, stale.ID); n != 2 {
			t.Errorf("history after the stale write: got %d entries, want attack and wander only", n)
		}
		// The same write over the current version goes through.
		changed = now
		if err := changed.Fire(ctx, enemies.Attack, enemies.Args{User: userID(2)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOver(ctx, now, changed, enemies.Attack); err != nil {
			t.Errorf("current write: got %v, want it saved", err)
		}
	})
}

// A store on the caller's transaction announces once that transaction
// commits, and a rolled-back transition leaves nothing behind, not even an
// announcement.
func TestEventsInTransaction(t *testing.T) {
	runStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.store
		other := mustMonster(t, s)
		e.events.Take()
		fire := func(ctx context.Context, tx bun.Tx) error {
			inTx := storagetest.Must(enemies.NewSQLStore(tx, &enemies.StoreOptions{Publisher: e.events}))
			_, err := inTx.Fire(ctx, other.ID, enemies.Attack, enemies.Args{User: userID(1)}, 1)
			if ev := e.events.Take(); len(ev) != 0 {
				t.Errorf("announced before the commit: %v", ev)
			}
			return err
		}
		rollback := errors.New("changed my mind")
		err := storage.RunInTx(ctx, e.db, func(ctx context.Context, tx bun.Tx) error {
			if err := fire(ctx, tx); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("transaction: got %v", err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("rolled-back transition announced %v", ev)
		}
		// bun's own transaction cannot be waited for: refused, not
		// announced too early.
		err = e.db.RunInTx(ctx, nil, fire)
		if !errors.Is(err, storage.ErrForeignTx) {
			t.Errorf("in bun's own transaction: got %v, want storage.ErrForeignTx", err)
		}
		if ev := e.events.Take(); len(ev) != 0 {
			t.Errorf("a foreign transaction announced %v", ev)
		}
		if got, _ := s.Monster(ctx, other.ID); !same(got, other) || countHistory(t, s, other.ID) != 0 {
			t.Errorf("after rollback: got %+v with %d history entries, want %+v and none", got, countHistory(t, s, other.ID), other)
		}
		if err := storage.RunInTx(ctx, e.db, fire); err != nil {
			t.Fatal(err)
		}
		if ev := e.events.Take(); len(ev) != 1 || ev[0].Name != enemies.EventUpdated {
			t.Errorf("after the commit: got %v, want one %s", ev, enemies.EventUpdated)
		}
	})
}

// countHistory counts a monster's history entries.
func countHistory(t *testing.T, s enemies.Store, id int64) int {
	t.Helper()
	n, err := s.CountHistory(context.Background(), enemies.HistoryOptions{Monster: id})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
