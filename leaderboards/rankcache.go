package leaderboards

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// rankCache holds the rankings of the periods a store reads ranks of,
// within a bound on records and on periods, dropping the least recently
// used first. Each ranking is kept exact by the records' change sequence
// (see rankEntry.catchUp), so it serves any number of server processes
// writing the same database.
type rankCache struct {
	maxRecords, maxBoards int

	mu      sync.Mutex
	entries map[rankKey]*rankEntry
	records int // the records of the entries' rankings
	tick    uint64
}

// rankKey names a period of a board. A board deleted and made again under
// the same id is another board: created names which.
type rankKey struct {
	board   string
	created int64 // Board.CreatedAt, Unix µs
	period  int64
}

// rankEntry is the ranking of one period and how far it has read the
// changes.
type rankEntry struct {
	key rankKey

	// refresh lets one reader at a time catch up with the database;
	// arrived and covered let a reader skip catching up when a catch-up
	// that began after it arrived has finished.
	refresh sync.Mutex
	arrived atomic.Uint64
	covered uint64 // under refresh

	mu        sync.RWMutex
	ranking   *ranking // nil until built
	watermark int64    // the changes from this seq on are still to read
	tooBig    bool     // more records than the cache may hold: counted in SQL
	size      int      // the ranking's records when last accounted, under rankCache.mu
	used      uint64   // the cache's tick when last used, under rankCache.mu
}

func newRankCache(maxRecords, maxBoards int) *rankCache {
	return &rankCache{maxRecords: maxRecords, maxBoards: maxBoards, entries: map[rankKey]*rankEntry{}}
}

// entry returns the entry of k, making it, and evicting the least
// recently used periods beyond maxBoards.
func (c *rankCache) entry(k rankKey) *rankEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	e, ok := c.entries[k]
	if !ok {
		e = &rankEntry{key: k}
		c.entries[k] = e
		for len(c.entries) > c.maxBoards {
			c.evict(e)
		}
	}
	e.used = c.tick
	return e
}

// evict drops the least recently used entry other than keep; c.mu is
// held.
func (c *rankCache) evict(keep *rankEntry) bool {
	var victim *rankEntry
	for _, e := range c.entries {
		if e != keep && (victim == nil || e.used < victim.used) {
			victim = e
		}
	}
	if victim == nil {
		return false
	}
	delete(c.entries, victim.key)
	c.records -= victim.size
	return true
}

// account records e's new size and makes room for it, evicting the least
// recently used rankings; it reports whether e may stay.
func (c *rankCache) account(e *rankEntry, size int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[e.key] != e {
		return true // evicted meanwhile: its reader finishes with it
	}
	c.records += size - e.size
	e.size = size
	for c.records > c.maxRecords && c.evict(e) {
	}
	if c.records > c.maxRecords {
		c.records -= e.size
		e.size = 0
		return false
	}
	return true
}

// forget drops every period of board id.
func (c *rankCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if k.board == id {
			delete(c.entries, k)
			c.records -= e.size
		}
	}
}

// forgetOthers drops the periods of board id that belong to another
// board of the same id than the one created at created.
func (c *rankCache) forgetOthers(id string, created int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if k.board == id && k.created != created {
			delete(c.entries, k)
			c.records -= e.size
		}
	}
}

// cachedRanks returns the ranks of keys in period of b from the rank
// cache, once it has caught up with every change committed before the
// call; ok is false when the period is too big for the cache (or the
// store has none), and the caller counts in SQL.
func (s *SQLStore) cachedRanks(ctx context.Context, b Board, period int64, keys []key) (ranks []int64, ok bool, err error) {
	if s.rankCache == nil {
		return nil, false, nil
	}
	created := b.CreatedAt.UnixMicro()
	s.rankCache.forgetOthers(b.ID, created)
	e := s.rankCache.entry(rankKey{board: b.ID, created: created, period: period})
	arrived := e.arrived.Add(1)
	e.refresh.Lock()
	if e.covered < arrived {
		covers := e.arrived.Load()
		if err := s.catchUp(ctx, e); err != nil {
			e.refresh.Unlock()
			return nil, false, err
		}
		e.covered = covers
	}
	e.refresh.Unlock()
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.tooBig {
		return nil, false, nil
	}
	ranks = make([]int64, len(keys))
	for i, k := range keys {
		ranks[i] = e.ranking.before(k) + 1
	}
	return ranks, true, nil
}

// catchUp builds e's ranking on first use, from one ordered scan in pages,
// and otherwise applies the records changed since its watermark. e.refresh
// is held.
//
// Every change committed after a watermark was read has a seq at or past
// it: on SQLite, writers take turns and number their changes one past the
// period's highest; on PostgreSQL, seq is the writing transaction's id,
// and the watermark is the oldest transaction still running when it was
// read. Reading the changes at or past the last watermark, and the next
// watermark, in one statement therefore misses nothing; a change read
// twice is applied twice, which does nothing more, since a change sets a
// user's key.
func (s *SQLStore) catchUp(ctx context.Context, e *rankEntry) error {
	e.mu.RLock()
	built, tooBig, watermark := e.ranking != nil, e.tooBig, e.watermark
	e.mu.RUnlock()
	if tooBig {
		return nil
	}
	if !built {
		return s.build(ctx, e)
	}
	rows, err := s.changes.Query(ctx, s.db, e.key.board, e.key.period, watermark)
	if err != nil {
		return fmt.Errorf("leaderboards: rank cache: %w", err)
	}
	defer rows.Close()
	var changed []key
	next := watermark
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.user, &k.score, &k.subscore, &k.at); err != nil {
			return fmt.Errorf("leaderboards: rank cache: %w", err)
		}
		if k.user == 0 { // the row carrying the next watermark
			next = k.score
			continue
		}
		changed = append(changed, k)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("leaderboards: rank cache: %w", err)
	}
	e.mu.Lock()
	for _, k := range changed {
		e.ranking.put(k)
	}
	e.watermark = max(next, e.watermark)
	size := e.ranking.len()
	if !s.rankCache.account(e, size) {
		e.ranking, e.tooBig = nil, true
	}
	e.mu.Unlock()
	return nil
}

// rankPage is how many records a page of a ranking's build reads.
const rankPage = 20_000

// build reads e's ranking: the watermark first, then every record in
// pages, then the changes since the watermark, which fix up records that
// moved between pages while they were read.
func (s *SQLStore) build(ctx context.Context, e *rankEntry) error {
	var args []any // PostgreSQL's watermark needs none
	if !s.pg {
		args = []any{e.key.board, e.key.period}
	}
	row, err := s.watermark.QueryRow(ctx, s.db, args...)
	if err != nil {
		return fmt.Errorf("leaderboards: rank cache: %w", err)
	}
	var watermark int64
	if err := row.Scan(&watermark); err != nil {
		return fmt.Errorf("leaderboards: rank cache: %w", err)
	}
	r := newRanking()
	after := first
	for {
		rows, err := s.keys.Query(ctx, s.db, e.key.board, e.key.period, after.score, after.subscore, after.at, after.user, rankPage)
		if err != nil {
			return fmt.Errorf("leaderboards: rank cache: %w", err)
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(&after.user, &after.score, &after.subscore, &after.at); err != nil {
				rows.Close()
				return fmt.Errorf("leaderboards: rank cache: %w", err)
			}
			r.put(after)
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("leaderboards: rank cache: %w", err)
		}
		if r.len() > s.rankCache.maxRecords {
			e.mu.Lock()
			e.tooBig = true
			e.mu.Unlock()
			return nil
		}
		if n < rankPage {
			break
		}
	}
	e.mu.Lock()
	e.ranking, e.watermark = r, watermark
	e.mu.Unlock()
	return s.catchUp(ctx, e)
}
