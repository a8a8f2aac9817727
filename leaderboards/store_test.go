package leaderboards_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit/leaderboards"
	"github.com/gamekit/gamekit/leaderboards/leaderboardstest"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on every kind of
// test database.
func TestSQLStore(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			leaderboardstest.TestStore(t, storagetest.Stores(kind, newSQLStore, leaderboards.Migrations()))
		})
	}
}

// newSQLStore is NewSQLStore as the suite's stores: the Store interface.
func newSQLStore(db bun.IDB, opts *leaderboards.StoreOptions) (leaderboards.Store, error) {
	return leaderboards.NewSQLStore(db, opts)
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
		return countingStore{Store: storagetest.Stores(storagetest.Memory, newSQLStore, leaderboards.Migrations())(t, opts), submits: &submits}
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

// On PostgreSQL a Best submit that is no better takes no transaction id:
// it locks no row, puts nothing in the WAL, and its commit waits for no
// flush. A better one does.
func TestRefusedSubmitWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := storagetest.Open(t, storagetest.Postgres, leaderboards.Migrations())
	store := storagetest.Must(leaderboards.NewSQLStore(db, nil))
	if err := store.CreateBoard(ctx, &leaderboards.Board{ID: "points"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Submit(ctx, "points", 1, "alice", 10, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		score  int64
		writes bool
	}{{5, false}, {10, false}, {11, true}} {
		var took bool
		err := storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			inTx := storagetest.Must(leaderboards.NewSQLStore(tx, nil))
			if _, err := inTx.Submit(ctx, "points", 1, "alice", tc.score, 0, nil); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, "SELECT txid_current_if_assigned() IS NOT NULL").Scan(&took)
		})
		if err != nil || took != tc.writes {
			t.Errorf("submit of %d over 10: took a transaction id %v (%v), want %v", tc.score, took, err, tc.writes)
		}
	}
}
