// Package chattest checks that a [chat.Store] keeps the contract the
// package's handlers and realtime route rely on — above all who may read,
// post, edit, delete, manage members and moderate, which a store enforces
// and no client can get around — as testing/fstest does for a file
// system: a host that wraps [chat.SQLStore] (a cache, metrics) or brings a
// store of its own runs, in a test of its own, the suite that SQLStore
// passes on SQLite and PostgreSQL:
//
//	func TestMyStore(t *testing.T) {
//		chattest.TestStore(t, func(t *testing.T, opts *chat.StoreOptions) chat.Store {
//			db := storagetest.Open(t, storagetest.Memory, chat.Migrations())
//			return &myStore{Store: storagetest.Must(chat.NewSQLStore(db, opts))}
//		})
//	}
//
// # What the suite checks
//
// Public rooms (created by admins only, names unique, EnsurePublicRoom
// idempotent), groups (the creator owns them and is their first member;
// the owner or an admin adds and removes members, a member leaves, the
// owner cannot; a group holds at most MaxMembers; Users refuses unknown
// users) and DMs (one room per pair, created on the first message, its
// two users alone read it); who reads what (a public room: anyone signed
// in; a group or DM: members and admins; nobody anonymous); bodies
// (trimmed; blank, over-long, invalid UTF-8, NUL and control characters
// but newline and tab refused as invalid "body"); edits by the sender
// only; deletion by the sender (the body erased) or a moderator (the body
// kept for moderators alone); history backward by before, forward by
// since, 50 by default, without the messages of users the reader
// blocked; blocks stopping DMs both ways; mutes (admins only, in a room
// or everywhere, refusing posts with a *chat.MutedError saying until
// when, ending on time, lifted by Unmute); the rate limit (Rate a second
// per user per room, Burst at once, a *gamekit.RateLimitError saying
// when); every committed change announced once, after commit, and
// nothing refused announced; and 64 goroutines sending into one room
// losing and doubling nothing, ids increasing in the order history shows.
//
// # What newStore must do
//
// Each subtest calls newStore once, with its own t, and works on the store
// it returns: a new, empty store, configured by opts as NewSQLStore(db,
// opts) would be — the limits (Rate, Burst, MaxMembers, MaxBodyLength, 0
// meaning the default), the clock (Now, which the suite moves by hand),
// the directory of users (Users) and the Publisher (opts is never nil).
// Release what it holds with t.Cleanup. The subtests run one after the
// other, and some use the store from many goroutines at once.
package chattest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
)

// TestStore runs the conformance suite on the stores newStore makes, one
// subtest per part of the contract.
func TestStore(t *testing.T, newStore func(t *testing.T, opts *chat.StoreOptions) chat.Store) {
	t.Helper()
	run := func(name string, opts chat.StoreOptions, test func(t *testing.T, e *env)) {
		t.Run(name, func(t *testing.T) {
			e := &env{t: t, events: make(chan string, maxEvents)}
			e.clock.Store(start.UnixMicro())
			opts.Publisher, opts.Now = e, e.now
			if opts.Users == nil {
				opts.Users = directory
			}
			e.store = newStore(t, &opts)
			test(t, e)
		})
	}
	defaults := chat.StoreOptions{}
	run("Rooms", defaults, testRooms)
	run("Members", chat.StoreOptions{MaxMembers: 3}, testMembers)
	run("Bodies", chat.StoreOptions{MaxBodyLength: 10}, testBodies)
	run("EditAndDelete", defaults, testEditAndDelete)
	run("History", chat.StoreOptions{Rate: 1e6, Burst: 1000}, testHistory)
	run("Direct", defaults, testDirect)
	run("Blocks", defaults, testBlocks)
	run("Mutes", defaults, testMutes)
	run("RateLimit", defaults, testRateLimit)
	run("Events", defaults, testEvents)
	run("ConcurrentSenders", chat.StoreOptions{Rate: 1e6, Burst: 1e6}, testConcurrentSenders)
}

// The callers of the tests: three players, an admin and nobody.
var (
	alice  = gamekit.Identity{UserID: 1, Username: "alice"}
	bob    = gamekit.Identity{UserID: 2, Username: "bob"}
	carol  = gamekit.Identity{UserID: 3, Username: "carol"}
	admin  = gamekit.Identity{UserID: 9, Username: "admin", Admin: true}
	nobody gamekit.Identity
)

// directory is the host's users: 1 to 9 and the senders of
// ConcurrentSenders.
var directory = usersFunc(func(_ context.Context, id int64) (string, error) {
	if id >= 1 && id <= 9 || id >= 1000 && id < 2000 {
		return fmt.Sprintf("user%d", id), nil
	}
	return "", gamekit.ErrNotFound
})

type usersFunc func(ctx context.Context, id int64) (string, error)

func (f usersFunc) Username(ctx context.Context, id int64) (string, error) { return f(ctx, id) }

// start is when every subtest's clock starts.
var start = time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)

// maxEvents is more than any subtest has its store announce.
const maxEvents = 100_000

// env is what a subtest works with: the store, its clock and what it
// announced. It is the store's Publisher: each event becomes
// "channel name data-as-JSON".
type env struct {
	t      *testing.T
	store  chat.Store
	clock  atomic.Int64 // Unix microseconds
	events chan string
}

func (e *env) now() time.Time { return time.UnixMicro(e.clock.Load()) }

func (e *env) advance(d time.Duration) { e.clock.Add(d.Microseconds()) }

func (e *env) Publish(_ context.Context, ev gamekit.Event) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		data = []byte(err.Error())
	}
	select {
	case e.events <- fmt.Sprintf("%s %s %s", ev.Channel, ev.Name, data):
	default:
		e.t.Errorf("more than %d events", maxEvents)
	}
	return nil
}

// take returns the events announced since it was last called.
func (e *env) take() []string {
	var events []string
	for {
		select {
		case ev := <-e.events:
			events = append(events, ev)
		default:
			return events
		}
	}
}

// room creates a room of kind by by.
func (e *env) room(by gamekit.Identity, kind chat.Kind, name string) chat.Room {
	e.t.Helper()
	r := chat.Room{Kind: kind, Name: name}
	if err := e.store.CreateRoom(context.Background(), by, &r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// group creates a group of owner with members.
func (e *env) group(owner gamekit.Identity, members ...gamekit.Identity) chat.Room {
	e.t.Helper()
	r := e.room(owner, chat.Group, "group")
	for _, m := range members {
		if _, err := e.store.AddMember(context.Background(), r.ID, owner, m.UserID); err != nil {
			e.t.Fatal(err)
		}
	}
	return r
}

func (e *env) send(room int64, by gamekit.Identity, body string) chat.Message {
	e.t.Helper()
	m, err := e.store.Send(context.Background(), room, by, body)
	if err != nil {
		e.t.Fatalf("send %q to %d as %s: %v", body, room, by.Username, err)
	}
	return m
}

func (e *env) history(room int64, by gamekit.Identity, opts chat.HistoryOptions) []chat.Message {
	e.t.Helper()
	h, err := e.store.History(context.Background(), room, by, opts)
	if err != nil {
		e.t.Fatalf("history of %d as %s: %v", room, by.Username, err)
	}
	return h
}

// bodies joins the bodies of messages with commas.
func bodies(ms []chat.Message) string {
	var b []string
	for _, m := range ms {
		b = append(b, m.Body)
	}
	return strings.Join(b, ",")
}

// fields lists the fields an *gamekit.InvalidError names, sorted.
func fields(err error) []string {
	var invalid *gamekit.InvalidError
	if !errors.As(err, &invalid) {
		return nil
	}
	var names []string
	for f := range invalid.Fields {
		names = append(names, f)
	}
	slices.Sort(names)
	return names
}

func testRooms(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	global := e.room(admin, chat.Public, "  Global ")
	if global.ID == 0 || global.Name != "Global" || global.Kind != chat.Public || global.OwnerID != 0 || global.Members != 0 {
		t.Errorf("public room: got %+v, want an id, the name trimmed, no owner and no members", global)
	}
	if !global.Created.Equal(start) {
		t.Errorf("created: got %v, want the store's clock, %v", global.Created, start)
	}
	if err := s.CreateRoom(ctx, alice, &chat.Room{Kind: chat.Public, Name: "Mine"}); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("a player creates a public room: got %v, want forbidden", err)
	}
	if err := s.CreateRoom(ctx, admin, &chat.Room{Kind: chat.Public, Name: "Global"}); !errors.Is(err, chat.ErrRoomExists) || !errors.Is(err, gamekit.ErrConflict) {
		t.Errorf("a second public room called Global: got %v, want ErrRoomExists", err)
	}
	if err := s.CreateRoom(ctx, nobody, &chat.Room{Kind: chat.Group, Name: "x"}); !errors.Is(err, gamekit.ErrUnauthenticated) {
		t.Errorf("anonymous: got %v, want unauthenticated", err)
	}
	for _, tc := range []struct {
		r     chat.Room
		field string
	}{
		{chat.Room{Kind: chat.Group, Name: " "}, "name"},
		{chat.Room{Kind: chat.Group, Name: strings.Repeat("é", chat.MaxNameLength+1)}, "name"},
		{chat.Room{Kind: chat.Group, Name: "a\x00b"}, "name"},
		{chat.Room{Kind: chat.Group, Name: "\xff"}, "name"},
		{chat.Room{Kind: chat.Direct, Name: "dm"}, "kind"},
		{chat.Room{Kind: "secret", Name: "x"}, "kind"},
	} {
		if err := s.CreateRoom(ctx, alice, &tc.r); !slices.Equal(fields(err), []string{tc.field}) {
			t.Errorf("create %+v: got %v, want invalid %s", tc.r, err, tc.field)
		}
	}
	again, err := s.EnsurePublicRoom(ctx, "Global")
	if err != nil || again.ID != global.ID {
		t.Errorf("EnsurePublicRoom of an existing room: got %+v %v, want room %d", again, err, global.ID)
	}
	lobby, err := s.EnsurePublicRoom(ctx, "Lobby")
	if err != nil || lobby.ID == 0 || lobby.Kind != chat.Public {
		t.Errorf("EnsurePublicRoom of a new room: got %+v %v", lobby, err)
	}

	raid := e.room(alice, chat.Group, "Raid")
	if raid.OwnerID != alice.UserID || raid.Members != 1 || raid.Kind != chat.Group {
		t.Errorf("group: got %+v, want alice owning it, its one member", raid)
	}
	for _, tc := range []struct {
		room int64
		by   gamekit.Identity
		want error
	}{
		{global.ID, bob, nil},
		{global.ID, nobody, gamekit.ErrUnauthenticated},
		{raid.ID, alice, nil},
		{raid.ID, bob, chat.ErrNotMember},
		{raid.ID, admin, nil},
		{raid.ID + 100, alice, chat.ErrRoomNotFound},
	} {
		_, err := s.Room(ctx, tc.room, tc.by)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("room %d as %q: got %v, want %v", tc.room, tc.by.Username, err, tc.want)
		}
	}
	list := func(opts chat.RoomListOptions) string {
		rooms, err := s.Rooms(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rooms {
			names = append(names, r.Name)
		}
		return strings.Join(names, ",")
	}
	for _, tc := range []struct {
		opts chat.RoomListOptions
		want string
	}{
		{chat.RoomListOptions{}, "Global,Lobby,Raid"},
		{chat.RoomListOptions{Visible: alice.UserID}, "Global,Lobby,Raid"},
		{chat.RoomListOptions{Visible: bob.UserID}, "Global,Lobby"},
		{chat.RoomListOptions{Member: alice.UserID}, "Raid"},
		{chat.RoomListOptions{Kind: chat.Group}, "Raid"},
		{chat.RoomListOptions{Search: "OBB"}, "Lobby"},
		{chat.RoomListOptions{Limit: 1, Offset: 1}, "Lobby"},
	} {
		if got := list(tc.opts); got != tc.want {
			t.Errorf("rooms %+v: got %s, want %s", tc.opts, got, tc.want)
		}
	}
	if n, err := s.CountRooms(ctx, chat.RoomListOptions{Visible: bob.UserID, Limit: 1}); err != nil || n != 2 {
		t.Errorf("count bob's: got %d %v, want 2", n, err)
	}

	e.send(raid.ID, alice, "before the end")
	if err := s.DeleteRoom(ctx, raid.ID, bob); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("bob deletes alice's group: got %v, want forbidden", err)
	}
	if err := s.DeleteRoom(ctx, global.ID, alice); !errors.Is(err, chat.ErrNotOwner) {
		t.Errorf("alice deletes a public room: got %v, want ErrNotOwner", err)
	}
	if err := s.DeleteRoom(ctx, raid.ID, alice); err != nil {
		t.Errorf("the owner deletes the group: %v", err)
	}
	if _, err := s.Room(ctx, raid.ID, admin); !errors.Is(err, chat.ErrRoomNotFound) {
		t.Errorf("deleted group: got %v, want not found", err)
	}
	if err := s.DeleteRoom(ctx, lobby.ID, admin); err != nil {
		t.Errorf("an admin deletes a public room: %v", err)
	}
}

func testMembers(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	g := e.room(alice, chat.Group, "g")
	m, err := s.AddMember(ctx, g.ID, alice, bob.UserID)
	if err != nil || m.UserID != bob.UserID || m.RoomID != g.ID || m.Username != "user2" {
		t.Errorf("add bob: got %+v %v, want bob, named by Users", m, err)
	}
	if _, err := s.AddMember(ctx, g.ID, alice, bob.UserID); err != nil {
		t.Errorf("add bob twice: %v", err)
	}
	if _, err := s.AddMember(ctx, g.ID, bob, carol.UserID); !errors.Is(err, chat.ErrNotOwner) {
		t.Errorf("a member adds: got %v, want ErrNotOwner", err)
	}
	if _, err := s.AddMember(ctx, g.ID, carol, carol.UserID); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("an outsider adds themselves: got %v, want ErrNotMember", err)
	}
	if _, err := s.AddMember(ctx, g.ID, alice, 500); !errors.Is(err, chat.ErrUnknownUser) || !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("add an unknown user: got %v, want ErrUnknownUser", err)
	}
	if _, err := s.AddMember(ctx, g.ID, alice, 0); !slices.Equal(fields(err), []string{"user"}) {
		t.Errorf("add user 0: got %v, want invalid user", err)
	}
	if _, err := s.AddMember(ctx, g.ID, admin, carol.UserID); err != nil {
		t.Errorf("an admin adds carol: %v", err)
	}
	// MaxMembers is 3: alice, bob and carol.
	if _, err := s.AddMember(ctx, g.ID, alice, 4); !errors.Is(err, chat.ErrRoomFull) || !errors.Is(err, gamekit.ErrConflict) {
		t.Errorf("a fourth member: got %v, want ErrRoomFull", err)
	}
	members, err := s.Members(ctx, g.ID, bob, 0, 0)
	if err != nil || len(members) != 3 {
		t.Errorf("members: got %+v %v, want 3", members, err)
	}
	if r, _ := s.Room(ctx, g.ID, alice); r.Members != 3 {
		t.Errorf("room's member count: got %d, want 3", r.Members)
	}
	if _, err := s.Members(ctx, g.ID, gamekit.Identity{UserID: 4}, 0, 0); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("an outsider lists members: got %v, want ErrNotMember", err)
	}
	if err := s.RemoveMember(ctx, g.ID, bob, carol.UserID); !errors.Is(err, chat.ErrNotOwner) {
		t.Errorf("bob removes carol: got %v, want ErrNotOwner", err)
	}
	if err := s.RemoveMember(ctx, g.ID, bob, bob.UserID); err != nil {
		t.Errorf("bob leaves: %v", err)
	}
	if _, err := s.Send(ctx, g.ID, bob, "still here?"); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("bob posts after leaving: got %v, want ErrNotMember", err)
	}
	if err := s.RemoveMember(ctx, g.ID, alice, carol.UserID); err != nil {
		t.Errorf("the owner removes carol: %v", err)
	}
	if err := s.RemoveMember(ctx, g.ID, alice, carol.UserID); !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("remove carol twice: got %v, want not found", err)
	}
	if err := s.RemoveMember(ctx, g.ID, alice, alice.UserID); !errors.Is(err, gamekit.ErrConflict) {
		t.Errorf("the owner leaves: got %v, want conflict", err)
	}
	// Room for new members again.
	if _, err := s.AddMember(ctx, g.ID, alice, 4); err != nil {
		t.Errorf("add after removals: %v", err)
	}
	global := e.room(admin, chat.Public, "global")
	if _, err := s.AddMember(ctx, global.ID, admin, bob.UserID); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("members of a public room: got %v, want forbidden", err)
	}
}

func testBodies(t *testing.T, e *env) {
	ctx := context.Background()
	room := e.room(admin, chat.Public, "r")
	for _, tc := range []struct {
		body string
		ok   string // what is stored, for a body accepted
	}{
		{"hello", "hello"},
		{"  trimmed\n", "trimmed"},
		{"a\tb\nc", "a\tb\nc"},
		{"éééééééééé", "éééééééééé"}, // 10 characters, the limit here
		{"ééééééééééé", ""},
		{"", ""},
		{" \n\t ", ""},
		{"a\x00b", ""},
		{"a\rb", ""},
		{"\x1b[31mred", ""},
		{"a\u0085b", ""}, // a C1 control character
		{"\xff\xfe", ""},
		{"a\x7fb", ""},
	} {
		m, err := e.store.Send(ctx, room.ID, alice, tc.body)
		switch {
		case tc.ok != "" && (err != nil || m.Body != tc.ok):
			t.Errorf("send %q: got %q %v, want %q stored", tc.body, m.Body, err, tc.ok)
		case tc.ok == "" && !slices.Equal(fields(err), []string{"body"}):
			t.Errorf("send %q: got %v, want invalid body", tc.body, err)
		}
	}
	if h := e.history(room.ID, alice, chat.HistoryOptions{}); len(h) != 4 {
		t.Errorf("history after refusals: got %d messages, want the 4 accepted", len(h))
	}
}

func testEditAndDelete(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	m := e.send(room.ID, alice, "helo")
	e.advance(time.Second)
	edited, err := s.Edit(ctx, room.ID, m.ID, alice, "hello")
	if err != nil || edited.Body != "hello" || edited.Edited == nil || !edited.Edited.Equal(start.Add(time.Second)) || edited.ID != m.ID {
		t.Errorf("edit: got %+v %v, want the body changed, edited now", edited, err)
	}
	if _, err := s.Edit(ctx, room.ID, m.ID, bob, "mine now"); !errors.Is(err, chat.ErrNotSender) {
		t.Errorf("bob edits alice's: got %v, want ErrNotSender", err)
	}
	if _, err := s.Edit(ctx, room.ID, m.ID, admin, "moderated"); !errors.Is(err, chat.ErrNotSender) {
		t.Errorf("an admin edits: got %v, want ErrNotSender", err)
	}
	if _, err := s.Edit(ctx, room.ID, m.ID, alice, "\x00"); !slices.Equal(fields(err), []string{"body"}) {
		t.Errorf("edit to NUL: got %v, want invalid body", err)
	}
	if _, err := s.Edit(ctx, room.ID, m.ID+100, alice, "x"); !errors.Is(err, chat.ErrMessageNotFound) {
		t.Errorf("edit a missing message: got %v, want ErrMessageNotFound", err)
	}
	other := e.room(admin, chat.Public, "other")
	if _, err := s.Edit(ctx, other.ID, m.ID, alice, "x"); !errors.Is(err, chat.ErrMessageNotFound) {
		t.Errorf("edit through another room: got %v, want ErrMessageNotFound", err)
	}
	if _, err := s.DeleteMessage(ctx, room.ID, m.ID, bob); !errors.Is(err, chat.ErrNotSender) {
		t.Errorf("bob deletes alice's: got %v, want ErrNotSender", err)
	}
	deleted, err := s.DeleteMessage(ctx, room.ID, m.ID, alice)
	if err != nil || deleted.Deleted == nil || deleted.Body != "" || deleted.DeletedBy != alice.UserID {
		t.Errorf("the sender deletes: got %+v %v", deleted, err)
	}
	if _, err := s.DeleteMessage(ctx, room.ID, m.ID, alice); err != nil {
		t.Errorf("delete twice: %v, want nothing to do", err)
	}
	if _, err := s.Edit(ctx, room.ID, m.ID, alice, "back"); !errors.Is(err, chat.ErrDeleted) {
		t.Errorf("edit a deleted message: got %v, want ErrDeleted", err)
	}
	spam := e.send(room.ID, bob, "spam")
	if _, err := s.DeleteMessage(ctx, room.ID, spam.ID, admin); err != nil {
		t.Errorf("a moderator deletes: %v", err)
	}
	h := e.history(room.ID, carol, chat.HistoryOptions{})
	if len(h) != 2 || h[0].Body != "" || h[1].Body != "" || h[1].Deleted == nil || h[1].DeletedBy != admin.UserID {
		t.Errorf("history: got %+v, want both messages in place, their bodies hidden", h)
	}
	b, _ := json.Marshal(h[1])
	var shown struct {
		Body      string `json:"body"`
		DeletedBy string `json:"deleted_by"`
	}
	if json.Unmarshal(b, &shown); shown.DeletedBy != "moderator" || shown.Body != "" {
		t.Errorf("JSON of a moderated message: %s, want deleted_by moderator and no body", b)
	}
	for _, tc := range []struct {
		by   gamekit.Identity
		want string
	}{{admin, ",spam"}, {carol, ","}} {
		h := e.history(room.ID, tc.by, chat.HistoryOptions{Moderation: true})
		if got := bodies(h); got != tc.want {
			t.Errorf("moderation history as %s: got %q, want %q (the sender's deletion erased, a moderator's kept for moderators)", tc.by.Username, got, tc.want)
		}
	}
}

func testHistory(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	var ids []int64
	for i := range 120 {
		ids = append(ids, e.send(room.ID, alice, fmt.Sprint(i)).ID)
	}
	latest := e.history(room.ID, bob, chat.HistoryOptions{})
	if len(latest) != chat.DefaultPageSize || latest[0].Body != "70" || latest[49].Body != "119" {
		t.Fatalf("latest page: got %d messages from %s, want 50, 70 to 119", len(latest), bodies(latest[:1]))
	}
	older := e.history(room.ID, bob, chat.HistoryOptions{Before: latest[0].ID, Limit: 60})
	if len(older) != 60 || older[0].Body != "10" || older[59].Body != "69" {
		t.Errorf("before 70, 60: got %s", bodies(older))
	}
	oldest := e.history(room.ID, bob, chat.HistoryOptions{Before: older[0].ID, Limit: 60})
	if bodies(oldest) != "0,1,2,3,4,5,6,7,8,9" {
		t.Errorf("the oldest page: got %s", bodies(oldest))
	}
	since := e.history(room.ID, bob, chat.HistoryOptions{Since: ids[100], Limit: 5})
	if bodies(since) != "101,102,103,104,105" {
		t.Errorf("since 100, 5: got %s", bodies(since))
	}
	if h := e.history(room.ID, bob, chat.HistoryOptions{Since: ids[119]}); len(h) != 0 {
		t.Errorf("since the last: got %s, want nothing", bodies(h))
	}
	for i := 1; i < len(latest); i++ {
		if latest[i].ID <= latest[i-1].ID {
			t.Fatalf("ids not increasing: %d after %d", latest[i].ID, latest[i-1].ID)
		}
	}
	for _, opts := range []chat.HistoryOptions{{Limit: -1}, {Limit: chat.MaxPageSize + 1}, {Before: 5, Since: 3}, {Before: -1}} {
		if _, err := s.History(ctx, room.ID, bob, opts); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("history %+v: got %v, want invalid", opts, err)
		}
	}
	g := e.group(alice)
	e.send(g.ID, alice, "secret")
	if _, err := s.History(ctx, g.ID, bob, chat.HistoryOptions{}); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("bob reads alice's group: got %v, want ErrNotMember", err)
	}
	if h := e.history(g.ID, admin, chat.HistoryOptions{}); bodies(h) != "secret" {
		t.Errorf("an admin reads the group: got %s", bodies(h))
	}
	if _, err := s.History(ctx, g.ID, nobody, chat.HistoryOptions{}); !errors.Is(err, gamekit.ErrUnauthenticated) {
		t.Errorf("anonymous history: got %v, want unauthenticated", err)
	}
}

func testDirect(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	first, err := s.SendDirect(ctx, bob.UserID, alice, "hi bob")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.SendDirect(ctx, alice.UserID, bob, "hi alice")
	if err != nil || reply.Room != first.Room {
		t.Fatalf("reply: got %+v %v, want it in room %d", reply, err, first.Room)
	}
	room, err := s.Room(ctx, first.Room, bob)
	low, high, ok := room.Users()
	if err != nil || room.Kind != chat.Direct || !ok || low != alice.UserID || high != bob.UserID || room.Members != 2 {
		t.Errorf("DM room: got %+v %v, want a dm of alice and bob", room, err)
	}
	if h := e.history(first.Room, alice, chat.HistoryOptions{}); bodies(h) != "hi bob,hi alice" {
		t.Errorf("DM history: got %s", bodies(h))
	}
	if _, err := s.History(ctx, first.Room, carol, chat.HistoryOptions{}); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("carol reads their DM: got %v, want ErrNotMember", err)
	}
	if _, err := s.Send(ctx, first.Room, carol, "me too"); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("carol posts in their DM: got %v, want ErrNotMember", err)
	}
	if _, err := s.Send(ctx, first.Room, admin, "moderator here"); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("an admin posts in a DM: got %v, want ErrNotMember (admins read, not write)", err)
	}
	if _, err := s.AddMember(ctx, first.Room, alice, carol.UserID); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("add a member to a DM: got %v, want forbidden", err)
	}
	if _, err := s.SendDirect(ctx, alice.UserID, alice, "me"); !slices.Equal(fields(err), []string{"to"}) {
		t.Errorf("DM oneself: got %v, want invalid to", err)
	}
	if _, err := s.SendDirect(ctx, 500, alice, "who?"); !errors.Is(err, chat.ErrUnknownUser) {
		t.Errorf("DM an unknown user: got %v, want ErrUnknownUser", err)
	}
	if _, err := s.SendDirect(ctx, bob.UserID, nobody, "x"); !errors.Is(err, gamekit.ErrUnauthenticated) {
		t.Errorf("anonymous DM: got %v, want unauthenticated", err)
	}
	other, err := s.SendDirect(ctx, alice.UserID, carol, "hello")
	if err != nil || other.Room == first.Room {
		t.Errorf("carol's DM to alice: got %+v %v, want a room of its own", other, err)
	}
	rooms, err := s.Rooms(ctx, chat.RoomListOptions{Visible: alice.UserID, Kind: chat.Direct})
	if err != nil || len(rooms) != 2 {
		t.Errorf("alice's DMs: got %d %v, want 2", len(rooms), err)
	}
}

func testBlocks(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	e.send(room.ID, alice, "a1")
	e.send(room.ID, bob, "b1")
	if _, err := s.SendDirect(ctx, alice.UserID, bob, "hi"); err != nil {
		t.Fatal(err)
	}
	b, err := s.Block(ctx, alice, bob.UserID)
	if err != nil || b.BlockedID != bob.UserID {
		t.Fatalf("block: got %+v %v", b, err)
	}
	if _, err := s.Block(ctx, alice, bob.UserID); err != nil {
		t.Errorf("block twice: %v", err)
	}
	if _, err := s.Block(ctx, alice, alice.UserID); !slices.Equal(fields(err), []string{"user"}) {
		t.Errorf("block oneself: got %v, want invalid user", err)
	}
	e.send(room.ID, bob, "b2")
	if h := e.history(room.ID, alice, chat.HistoryOptions{}); bodies(h) != "a1" {
		t.Errorf("alice's history: got %s, want bob's messages left out", bodies(h))
	}
	if h := e.history(room.ID, carol, chat.HistoryOptions{}); bodies(h) != "a1,b1,b2" {
		t.Errorf("carol's history: got %s, want everything", bodies(h))
	}
	for _, tc := range []struct {
		to int64
		by gamekit.Identity
	}{{alice.UserID, bob}, {bob.UserID, alice}} {
		if _, err := s.SendDirect(ctx, tc.to, tc.by, "hello?"); !errors.Is(err, chat.ErrBlocked) || !errors.Is(err, gamekit.ErrForbidden) {
			t.Errorf("DM from %s: got %v, want ErrBlocked", tc.by.Username, err)
		}
	}
	// The DM room exists, and posting to it directly is refused too.
	dms, _ := s.Rooms(ctx, chat.RoomListOptions{Member: bob.UserID, Kind: chat.Direct})
	if len(dms) != 1 {
		t.Fatalf("bob's DMs: %d, want 1", len(dms))
	}
	if _, err := s.Send(ctx, dms[0].ID, bob, "hello?"); !errors.Is(err, chat.ErrBlocked) {
		t.Errorf("post to the DM room: got %v, want ErrBlocked", err)
	}
	blocks, err := s.Blocks(ctx, alice)
	if err != nil || len(blocks) != 1 || blocks[0].BlockedID != bob.UserID {
		t.Errorf("alice's blocks: got %+v %v", blocks, err)
	}
	if err := s.Unblock(ctx, alice, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if err := s.Unblock(ctx, alice, bob.UserID); !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("unblock twice: got %v, want not found", err)
	}
	if _, err := s.SendDirect(ctx, alice.UserID, bob, "friends again"); err != nil {
		t.Errorf("DM after unblocking: %v", err)
	}
	if h := e.history(room.ID, alice, chat.HistoryOptions{}); bodies(h) != "a1,b1,b2" {
		t.Errorf("alice's history after unblocking: got %s", bodies(h))
	}
}

func testMutes(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	other := e.room(admin, chat.Public, "other")
	until := start.Add(10 * time.Minute)
	if _, err := s.Mute(ctx, alice, chat.Mute{User: bob.UserID, Room: room.ID, Until: until}); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("a player mutes: got %v, want forbidden", err)
	}
	for _, m := range []chat.Mute{
		{User: 0, Room: room.ID, Until: until},
		{User: bob.UserID, Room: room.ID, Until: start},
		{User: bob.UserID, Room: room.ID, Until: until, Reason: "a\x00"},
	} {
		if _, err := s.Mute(ctx, admin, m); !errors.Is(err, gamekit.ErrInvalid) {
			t.Errorf("mute %+v: got %v, want invalid", m, err)
		}
	}
	if _, err := s.Mute(ctx, admin, chat.Mute{User: bob.UserID, Room: 999, Until: until}); !errors.Is(err, chat.ErrRoomNotFound) {
		t.Errorf("mute in a missing room: got %v, want ErrRoomNotFound", err)
	}
	m, err := s.Mute(ctx, admin, chat.Mute{User: bob.UserID, Room: room.ID, Until: until, Reason: " spam "})
	if err != nil || m.By != admin.UserID || m.Reason != "spam" || !m.Until.Equal(until) {
		t.Fatalf("mute: got %+v %v", m, err)
	}
	_, err = s.Send(ctx, room.ID, bob, "let me speak")
	var muted *chat.MutedError
	if !errors.As(err, &muted) || !errors.Is(err, gamekit.ErrForbidden) || !muted.Until.Equal(until) || muted.Room != room.ID ||
		!strings.Contains(err.Error(), "2026-12-03T20:10:00Z") {
		t.Errorf("a muted user posts: got %v, want a MutedError until %v", err, until)
	}
	e.send(other.ID, bob, "elsewhere") // the mute is for one room
	e.send(room.ID, alice, "others may")
	if _, err := s.Edit(ctx, other.ID, e.send(room.ID, alice, "x").ID, bob, "y"); err == nil {
		t.Errorf("bob edits through a room where the message is not: want an error")
	}
	mutes, err := s.Mutes(ctx, admin, chat.MuteListOptions{})
	if err != nil || len(mutes) != 1 || mutes[0].User != bob.UserID {
		t.Errorf("mutes: got %+v %v, want bob's", mutes, err)
	}
	if _, err := s.Mutes(ctx, bob, chat.MuteListOptions{}); !errors.Is(err, gamekit.ErrForbidden) {
		t.Errorf("a player lists mutes: got %v, want forbidden", err)
	}
	e.advance(10 * time.Minute)
	if _, err := s.Send(ctx, room.ID, bob, "free"); err != nil {
		t.Errorf("after the mute ended: %v", err)
	}
	if mutes, _ := s.Mutes(ctx, admin, chat.MuteListOptions{}); len(mutes) != 0 {
		t.Errorf("mutes in force after the end: %+v", mutes)
	}
	if mutes, _ := s.Mutes(ctx, admin, chat.MuteListOptions{Expired: true}); len(mutes) != 1 {
		t.Errorf("mutes with expired ones: %+v, want 1", mutes)
	}

	// A mute everywhere, replaced by a longer one, then lifted.
	s.Mute(ctx, admin, chat.Mute{User: bob.UserID, Until: e.now().Add(time.Minute)})
	later := e.now().Add(time.Hour)
	if _, err := s.Mute(ctx, admin, chat.Mute{User: bob.UserID, Until: later}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []int64{room.ID, other.ID} {
		_, err := s.Send(ctx, r, bob, "x")
		if !errors.As(err, &muted) || muted.Room != 0 || !muted.Until.Equal(later) {
			t.Errorf("muted everywhere, in room %d: got %v, want muted until %v", r, err, later)
		}
	}
	if _, err := s.SendDirect(ctx, alice.UserID, bob, "x"); !errors.As(err, &muted) {
		t.Errorf("muted everywhere, a DM: got %v, want muted", err)
	}
	if err := s.Unmute(ctx, admin, 0, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if err := s.Unmute(ctx, admin, 0, bob.UserID); !errors.Is(err, gamekit.ErrNotFound) {
		t.Errorf("unmute twice: got %v, want not found", err)
	}
	if _, err := s.Send(ctx, room.ID, bob, "unmuted"); err != nil {
		t.Errorf("after unmute: %v", err)
	}
}

func testRateLimit(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	other := e.room(admin, chat.Public, "other")
	for i := range chat.DefaultBurst {
		e.send(room.ID, alice, fmt.Sprint(i))
	}
	_, err := s.Send(ctx, room.ID, alice, "one too many")
	var limited *gamekit.RateLimitError
	if !errors.As(err, &limited) || limited.RetryAfter != 200*time.Millisecond {
		t.Fatalf("the message after a burst: got %v, want rate limited, retry in 200ms", err)
	}
	e.send(other.ID, alice, "another room")
	e.send(room.ID, bob, "another user")
	e.advance(100 * time.Millisecond)
	if _, err := s.Send(ctx, room.ID, alice, "too soon"); !errors.As(err, &limited) || limited.RetryAfter != 100*time.Millisecond {
		t.Errorf("100ms later: got %v, want retry in 100ms", err)
	}
	e.advance(100 * time.Millisecond)
	e.send(room.ID, alice, "on time")
	if _, err := s.Send(ctx, room.ID, alice, "again"); !errors.As(err, &limited) {
		t.Errorf("straight after: got %v, want rate limited", err)
	}
	// Five a second, over time.
	sent := 0
	for range 50 {
		e.advance(100 * time.Millisecond)
		if _, err := s.Send(ctx, room.ID, alice, "steady"); err == nil {
			sent++
		}
	}
	if sent != 25 {
		t.Errorf("in 5 s at 10 tries a second: %d sent, want 25", sent)
	}
	// A full allowance again after 2 s idle.
	e.advance(2 * time.Second)
	for i := range chat.DefaultBurst {
		if _, err := s.Send(ctx, room.ID, alice, "burst"); err != nil {
			t.Fatalf("burst message %d after a rest: %v", i, err)
		}
	}
	if h := e.history(room.ID, alice, chat.HistoryOptions{Limit: chat.MaxPageSize}); len(h) != 10+1+1+25+10 {
		t.Errorf("stored: %d messages, want only those allowed, 47", len(h))
	}
}

func testEvents(t *testing.T, e *env) {
	ctx := context.Background()
	s := e.store
	room := e.room(admin, chat.Public, "r")
	e.take()
	m := e.send(room.ID, alice, "hi")
	b, _ := json.Marshal(m)
	want := []string{fmt.Sprintf("chat.%d message %s", room.ID, b)}
	if got := e.take(); !slices.Equal(got, want) {
		t.Errorf("send: got %q, want %q", got, want)
	}
	edited, err := s.Edit(ctx, room.ID, m.ID, alice, "hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(edited)
	if got := e.take(); !slices.Equal(got, []string{fmt.Sprintf("chat.%d edited %s", room.ID, b)}) {
		t.Errorf("edit: got %q", got)
	}
	deleted, err := s.DeleteMessage(ctx, room.ID, m.ID, admin)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(deleted)
	if got := e.take(); !slices.Equal(got, []string{fmt.Sprintf("chat.%d deleted %s", room.ID, b)}) || strings.Contains(string(b), "hello") {
		t.Errorf("delete: got %q, want the message without its body", got)
	}
	// Nothing refused is announced.
	s.Send(ctx, room.ID, alice, "")
	s.Edit(ctx, room.ID, m.ID, alice, "again")
	s.DeleteMessage(ctx, room.ID, m.ID, alice)
	g := e.group(alice)
	s.Send(ctx, g.ID, bob, "not a member")
	if got := e.take(); len(got) != 1 || !strings.HasPrefix(got[0], "user.1 chat_joined ") {
		t.Errorf("refusals and a new group: got %q, want only alice told of her group", got)
	}
	if _, err := s.AddMember(ctx, g.ID, alice, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if got := e.take(); len(got) != 1 || !strings.HasPrefix(got[0], "user.2 chat_joined ") {
		t.Errorf("add bob: got %q, want bob told", got)
	}
	if err := s.RemoveMember(ctx, g.ID, alice, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if got := e.take(); len(got) != 1 || !strings.HasPrefix(got[0], "user.2 chat_left ") {
		t.Errorf("remove bob: got %q, want bob told", got)
	}
	dm, err := s.SendDirect(ctx, carol.UserID, alice, "psst")
	if err != nil {
		t.Fatal(err)
	}
	got := e.take()
	if len(got) != 3 || !strings.HasPrefix(got[0], "user.1 chat_joined ") || !strings.HasPrefix(got[1], "user.3 chat_joined ") ||
		!strings.HasPrefix(got[2], fmt.Sprintf("chat.%d message ", dm.Room)) {
		t.Errorf("first DM: got %q, want both users told, then the message", got)
	}
	s.SendDirect(ctx, carol.UserID, alice, "again")
	if got := e.take(); len(got) != 1 {
		t.Errorf("second DM: got %q, want the message alone", got)
	}
	if err := s.DeleteRoom(ctx, g.ID, alice); err != nil {
		t.Fatal(err)
	}
	if got := e.take(); !slices.Equal(got, []string{fmt.Sprintf(`chat.%d room_deleted {"id":%d}`, g.ID, g.ID)}) {
		t.Errorf("delete the group: got %q", got)
	}
}

// goroutines is how many senders share one room.
const goroutines = 64

// perSender is how many messages each sends.
const perSender = 10

func testConcurrentSenders(t *testing.T, e *env) {
	ctx := context.Background()
	room := e.room(admin, chat.Public, "busy")
	e.take()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perSender)
	for g := range goroutines {
		by := gamekit.Identity{UserID: int64(1000 + g), Username: fmt.Sprintf("user%d", 1000+g)}
		wg.Go(func() {
			for i := range perSender {
				if _, err := e.store.Send(ctx, room.ID, by, fmt.Sprintf("%d:%d", g, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("send: %v", err)
	}
	// Backward from the latest, as a client scrolls up.
	var all []chat.Message
	for before := int64(0); ; {
		page := e.history(room.ID, alice, chat.HistoryOptions{Before: before, Limit: 100})
		all = append(page, all...)
		if len(page) < 100 {
			break
		}
		before = page[0].ID
	}
	if len(all) != goroutines*perSender {
		t.Errorf("history holds %d messages, want %d", len(all), goroutines*perSender)
	}
	seen := map[string]bool{}
	next := map[int64]int{} // each sender's messages in the order sent
	for i, m := range all {
		if i > 0 && m.ID <= all[i-1].ID {
			t.Errorf("message %d has id %d after %d", i, m.ID, all[i-1].ID)
		}
		if seen[m.Body] {
			t.Errorf("message %q twice", m.Body)
		}
		seen[m.Body] = true
		if want := fmt.Sprintf("%d:%d", m.Sender-1000, next[m.Sender]); m.Body != want {
			t.Errorf("sender %d: got %q, want %q next", m.Sender, m.Body, want)
		}
		next[m.Sender]++
	}
	if events := e.take(); len(events) != goroutines*perSender {
		t.Errorf("%d events announced, want %d", len(events), goroutines*perSender)
	}
	if r, err := e.store.Room(ctx, room.ID, alice); err != nil || r.Messages != goroutines*perSender {
		t.Errorf("the room counts %d messages (%v), want %d", r.Messages, err, goroutines*perSender)
	}
}
