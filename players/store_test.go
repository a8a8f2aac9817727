package players_test

import (
	"context"
	"github.com/uptrace/bun"
	"math"
	"sync/atomic"
	"testing"

	"github.com/gamekit/gamekit/players"
	"github.com/gamekit/gamekit/players/playerstest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on every kind of
// test database.
func TestSQLStore(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			playerstest.TestStore(t, storagetest.Stores(kind, newSQLStore, players.Migrations()))
		})
	}
}

// newSQLStore is NewSQLStore as the suite's stores: the Store interface.
func newSQLStore(db bun.IDB, opts *players.StoreOptions) (players.Store, error) {
	return players.NewSQLStore(db, opts)
}

// countingStore is a host's wrapper around a Store: it counts the moves
// made through it, as a metrics wrapper would.
type countingStore struct {
	players.Store
	moves *atomic.Int64
}

func (s countingStore) Move(ctx context.Context, id, by int64, dx, dy float64) (players.Player, error) {
	s.moves.Add(1)
	return s.Store.Move(ctx, id, by, dx, dy)
}

// A store that is not a SQLStore passes the suite too: the suite needs no
// more than the Store interface.
func TestWrappedStore(t *testing.T) {
	var moves atomic.Int64
	playerstest.TestStore(t, func(t *testing.T, opts *players.StoreOptions) players.Store {
		return countingStore{Store: storagetest.Stores(storagetest.Memory, newSQLStore, players.Migrations())(t, opts), moves: &moves}
	})
	if moves.Load() == 0 {
		t.Error("the suite made no move through the wrapper")
	}
}

// The options are checked once, when the store is made.
func TestStoreOptions(t *testing.T) {
	fast := int64(math.MaxInt32)
	tooFast := int(fast + 1) // negative where int is 32 bits: refused too

	for _, opts := range []players.StoreOptions{
		{Step: -1}, {Step: math.NaN()}, {Step: math.Inf(1)},
		{Bound: -1}, {Bound: math.NaN()}, {Bound: math.Inf(1)},
		{Rate: -1}, {Rate: tooFast},
	} {
		if s, err := players.NewSQLStore(nil, &opts); err == nil {
			t.Errorf("%+v: got a store %v, want an error", opts, s)
		}
	}
	if _, err := players.NewSQLStore(nil, nil); err == nil {
		t.Error("a store on no database: got no error")
	}
}
