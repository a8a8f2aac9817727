package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// The names of the events a store publishes. On a room's channel
// (ChannelOf): EventMessage, EventEdited and EventDeleted, each with the
// Message as Data (a deleted one with its body empty), and
// EventRoomDeleted with {"id": N}. On a user's own channel
// (realtime.UserChannel, "user.{id}"): EventJoined with the Room when the
// user becomes a member of a group or a DM (so a client knows to
// subscribe), and EventLeft with the Room when they are removed.
const (
	EventMessage     = "message"
	EventEdited      = "edited"
	EventDeleted     = "deleted"
	EventRoomDeleted = "room_deleted"
	EventJoined      = "chat_joined"
	EventLeft        = "chat_left"
)

// Store is what the package's handlers and realtime routes need from
// storage. Every method that acts for a user takes who is acting, by, and
// enforces the rules itself — who may read, post, edit, delete, manage
// members and moderate — so no client and no handler can get around them.
// An admin (by.Admin) is a moderator: they read every room, delete any
// message, create public rooms and mute users. SQLStore is the
// implementation; a host may wrap it or bring its own, which must keep
// the same rules (chattest checks them).
type Store interface {
	// CreateRoom creates a public room (by an admin) or a group (by any
	// user, its owner and first member) and sets r's fields as stored.
	CreateRoom(ctx context.Context, by gamekit.Identity, r *Room) error
	// EnsurePublicRoom returns the public room of that name, creating it
	// if there is none: the host's call at start.
	EnsurePublicRoom(ctx context.Context, name string) (Room, error)
	// Room returns a room by may read.
	Room(ctx context.Context, id int64, by gamekit.Identity) (Room, error)
	Rooms(ctx context.Context, opts RoomListOptions) ([]Room, error)
	CountRooms(ctx context.Context, opts RoomListOptions) (int, error)
	// DeleteRoom deletes a room with its messages: a group by its owner,
	// any room by an admin.
	DeleteRoom(ctx context.Context, id int64, by gamekit.Identity) error

	Members(ctx context.Context, room int64, by gamekit.Identity, limit, offset int) ([]Member, error)
	AddMember(ctx context.Context, room int64, by gamekit.Identity, user int64) (Member, error)
	RemoveMember(ctx context.Context, room int64, by gamekit.Identity, user int64) error

	Send(ctx context.Context, room int64, by gamekit.Identity, body string) (Message, error)
	SendDirect(ctx context.Context, to int64, by gamekit.Identity, body string) (Message, error)
	Edit(ctx context.Context, room, id int64, by gamekit.Identity, body string) (Message, error)
	DeleteMessage(ctx context.Context, room, id int64, by gamekit.Identity) (Message, error)
	History(ctx context.Context, room int64, by gamekit.Identity, opts HistoryOptions) ([]Message, error)

	Block(ctx context.Context, by gamekit.Identity, user int64) (Block, error)
	Unblock(ctx context.Context, by gamekit.Identity, user int64) error
	Blocks(ctx context.Context, by gamekit.Identity) ([]Block, error)

	Mute(ctx context.Context, by gamekit.Identity, m Mute) (Mute, error)
	Unmute(ctx context.Context, by gamekit.Identity, room, user int64) error
	Mutes(ctx context.Context, by gamekit.Identity, opts MuteListOptions) ([]Mute, error)
}

// Users is the host's directory of users, which the store asks about a
// user a caller names — a member to add, the recipient of a DM — so
// nobody can add or write to a user who does not exist, and members are
// listed by name. Username returns an error of kind gamekit.ErrNotFound
// for an unknown user.
type Users interface {
	Username(ctx context.Context, id int64) (string, error)
}

// The defaults of StoreOptions.
const (
	DefaultRate       = 5.0 // messages per second per user per room
	DefaultBurst      = 10
	DefaultMaxMembers = 1000
	DefaultPageSize   = 50
	MaxPageSize       = 500
)

// StoreOptions configure a SQLStore; nil means defaults.
type StoreOptions struct {
	// Publisher announces each committed change (see the Event
	// constants). Defaults to gamekit.Discard.
	Publisher gamekit.Publisher
	// Logger receives the announcements that could not be published.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock of timestamps, mutes and the rate limit. Defaults
	// to time.Now.
	Now func() time.Time
	// Users checks and names the users callers name. Defaults to none:
	// any positive id is taken, with an empty username.
	Users Users
	// MaxBodyLength is the longest message body, in characters. Defaults
	// to DefaultMaxBodyLength (2,000).
	MaxBodyLength int
	// Rate and Burst limit each user in each room: Rate messages a second
	// on average, Burst at once. Default to DefaultRate (5) and
	// DefaultBurst (10).
	Rate  float64
	Burst int
	// MaxMembers caps the members of a group. Defaults to
	// DefaultMaxMembers (1,000).
	MaxMembers int
}

// RoomListOptions select and page a list of rooms.
type RoomListOptions struct {
	// Visible, when not 0, keeps the rooms this user may read: every
	// public room and the groups and DMs they are a member of.
	Visible int64
	// Member, when not 0, keeps the groups and DMs this user is a member
	// of.
	Member int64
	// Kind, when not "", keeps rooms of that kind.
	Kind Kind
	// Search keeps rooms whose name contains it, ignoring ASCII case.
	Search string
	// Limit defaults to storage.DefaultLimit (1000); Offset skips rows.
	// Rooms are listed by id.
	Limit, Offset int
}

// HistoryOptions choose a page of a room's history.
type HistoryOptions struct {
	// Before, when not 0, pages backward: the Limit latest messages with
	// a smaller id. Since, when not 0, pages forward: the Limit first
	// messages with a larger id, what a client that saw message Since
	// missed. Without either, the latest messages. Not both.
	Before, Since int64
	// Limit defaults to DefaultPageSize (50); at most MaxPageSize (500).
	Limit int
	// Moderation, for an admin, shows the bodies of messages a moderator
	// deleted.
	Moderation bool
}

// SQLStore is the Store on a bun database, SQLite or PostgreSQL.
type SQLStore struct {
	db         bun.IDB
	publisher  gamekit.Publisher
	logger     *slog.Logger
	now        func() time.Time
	users      Users
	maxBody    int
	interval   int64 // µs between messages at the rate
	tolerance  int64 // µs of burst
	maxMembers int

	access, rate, tat, posted, insert, before, since, read, edit, remove *storage.Statement
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store working on db, which may be a *bun.DB, a
// bun.Tx or a bun.Conn. A store is safe for concurrent use: make one per
// database and share it, since it prepares its hot statements once.
//
// It returns a *gamekit.OptionError for options out of range: negative
// numbers, a NaN or infinite Rate. (Zero means the default.)
//
// Each writing method runs in its own transaction (storage.RunInTx) and
// announces its change after that commits; on a bun.Tx begun by
// storage.RunInTx it joins the caller's transaction and announces once
// that commits, and never if it rolls back. On a transaction begun another
// way (bun's RunInTx, BeginTx) nothing tells when it commits, so a writing
// method fails with storage.ErrForeignTx.
func NewSQLStore(db bun.IDB, opts *StoreOptions) (*SQLStore, error) {
	var o StoreOptions
	if opts != nil {
		o = *opts
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || (o.Rate > 0 && o.Rate < 1e-6) {
		return nil, &gamekit.OptionError{Option: "chat: StoreOptions.Rate", Value: o.Rate, Want: "a positive number of messages a second, or 0 for the default"}
	}
	for _, v := range []struct {
		name  string
		value int
	}{{"Burst", o.Burst}, {"MaxMembers", o.MaxMembers}, {"MaxBodyLength", o.MaxBodyLength}} {
		if v.value < 0 || v.value > math.MaxInt32 {
			return nil, &gamekit.OptionError{Option: "chat: StoreOptions." + v.name, Value: v.value, Want: "a positive number, or 0 for the default"}
		}
	}
	switch db.(type) {
	case *bun.DB, bun.Conn, *bun.Conn, bun.Tx, *bun.Tx:
	default:
		return nil, &gamekit.OptionError{Option: "chat: NewSQLStore's db", Value: fmt.Sprintf("a %T", db), Want: "a *bun.DB, a bun.Tx or a bun.Conn"}
	}
	s := &SQLStore{db: db, publisher: o.Publisher, logger: o.Logger, now: o.Now, users: o.Users,
		maxBody: o.MaxBodyLength, maxMembers: o.MaxMembers,
		access: storage.NewStatement(accessSQL), rate: storage.NewStatement(rateSQL),
		tat: storage.NewStatement(tatSQL), posted: storage.NewStatement(postedSQL),
		insert: storage.NewStatement(insertSQL), before: storage.NewStatement(beforeSQL),
		since: storage.NewStatement(sinceSQL), read: storage.NewStatement(readSQL),
		edit: storage.NewStatement(editSQL), remove: storage.NewStatement(deleteSQL)}
	if s.publisher == nil {
		s.publisher = gamekit.Discard
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyLength
	}
	if s.maxMembers == 0 {
		s.maxMembers = DefaultMaxMembers
	}
	rate, burst := o.Rate, o.Burst
	if rate == 0 {
		rate = DefaultRate
	}
	if burst == 0 {
		burst = DefaultBurst
	}
	s.interval = max(int64(math.Round(1e6/rate)), 1)
	s.tolerance = s.interval * int64(burst-1)
	return s, nil
}

// clock is the store's time, to the microsecond both databases keep.
func (s *SQLStore) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// prepare prepares the statements a transaction will run, before it
// begins (see storage.Statement.Prepare).
func (s *SQLStore) prepare(ctx context.Context, statements ...*storage.Statement) error {
	for _, st := range statements {
		if err := st.Prepare(ctx, s.db); err != nil {
			return err
		}
	}
	return nil
}

// announce publishes an event once the change is committed (see
// storage.AfterCommit). The change stands whatever the publisher says, so
// a failure to publish is logged, not returned.
func (s *SQLStore) announce(ctx context.Context, db bun.IDB, channel, name string, data any) error {
	return storage.AfterCommit(ctx, db, func(ctx context.Context) {
		if err := s.publisher.Publish(ctx, gamekit.Event{Channel: channel, Name: name, Data: data}); err != nil {
			s.logger.WarnContext(ctx, "chat: announce", "channel", channel, "event", name, "err", err)
		}
	})
}

// signedIn refuses an anonymous caller.
func signedIn(by gamekit.Identity) error {
	if by.UserID == 0 && !by.Admin {
		return gamekit.ErrUnauthenticated
	}
	return nil
}

// dbTime is how a time is written: bun's text form in UTC, which SQLite
// keeps as text that sorts as the time does and PostgreSQL reads into a
// TIMESTAMPTZ.
func dbTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999-07:00") }

// scanTime reads a time column, or NULL, whichever driver: PostgreSQL's
// driver gives a time.Time, SQLite's the text dbTime wrote.
type scanTime struct {
	t     time.Time
	valid bool
}

var timeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05.999999999"}

func (st *scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		st.valid = false
		return nil
	case time.Time:
		st.t, st.valid = v.UTC(), true
		return nil
	case []byte:
		return st.Scan(string(v))
	case string:
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				st.t, st.valid = t.UTC(), true
				return nil
			}
		}
		return fmt.Errorf("chat: cannot read %q as a time", v)
	}
	return fmt.Errorf("chat: cannot read %T as a time", src)
}

func (st scanTime) ptr() *time.Time {
	if !st.valid {
		return nil
	}
	t := st.t
	return &t
}

// scanMessage reads the messageColumns of a row.
func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var created, edited, deleted scanTime
	var deletedBy sql.NullInt64
	if err := row.Scan(&m.ID, &m.Room, &m.Sender, &m.Username, &m.Body, &created, &edited, &deleted, &deletedBy); err != nil {
		return Message{}, err
	}
	m.Created, m.Edited, m.Deleted, m.DeletedBy = created.t, edited.ptr(), deleted.ptr(), deletedBy.Int64
	return m, nil
}

// noRows maps sql.ErrNoRows to notFound, and wraps other errors with op.
func noRows(err error, notFound error, op string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return fmt.Errorf("chat: %s: %w", op, err)
}
