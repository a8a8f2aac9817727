package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"time"
)

// gate lets one connection of the pool write at a time, so that concurrent
// writers in this process queue in Go, in order, instead of meeting in
// SQLite's busy handler (sleeping, polling, and "database is locked" past
// the timeout), while reads run on the other connections at once: WAL lets
// readers work beside the writer on a snapshot of their own.
//
// A transaction holds the gate from BEGIN to COMMIT or ROLLBACK (every
// transaction is BEGIN IMMEDIATE, a writer). A statement outside a
// transaction holds it while it runs, if it may write: anything but a
// SELECT. A write that returns rows (INSERT ... RETURNING) holds it until
// its rows are closed, when SQLite ends the statement's transaction.
type gate chan struct{}

// enter waits for the gate, at most BusyTimeout: a writer that keeps it
// longer (a write whose rows are never closed, a transaction waiting for
// a connection the waiting writers hold) makes the others fail with an
// error Classify calls Busy, as SQLite's own lock would, instead of hanging.
func (g gate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(BusyTimeout * time.Millisecond)
	defer timer.Stop()
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errBusy
	}
}

// errBusy is a write that waited BusyTimeout for this process's writer.
var errBusy = errors.New("sqlite: waited 10s for this process's writer: a write transaction, or a write whose rows are not closed, holds it")

func (g gate) leave() { <-g }

// reads reports whether query only reads: it begins with SELECT (after
// white space and comments) and is one statement (nothing follows a ";").
// Anything else, WITH included, is taken for a write, which costs a read
// only its turn at the gate.
func reads(query string) bool {
	for {
		query = strings.TrimLeft(query, " \t\r\n")
		switch {
		case strings.HasPrefix(query, "--"):
			if i := strings.IndexByte(query, '\n'); i >= 0 {
				query = query[i:]
				continue
			}
			return false
		case strings.HasPrefix(query, "/*"):
			if i := strings.Index(query, "*/"); i >= 0 {
				query = query[i+2:]
				continue
			}
			return false
		}
		if len(query) < 6 || !strings.EqualFold(query[:6], "SELECT") {
			return false
		}
		// A ";" (even one quoted: that only costs a turn) may end a first
		// statement that a second one, a write, follows.
		if i := strings.IndexByte(query, ';'); i >= 0 && strings.TrimSpace(query[i+1:]) != "" {
			return false
		}
		return true
	}
}

// The interfaces of a modernc.org/sqlite connection that database/sql
// uses; conn forwards each.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// conn is a pooled connection that passes the gate to write.
type conn struct {
	sqliteConn
	gate gate
	inTx bool // this connection's transaction holds the gate
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.gate.enter(ctx); err != nil {
		return nil, err
	}
	t, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		c.gate.leave()
		return nil, err
	}
	c.inTx = true
	return &tx{Tx: t, conn: c}, nil
}

// Close leaves the gate if the connection goes away in a transaction.
func (c *conn) Close() error {
	if c.inTx {
		c.inTx = false
		c.gate.leave()
	}
	return c.sqliteConn.Close()
}

// enter passes the gate for a statement outside a transaction that may
// write, and returns how to leave it: nil when it did not have to pass.
func (c *conn) enter(ctx context.Context, write bool) (leave func(), err error) {
	if c.inTx || !write {
		return nil, nil
	}
	if err := c.gate.enter(ctx); err != nil {
		return nil, err
	}
	return c.gate.leave, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	leave, err := c.enter(ctx, !reads(query))
	if err != nil {
		return nil, err
	}
	if leave != nil {
		defer leave()
	}
	return c.sqliteConn.ExecContext(ctx, query, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	leave, err := c.enter(ctx, !reads(query))
	if err != nil {
		return nil, err
	}
	r, err := c.sqliteConn.QueryContext(ctx, query, args)
	return held(r, err, leave)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &stmt{sqliteStmt: s.(sqliteStmt), conn: c, write: !reads(query)}, nil
}

// held returns rows that leave the gate when closed, or leaves it now if
// the query failed. Rows that did not pass the gate are returned as they
// are.
func held(r driver.Rows, err error, leave func()) (driver.Rows, error) {
	switch {
	case leave == nil:
		return r, err
	case err != nil:
		leave()
		return nil, err
	}
	return &rows{Rows: r, leave: leave}, nil
}

type rows struct {
	driver.Rows
	leave func()
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if r.leave != nil {
		r.leave()
		r.leave = nil
	}
	return err
}

type tx struct {
	driver.Tx
	conn *conn
}

func (t *tx) Commit() error   { return t.end(t.Tx.Commit) }
func (t *tx) Rollback() error { return t.end(t.Tx.Rollback) }

func (t *tx) end(finish func() error) error {
	err := finish()
	if t.conn.inTx {
		t.conn.inTx = false
		t.conn.gate.leave()
	}
	return err
}

type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// stmt is a prepared statement that passes its connection's gate to write.
type stmt struct {
	sqliteStmt
	conn  *conn
	write bool
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	leave, err := s.conn.enter(ctx, s.write)
	if err != nil {
		return nil, err
	}
	if leave != nil {
		defer leave()
	}
	return s.sqliteStmt.ExecContext(ctx, args)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	leave, err := s.conn.enter(ctx, s.write)
	if err != nil {
		return nil, err
	}
	r, err := s.sqliteStmt.QueryContext(ctx, args)
	return held(r, err, leave)
}
