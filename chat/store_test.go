package chat_test

import (
	"testing"

	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/chat/chattest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// TestSQLStore runs the conformance suite on SQLStore on SQLite in memory,
// a WAL file (as a server runs it) and PostgreSQL.
func TestSQLStore(t *testing.T) {
	for _, kind := range []storagetest.Kind{storagetest.Memory, storagetest.File, storagetest.Postgres} {
		t.Run(string(kind), func(t *testing.T) { chattest.TestStore(t, newSQLStore(kind)) })
	}
}

// newSQLStore makes the suite's stores: SQLStores, each on a private
// database of kind.
func newSQLStore(kind storagetest.Kind) func(*testing.T, *chat.StoreOptions) chat.Store {
	return func(t *testing.T, opts *chat.StoreOptions) chat.Store {
		return storagetest.Must(chat.NewSQLStore(storagetest.Open(t, kind, chat.Migrations()), opts))
	}
}
