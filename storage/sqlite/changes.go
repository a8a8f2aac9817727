package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"

	"github.com/gamekit/gamekit/storage"
)

// Marks (storage.Marker) come from the database's WAL index, the -shm file
// beside it that every SQLite connection to it, in any process, maps into
// memory. Its header (https://sqlite.org/walformat.html) is where a commit
// becomes visible: the writer appends its frames to the WAL, then writes
// the header anew, with a counter that every commit increments, and a
// reader's transaction starts from the header it finds. So while the
// header has not changed, nothing committed, and a value read after an
// earlier look at the same header is still the database's. The header
// changes on other occasions too (the WAL starting over after a
// checkpoint, a recovery); those cost a query more, never a stale value.
// PRAGMA data_version, the documented way to notice other connections'
// commits, is itself a query on one connection of the pool, and costs
// what it would save.
//
// The header is written twice, the second copy first; a reader that finds
// the two copies different caught a commit half way, and has no mark.
const (
	walIndexVersion = 3007000 // iVersion of the header SQLite writes
	walHeaderWords  = 12      // 48 bytes, each copy
)

// walIndex is a database's WAL index header, mapped read-only.
type walIndex struct {
	words *[2 * walHeaderWords]uint32
}

// mark reads the header: plain loads would do on amd64, atomic ones keep
// the order on every machine.
func (w *walIndex) mark() (storage.Mark, bool) {
	var first, second [walHeaderWords]uint32
	for i := range first {
		first[i] = atomic.LoadUint32(&w.words[i])
	}
	for i := range second {
		second[i] = atomic.LoadUint32(&w.words[walHeaderWords+i])
	}
	var m storage.Mark
	for i, v := range first {
		binary.NativeEndian.PutUint32(m[4*i:], v)
	}
	const isInit = 12 // the byte that says the header is set up
	if first != second || first[0] != walIndexVersion || m[isInit] != 1 {
		return storage.Mark{}, false
	}
	return m, true
}

// watch is a database file's WAL index as its pool reads it. Mapping it
// needs the file's name as SQLite resolved it and a WAL index that exists:
// both come from a first look, made when the pool opens, by an anchor
// connection that stays open while the pool is. The anchor holds SQLite's
// shared locks on the database and its WAL index, so no connection
// anywhere can delete or initialize the index again (SQLite does that only
// with every other connection gone): the file mapped is the one SQLite
// uses, for as long as the pool is open.
type watch struct {
	anchor driver.Conn
	index  atomic.Pointer[walIndex] // nil when there is no mark to read
}

// startWatch makes the first look through a connection of connect's,
// outside the pool. If it fails, the pool has no marks, and every
// storage.Memo on it runs its query: slower, never wrong.
func startWatch(connect func(context.Context) (driver.Conn, error)) *watch {
	w := &watch{}
	if err := w.start(connect); err != nil && w.anchor != nil {
		w.anchor.Close()
		w.anchor = nil
	}
	return w
}

func (w *watch) mark() (storage.Mark, bool) {
	if idx := w.index.Load(); idx != nil {
		return idx.mark()
	}
	return storage.Mark{}, false
}

// start opens the anchor, reads through it (which opens the WAL index) and
// maps the WAL index of the file it names.
func (w *watch) start(connect func(context.Context) (driver.Conn, error)) error {
	ctx := context.Background()
	var err error
	if w.anchor, err = connect(ctx); err != nil {
		return err
	}
	mode, err := queryOne(ctx, w.anchor, "PRAGMA journal_mode")
	if err != nil {
		return err
	}
	if mode != "wal" {
		return errors.New("sqlite: not in WAL mode")
	}
	if _, err := queryOne(ctx, w.anchor, "SELECT count(*) FROM sqlite_schema"); err != nil {
		return err
	}
	file, err := queryOne(ctx, w.anchor, "SELECT file FROM pragma_database_list WHERE name = 'main'")
	if err != nil {
		return err
	}
	name, _ := file.(string)
	if name == "" {
		return errors.New("sqlite: no database file")
	}
	idx, err := mapWALIndex(name + "-shm")
	if err != nil {
		return err
	}
	w.index.Store(idx)
	return nil
}

// close stops reading marks and closes the anchor; the mapping stays (see
// mapWALIndex).
func (w *watch) close() error {
	w.index.Store(nil)
	if w.anchor == nil {
		return nil
	}
	err := w.anchor.Close()
	w.anchor = nil
	return err
}

// queryOne returns the first column of the first row of query on conn.
func queryOne(ctx context.Context, conn driver.Conn, query string) (driver.Value, error) {
	rows, err := conn.(driver.QueryerContext).QueryContext(ctx, query, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			err = errors.New("sqlite: " + query + ": no row")
		}
		return nil, err
	}
	return dest[0], nil
}

// markingDriver is the pool's driver.Driver, which database/sql hands out
// as (*sql.DB).Driver, and a storage.Marker.
type markingDriver struct {
	driver.Driver
	watch *watch
}

func (d *markingDriver) Mark() (storage.Mark, bool) { return d.watch.mark() }
