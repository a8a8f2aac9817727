package gifts_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/inventory"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// logBuffer is a log that a scheduler writes while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A scheduler whose statements wait behind other writers — here a
// transaction holding the schedule's tables for more than two leases, as
// a long queue of writers under load would — is alive all along, from the
// call to Start: once let through, it grants every tick that fell due
// meanwhile, late and exactly once, and records no outage of itself;
// first while Start waits to create the schedule, then while it runs.
// It runs in real time: its own clock has to move while it waits for the
// database, and in a bubble it would stand still while PostgreSQL keeps
// it waiting.
func TestBlockedByWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a lock for leases in real time")
	}
	for _, kind := range shared {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			const users = 5
			ctx := context.Background()
			db := storagetest.Open(t, kind, inventory.Migrations(), gifts.Migrations())
			seed(t, db, 1, users)
			logs := &logBuffer{}
			s, err := gifts.New(db, newGranter(db, 2), &gifts.Options{Interval: fastTick, LeaseDuration: testLease,
				Holder: "only", Logger: slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Stop(ctx) })
			until := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("not %s after 30s: %+v", what, s.Stats())
					}
				}
			}
			current := func() int64 { return time.Now().UnixNano() / int64(fastTick) }
			// block holds the tables for more than two leases, while
			// fn's statements wait: on SQLite the transaction takes the
			// pool's write gate (and the file's write lock) at BEGIN; on
			// PostgreSQL the lock lets others read both tables, not
			// write them.
			block := func(fn func()) {
				t.Helper()
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if kind == storagetest.Postgres {
					if _, err := tx.ExecContext(ctx, `LOCK TABLE gamekit_gift_schedules, gamekit_gift_schedulers IN EXCLUSIVE MODE`); err != nil {
						t.Fatal(err)
					}
				}
				fn()
				time.Sleep(2*testLease + testLease/2) // heartbeats and leases expire by the database's clock
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
			}

			started := make(chan error, 1)
			first := current() + 1 // the first tick after Start: a new schedule's first
			block(func() { go func() { started <- s.Start(ctx) }() })
			if err := <-started; err != nil {
				t.Fatal(err)
			}
			until("granting", func() bool { return s.Stats().Ticks >= 3 })
			block(func() {})
			released := current()
			until("caught up", func() bool { return s.Stats().Tick >= released })
			stop(t, s)

			checkTicks(t, db, "gifts", users, span(first, s.Stats().Tick))
			if strings.Contains(logs.String(), "ticks missed") {
				t.Error("the scheduler skipped ticks that fell due while it ran")
			}
		})
	}
}
