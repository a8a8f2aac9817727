package leaderboards

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// twoProcesses opens one database of kind twice, as two server processes
// would, and returns a store on each, with clocks that agree.
func twoProcesses(t *testing.T, kind storagetest.Kind, opts StoreOptions) (a, b *SQLStore, db *bun.DB, clock *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch kind {
	case storagetest.File:
		dsn = filepath.Join(t.TempDir(), "shared.db")
		db = open(t, dsn)
		if _, err := storage.Migrate(ctx, db, Migrations()); err != nil {
			t.Fatal(err)
		}
	case storagetest.Postgres:
		db = storagetest.Open(t, kind, Migrations())
		var schema string
		if err := db.NewRaw("SELECT current_schema()").Scan(ctx, &schema); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv(storagetest.PostgresEnv))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	other := open(t, dsn)
	clock = new(atomic.Int64)
	clock.Store(time.Unix(1_800_000_000, 0).UnixMicro())
	opts.Now = func() time.Time { return time.UnixMicro(clock.Load()) }
	opts.Publisher = gamekit.Discard
	a = storagetest.Must(NewSQLStore(db, &opts))
	b = storagetest.Must(NewSQLStore(other, &opts))
	return a, b, db, clock
}

func open(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sharedKinds are the databases two processes can share.
var sharedKinds = []storagetest.Kind{storagetest.File, storagetest.Postgres}

// ordered returns the users of board's period in rank order, by a plain
// ORDER BY over every record: what the ranks must agree with.
func ordered(t *testing.T, db *bun.DB, board string, period int64) []int64 {
	t.Helper()
	var users []int64
	if err := db.NewRaw(`SELECT user_id FROM gamekit_leaderboard_records WHERE board_id = ? AND period = ?
		ORDER BY rank_score, rank_subscore, updated_at, user_id`, board, period).Scan(context.Background(), &users); err != nil {
		t.Fatal(err)
	}
	return users
}

// checkRanks compares every rank each store answers, by Record and by
// Records, with the plain ORDER BY.
func checkRanks(t *testing.T, db *bun.DB, board string, period int64, stores ...*SQLStore) {
	t.Helper()
	ctx := context.Background()
	users := ordered(t, db, board, period)
	if len(users) == 0 {
		t.Fatalf("board %s period %d: no records", board, period)
	}
	for i, s := range stores {
		for rank, user := range users {
			r, err := s.Record(ctx, board, user, &period)
			if err != nil || r.Rank != int64(rank+1) {
				t.Fatalf("store %d, user %d: got rank %d %v, want %d", i, user, r.Rank, err, rank+1)
			}
		}
		friends := users[max(0, len(users)/2-MaxUsers/2):][:min(len(users), MaxUsers)]
		records, err := s.Records(ctx, board, friends, &period)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if users[r.Rank-1] != r.UserID {
				t.Fatalf("store %d, records: user %d ranked %d, want user %d there", i, r.UserID, r.Rank, users[r.Rank-1])
			}
		}
	}
}

// Two processes submit to one board at once, each reading ranks as it
// goes; then every rank either answers is the rank a plain ORDER BY
// gives.
func TestRankCacheTwoProcesses(t *testing.T) {
	for _, kind := range sharedKinds {
		t.Run(string(kind), func(t *testing.T) {
			a, b, db, clock := twoProcesses(t, kind, StoreOptions{})
			ctx := context.Background()
			for _, board := range []Board{{ID: "best"}, {ID: "set", Operator: Set, Order: LowerFirst}, {ID: "incr", Operator: Incr}} {
				if err := a.CreateBoard(ctx, &board); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Submit(ctx, board.ID, 1, "u", 1, 0, nil); err != nil {
					t.Fatal(err)
				}
				// Both caches are built before the race.
				for _, s := range []*SQLStore{a, b} {
					if _, err := s.Record(ctx, board.ID, 1, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			var wg sync.WaitGroup
			for g := range 8 {
				s := []*SQLStore{a, b}[g%2]
				wg.Go(func() {
					rnd := rand.New(rand.NewPCG(uint64(g), 9))
					for i := range 40 {
						board := []string{"best", "set", "incr"}[i%3]
						user := rnd.Int64N(60) + 1
						if i%7 == 0 {
							clock.Add(1) // some records share a time, some do not
						}
						if _, err := s.Submit(ctx, board, user, "u", rnd.Int64N(20)-5, rnd.Int64N(2), nil); err != nil {
							t.Error(err)
							return
						}
						if _, err := s.Record(ctx, board, user, nil); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			for _, board := range []string{"best", "set", "incr"} {
				checkRanks(t, db, board, 0, a, b)
			}
		})
	}
}

// A reset in one process starts a period the other ranks from its first
// record, and the ended period keeps its ranks in both.
func TestRankCacheReset(t *testing.T) {
	for _, kind := range sharedKinds {
		t.Run(string(kind), func(t *testing.T) {
			a, b, db, clock := twoProcesses(t, kind, StoreOptions{})
			ctx := context.Background()
			if err := a.CreateBoard(ctx, &Board{ID: "ever"}); err != nil {
				t.Fatal(err)
			}
			for user := range int64(30) {
				if _, err := a.Submit(ctx, "ever", user+1, "u", user%7, 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			checkRanks(t, db, "ever", 0, a, b)
			clock.Add(time.Minute.Microseconds())
			board, err := b.ResetBoard(ctx, "ever")
			if err != nil {
				t.Fatal(err)
			}
			p, err := board.period(board.CreatedAt.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for user := range int64(10) {
				if _, err := b.Submit(ctx, "ever", user+100, "u", 50-user, 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := a.Submit(ctx, "ever", 3, "u", 1000, 0, nil); err != nil {
				t.Fatal(err)
			}
			checkRanks(t, db, "ever", p.ID, a, b)
			if r, err := a.Record(ctx, "ever", 3, nil); err != nil || r.Rank != 1 {
				t.Errorf("the new period's best: got %+v %v, want rank 1", r, err)
			}
			checkRanks(t, db, "ever", 0, a, b)
		})
	}
}

// A board deleted by one process and made again under its id is ranked
// afresh by the other, which had the old board cached.
func TestRankCacheDelete(t *testing.T) {
	for _, kind := range sharedKinds {
		t.Run(string(kind), func(t *testing.T) {
			a, b, db, clock := twoProcesses(t, kind, StoreOptions{})
			ctx := context.Background()
			if err := a.CreateBoard(ctx, &Board{ID: "b"}); err != nil {
				t.Fatal(err)
			}
			for user := range int64(40) {
				if _, err := a.Submit(ctx, "b", user+1, "u", user, 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			checkRanks(t, db, "b", 0, a, b)
			if err := b.DeleteBoard(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Record(ctx, "b", 1, nil); err == nil {
				t.Error("a deleted board still answers a rank")
			}
			clock.Add(1)
			if err := b.CreateBoard(ctx, &Board{ID: "b", Order: LowerFirst}); err != nil {
				t.Fatal(err)
			}
			for user := range int64(5) {
				if _, err := b.Submit(ctx, "b", user+1, "u", user, 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			checkRanks(t, db, "b", 0, a, b)
			if boards, records := a.rankCache.stats(); boards != 1 || records != 5 {
				t.Errorf("cache after the delete: got %d periods, %d records, want the new board's 1, 5", boards, records)
			}
		})
	}
}

// The cache holds no more records and periods than its options allow,
// dropping the least recently read, and a period too big for it is
// counted in SQL, as exactly.
func TestRankCacheBound(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, Migrations())
	s := storagetest.Must(NewSQLStore(db, &StoreOptions{RankCacheRecords: 50, RankCacheBoards: 2}))
	ctx := context.Background()
	for i, n := range []int64{20, 20, 20, 60} {
		id := fmt.Sprint("b", i)
		if err := s.CreateBoard(ctx, &Board{ID: id}); err != nil {
			t.Fatal(err)
		}
		for user := range n {
			if _, err := s.Submit(ctx, id, user+1, "u", user%9, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for round := range 2 {
		for i := range 4 {
			checkRanks(t, db, fmt.Sprint("b", i), 0, s)
			if boards, records := s.rankCache.stats(); boards > 2 || records > 50 {
				t.Fatalf("round %d, board %d: the cache holds %d periods, %d records; want at most 2, 50", round, i, boards, records)
			}
		}
	}
	// b3, too big, is remembered as such, with no records, beside b2.
	if boards, records := s.rankCache.stats(); boards != 2 || records != 20 {
		t.Errorf("after reading the board too big to cache last: got %d periods, %d records, want 2, 20", boards, records)
	}
	checkRanks(t, db, "b1", 0, s)
	if boards, records := s.rankCache.stats(); boards != 2 || records != 20 {
		t.Errorf("after reading b1: got %d periods, %d records, want 2, 20", boards, records)
	}
}
