package leaderboards

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A ranking counts what a sort of every key counts, through inserts and
// moves up and down, across many blocks.
func TestRanking(t *testing.T) {
	r := newRanking()
	rnd := rand.New(rand.NewPCG(3, 4))
	want := map[int64]key{}
	for i := range 20_000 {
		user := rnd.Int64N(3000) + 1
		k := key{score: rnd.Int64N(200), subscore: rnd.Int64N(3), at: rnd.Int64N(5), user: user}
		if i < 3000 {
			k = key{score: int64(i), user: int64(i + 1)} // an ordered build first
		}
		r.put(k)
		want[k.user] = k
		if i%2000 != 1999 {
			continue
		}
		var all []key
		for _, k := range want {
			all = append(all, k)
		}
		slices.SortFunc(all, compareKeys)
		if r.len() != len(all) {
			t.Fatalf("after %d puts: got %d records, want %d", i+1, r.len(), len(all))
		}
		for rank, k := range all {
			if got := r.before(k); got != int64(rank) {
				t.Fatalf("after %d puts: %+v: got %d before it, want %d", i+1, k, got, rank)
			}
		}
		// A key the user does not hold counts the others before it.
		probe := key{score: 100, user: 1}
		n, _ := slices.BinarySearchFunc(all, probe, compareKeys)
		if own := want[1]; compareKeys(own, probe) < 0 {
			n--
		}
		if got := r.before(probe); got != int64(n) {
			t.Fatalf("probe: got %d, want %d", got, n)
		}
	}
	for _, b := range r.blocks {
		if len(b) == 0 || len(b) > 2*blockSize {
			t.Fatalf("a block of %d keys", len(b))
		}
	}
}
