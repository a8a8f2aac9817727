package storage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// MaxAttempts bounds how often RunInTx runs a transaction that keeps losing
// to concurrent ones.
const MaxAttempts = 10

var retries atomic.Int64

// Retries reports how many transactions RunInTx has run again since the
// process started, because the database aborted them in favour of a
// concurrent one. Tests and metrics read it; a steadily rising figure means
// hot rows.
func Retries() int64 { return retries.Load() }

// RunInTx runs fn in a transaction on db and commits it.
//
// When the database aborts the transaction only because of a concurrent
// one (Classify says Conflict or Busy) the whole transaction is run again,
// up to MaxAttempts times, so fn must not have effects outside the
// database before it returns: defer them with AfterCommit.
//
// Inside fn, work only through tx (and stores built on tx): on SQLite a
// write on db itself waits for fn's transaction to end, since one writer
// runs at a time, and so never runs.
//
// Inside an outer transaction (db is a bun.Tx) fn runs in a savepoint and
// is not retried: the outer transaction is the one that must start again.
// Work fn defers with AfterCommit then waits for the outermost transaction
// begun by RunInTx to commit, and is dropped if that one, or the
// savepoint, rolls back.
func RunInTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	if inTx(db) {
		parent, _ := ctx.Value(scopeKey{}).(*scope)
		s := &scope{foreign: parent == nil || parent.foreign}
		if err := db.RunInTx(ctx, nil, s.run(fn)); err != nil {
			return err
		}
		if parent != nil {
			parent.add(s.deferred...)
		}
		return nil
	}
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		s := &scope{}
		err = db.RunInTx(ctx, nil, s.run(fn))
		if err == nil {
			ctx := context.WithoutCancel(ctx)
			for _, f := range s.deferred {
				f(ctx)
			}
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		retries.Add(1)
	}
	return err
}

// ErrForeignTx is returned by AfterCommit for a transaction that RunInTx
// did not begin: nothing can tell when it commits.
var ErrForeignTx = errors.New("storage: this change must be announced after its transaction commits, but the transaction was not begun by storage.RunInTx")

// AfterCommit runs fn once the change just made on db is committed: at once
// when db is not a transaction (the statement committed by itself), else
// after the outermost transaction begun by RunInTx commits, and never if it
// rolls back. Stores announce their changes through it, so a store used in
// a caller's transaction announces exactly what that transaction commits.
// fn gets a context that is never cancelled, with ctx's values.
//
// It returns ErrForeignTx when db is a transaction begun some other way
// (bun's own RunInTx, BeginTx): use RunInTx for transactions that span
// stores which announce.
func AfterCommit(ctx context.Context, db bun.IDB, fn func(ctx context.Context)) error {
	if !inTx(db) {
		fn(context.WithoutCancel(ctx))
		return nil
	}
	s, _ := ctx.Value(scopeKey{}).(*scope)
	if s == nil || s.foreign {
		return ErrForeignTx
	}
	s.add(fn)
	return nil
}

func inTx(db bun.IDB) bool {
	switch db.(type) {
	case bun.Tx, *bun.Tx:
		return true
	}
	return false
}

type scopeKey struct{}

// scope collects what one transaction or savepoint defers until commit.
type scope struct {
	foreign bool // nested in a transaction RunInTx did not begin

	mu       sync.Mutex
	deferred []func(context.Context)
}

func (s *scope) run(fn func(context.Context, bun.Tx) error) func(context.Context, bun.Tx) error {
	return func(ctx context.Context, tx bun.Tx) error {
		return fn(context.WithValue(ctx, scopeKey{}, s), tx)
	}
}

func (s *scope) add(fns ...func(context.Context)) {
	s.mu.Lock()
	s.deferred = append(s.deferred, fns...)
	s.mu.Unlock()
}
