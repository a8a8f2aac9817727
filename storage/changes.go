package storage

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

// Mark is a database's committed state as its driver sees it without a
// query: two equal marks read at different times mean that no transaction
// committed in between, in this process or any other. Only equality means
// anything; the bytes are the driver's (SQLite's are its WAL index header,
// which is 48 bytes long).
type Mark [48]byte

// A Marker is a database driver (the driver.Driver of a *sql.DB) that can
// read a Mark. The sqlite package's driver is one, for database files;
// PostgreSQL has nothing a client could read without a round trip, so its
// driver is not.
type Marker interface {
	// Mark returns the database's mark, or false when it cannot tell now
	// (an in-memory database; a commit being written this instant).
	Mark() (Mark, bool)
}

// ReadMark returns db's mark, or false when db's driver is not a Marker or
// db is a transaction (which sees its own writes before they commit) or a
// connection.
func ReadMark(db bun.IDB) (Mark, bool) {
	bdb, ok := db.(*bun.DB)
	if !ok {
		return Mark{}, false
	}
	m, ok := bdb.DB.Driver().(Marker)
	if !ok {
		return Mark{}, false
	}
	return m.Mark()
}

// maxMemoized bounds the values a Memo keeps between two commits; past it,
// it starts over.
const maxMemoized = 100_000

// Memo keeps the results of a point read, by key, while the database's
// mark (see ReadMark) shows that nothing committed since they were read,
// so a read a store makes on every request (the version a cached response
// is checked against, say) costs a look at the database's shared memory
// instead of a query. It is as fresh as the query: the mark is read before
// the value, so a value is kept under a mark no newer than the state it
// shows, and served only while the database still has that mark. Any
// commit to the database, of any table, starts the Memo over; where the
// driver cannot read a mark (PostgreSQL, a transaction), every Read runs
// the query. Errors are not kept.
type Memo[K comparable, V any] struct {
	db   bun.IDB
	read func(ctx context.Context, key K) (V, error)

	mu     sync.Mutex
	mark   Mark
	values map[K]V
}

// NewMemo returns an empty Memo of read's results on db.
func NewMemo[K comparable, V any](db bun.IDB, read func(ctx context.Context, key K) (V, error)) *Memo[K, V] {
	return &Memo[K, V]{db: db, read: read}
}

// Read returns the value kept for key if nothing committed since it was
// read, else the value read returns now.
func (m *Memo[K, V]) Read(ctx context.Context, key K) (V, error) {
	mark, ok := ReadMark(m.db)
	if !ok {
		return m.read(ctx, key)
	}
	m.mu.Lock()
	v, hit := m.values[key]
	hit = hit && m.mark == mark
	m.mu.Unlock()
	if hit {
		return v, nil
	}
	v, err := m.read(ctx, key)
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = make(map[K]V)
	}
	// A read that began under an older mark than the kept values' may
	// start the Memo over with its own: only a miss more, never a stale
	// hit, since a value is served only under the mark read before it.
	if m.mark != mark || len(m.values) >= maxMemoized {
		m.mark = mark
		clear(m.values)
	}
	m.values[key] = v
	return v, nil
}
