package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/storage"
	_ "github.com/gamekit/gamekit/storage/sqlite"
)

// users is a host's directory of users, which the store asks about the
// users a caller names.
type users map[int64]string

func (u users) Username(_ context.Context, id int64) (string, error) {
	if name, ok := u[id]; ok {
		return name, nil
	}
	return "", gamekit.ErrNotFound
}

// A public room, a group and a DM; the store decides who may read and
// post, and announces what it stored.
func Example() {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := storage.Migrate(ctx, db, chat.Migrations()); err != nil {
		log.Fatal(err)
	}
	// The realtime hub would deliver these to subscribed clients.
	announce := gamekit.PublisherFunc(func(_ context.Context, e gamekit.Event) error {
		fmt.Printf("  %s %s\n", e.Channel, e.Name)
		return nil
	})
	store, err := chat.NewSQLStore(db, &chat.StoreOptions{
		Publisher: announce,
		Users:     users{1: "alice", 2: "bob", 3: "carol"},
	})
	if err != nil {
		log.Fatal(err)
	}
	alice := gamekit.Identity{UserID: 1, Username: "alice"}
	bob := gamekit.Identity{UserID: 2, Username: "bob"}
	carol := gamekit.Identity{UserID: 3, Username: "carol"}

	global, _ := store.EnsurePublicRoom(ctx, "global") // at every start
	m, err := store.Send(ctx, global.ID, alice, "  gg all ")
	fmt.Printf("alice in global: %q %v\n", m.Body, err)

	raid := chat.Room{Kind: chat.Group, Name: "raid"}
	err = store.CreateRoom(ctx, alice, &raid)
	fmt.Println("alice creates a group:", err)
	_, err = store.AddMember(ctx, raid.ID, alice, bob.UserID)
	fmt.Println("alice adds bob:", err)
	_, err = store.Send(ctx, raid.ID, carol, "let me in")
	fmt.Println("carol posts in it:", errors.Is(err, gamekit.ErrForbidden))

	dm, err := store.SendDirect(ctx, alice.UserID, bob, "psst")
	fmt.Println("bob DMs alice:", err)
	_, err = store.Block(ctx, alice, bob.UserID)
	fmt.Println("alice blocks bob:", err)
	_, err = store.SendDirect(ctx, alice.UserID, bob, "hello?")
	fmt.Println("bob DMs alice again:", err)

	_, err = store.History(ctx, dm.Room, carol, chat.HistoryOptions{})
	fmt.Println("carol reads their DM:", err)
	// Output:
	//   chat.1 message
	// alice in global: "gg all" <nil>
	//   user.1 chat_joined
	// alice creates a group: <nil>
	//   user.2 chat_joined
	// alice adds bob: <nil>
	// carol posts in it: true
	//   user.1 chat_joined
	//   user.2 chat_joined
	//   chat.3 message
	// bob DMs alice: <nil>
	// alice blocks bob: <nil>
	// bob DMs alice again: chat: user 1: one of you blocked the other
	// carol reads their DM: chat: only the room's members may do this (room 3)
}

// An admin mutes a player; the player is told until when, in the 403's
// detail over HTTP.
func ExampleSQLStore_Mute() {
	ctx := context.Background()
	db, _ := storage.Open(ctx, storage.Memory)
	defer db.Close()
	storage.Migrate(ctx, db, chat.Migrations())
	now := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	store, _ := chat.NewSQLStore(db, &chat.StoreOptions{Now: func() time.Time { return now }})
	global, _ := store.EnsurePublicRoom(ctx, "global")

	admin := gamekit.Identity{UserID: 9, Username: "admin", Admin: true}
	bob := gamekit.Identity{UserID: 2, Username: "bob"}
	mute, err := store.Mute(ctx, admin, chat.Mute{User: bob.UserID, Room: global.ID, Until: now.Add(10 * time.Minute), Reason: "spam"})
	b, _ := json.Marshal(mute)
	fmt.Println(string(b), err)
	_, err = store.Send(ctx, global.ID, bob, "let me speak")
	fmt.Println(err)
	// Output:
	// {"room":1,"user":2,"until":"2026-12-03T20:10:00Z","by":9,"reason":"spam","created":"2026-12-03T20:00:00Z"} <nil>
	// chat: you are muted in this room until 2026-12-03T20:10:00Z
}
