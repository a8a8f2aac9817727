package chat_test

import (
	"github.com/uptrace/bun"
	"testing"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/chat/chattest"
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
