package leaderboards_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/leaderboards/leaderboardstest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on SQLite in memory,
// a WAL file (as a server runs it) and PostgreSQL.
func TestSQLStore(t *testing.T) {
	for _, kind := range []storagetest.Kind{storagetest.Memory, storagetest.File, storagetest.Postgres} {
		t.Run(string(kind), func(t *testing.T) { leaderboardstest.TestStore(t, newSQLStore(kind)) })
	}
}

// newSQLStore makes the suite's stores: SQLStores, each on a private
// database of kind.
func newSQLStore(kind storagetest.Kind) func(*testing.T, *leaderboards.StoreOptions) leaderboards.Store {
	return func(t *testing.T, opts *leaderboards.StoreOptions) leaderboards.Store {
		return storagetest.Must(leaderboards.NewSQLStore(storagetest.Open(t, kind, leaderboards.Migrations()), opts))
	}
}

// countingStore is a host's wrapper around a Store: it counts the submits
// made through it, as a metrics wrapper would.
type countingStore struct {
	leaderboards.Store
	submits *atomic.Int64
}

func (s countingStore) Submit(ctx context.Context, board string, user int64, username string, score, subscore int64, meta json.RawMessage) (leaderboards.Record, error) {
	s.submits.Add(1)
	return s.Store.Submit(ctx, board, user, username, score, subscore, meta)
}

// A store that is not a SQLStore passes the suite too: the suite needs no
// more than the Store interface.
func TestWrappedStore(t *testing.T) {
	var submits atomic.Int64
	leaderboardstest.TestStore(t, func(t *testing.T, opts *leaderboards.StoreOptions) leaderboards.Store {
		return countingStore{Store: newSQLStore(storagetest.Memory)(t, opts), submits: &submits}
	})
	if submits.Load() == 0 {
		t.Error("the suite made no submit through the wrapper")
	}
}

// The options are checked once, when the store is made.
func TestStoreOptions(t *testing.T) {
	for _, opts := range []leaderboards.StoreOptions{{TopN: -1}, {TopN: 1_000_001}, {RankDepth: 1_000_001}} {
		if s, err := leaderboards.NewSQLStore(nil, &opts); err == nil {
			t.Errorf("%+v: got a store %v, want an error", opts, s)
		}
	}
	if _, err := leaderboards.NewSQLStore(nil, nil); err == nil {
		t.Error("a store on no database: got no error")
	}
}
