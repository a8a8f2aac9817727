package chat_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/chat/chattest"
	"github.com/gamekit/gamekit/storage"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on every kind of
// test database.
func TestSQLStore(t *testing.T) {
	for _, kind := range storagetest.Kinds {
		t.Run(string(kind), func(t *testing.T) { chattest.TestStore(t, storagetest.Stores(kind, newSQLStore, chat.Migrations())) })
	}
}

// newSQLStore is NewSQLStore as the suite's stores: the Store interface.
func newSQLStore(db bun.IDB, opts *chat.StoreOptions) (chat.Store, error) {
	return chat.NewSQLStore(db, opts)
}

// A store on the caller's transaction announces a message once that
// transaction commits, never when it rolls back, and refuses a transaction
// storage.RunInTx did not begin, whose commit it cannot wait for: a
// client never hears of a message that history does not hold.
func TestEventsInTransaction(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		var events []string // announcements come on the goroutine that commits: this one
		announce := gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
			events = append(events, e.Channel+" "+e.Name)
			return nil
		})
		store := storagetest.Must(chat.NewSQLStore(db, nil))
		room, err := store.EnsurePublicRoom(ctx, "global")
		if err != nil {
			t.Fatal(err)
		}
		alice := gamekit.Identity{UserID: 1, Username: "alice"}
		send := func(body string) func(ctx context.Context, tx bun.Tx) error {
			return func(ctx context.Context, tx bun.Tx) error {
				inTx := storagetest.Must(chat.NewSQLStore(tx, &chat.StoreOptions{Publisher: announce}))
				_, err := inTx.Send(ctx, room.ID, alice, body)
				if len(events) != 0 {
					t.Errorf("%q announced before the commit: %v", body, events)
				}
				return err
			}
		}

		rollback := errors.New("changed my mind")
		err = storage.RunInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if err := send("rolled back")(ctx, tx); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("rolled back: got %v, want %v", err, rollback)
		}
		if len(events) != 0 {
			t.Errorf("a rolled-back message announced %v", events)
		}
		if err := db.RunInTx(ctx, nil, send("foreign")); !errors.Is(err, storage.ErrForeignTx) {
			t.Errorf("in bun's own transaction: got %v, want storage.ErrForeignTx", err)
		}
		if len(events) != 0 {
			t.Errorf("a foreign transaction announced %v", events)
		}
		if err := storage.RunInTx(ctx, db, send("committed")); err != nil {
			t.Fatal(err)
		}
		if want := []string{chat.ChannelOf(room.ID) + " " + chat.EventMessage}; !slices.Equal(events, want) {
			t.Errorf("after the commit: got %v, want %v", events, want)
		}

		history, err := store.History(ctx, room.ID, alice, chat.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, m := range history {
			bodies = append(bodies, m.Body)
		}
		if want := []string{"committed"}; !slices.Equal(bodies, want) {
			t.Errorf("history: got %v, want %v", bodies, want)
		}
	}, chat.Migrations())
}
