package chat

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
)

// Kind is what sort of room a room is, which decides who may read and
// post in it.
type Kind string

// The kinds of room.
const (
	// Public rooms are created by an admin or the host; anyone signed in
	// reads, subscribes to and posts in them.
	Public Kind = "public"
	// Group rooms are created by a user, their owner, who adds and removes
	// members; only members read, subscribe and post.
	Group Kind = "group"
	// Direct rooms hold the messages between two users; the store creates
	// one on the first message between them (SendDirect).
	Direct Kind = "dm"
)

// MaxNameLength is the longest room name, in characters.
const MaxNameLength = 100

// MaxUsernameLength is the longest username a member or message keeps,
// in characters: Django's, as in the other packages.
const MaxUsernameLength = 150

// Room is a place messages are posted to. Its JSON is
//
//	{"id":1,"kind":"group","name":"Raid","owner":7,"members":3,"messages":120,
//	 "created":"2026-12-03T20:00:00Z","last_message":"2026-12-03T20:05:00Z"}
//
// with "owner" null for public rooms and DMs, and, for a DM only,
// "users": [low, high], the two users' ids.
type Room struct {
	bun.BaseModel `bun:"table:gamekit_chat_rooms,alias:room"`

	ID   int64  `bun:",pk,autoincrement"`
	Kind Kind   `bun:"kind"`
	Name string `bun:"name"`
	// OwnerID is the user who created a group and manages its members;
	// 0 for public rooms and DMs.
	OwnerID int64 `bun:"owner_id"`
	// DMLow and DMHigh are a DM's users, the lower id first; nil
	// otherwise.
	DMLow  *int64 `bun:"dm_low"`
	DMHigh *int64 `bun:"dm_high"`
	// Members is how many members a group or DM has (0 for public rooms).
	Members int `bun:"member_count"`
	// Messages is how many messages were ever posted in the room.
	Messages    int64      `bun:"message_count"`
	Created     time.Time  `bun:"created_at"`
	LastMessage *time.Time `bun:"last_message_at"`
}

// Users returns a DM's two users, the lower id first, and false for other
// rooms.
func (r Room) Users() (low, high int64, ok bool) {
	if r.Kind != Direct || r.DMLow == nil || r.DMHigh == nil {
		return 0, 0, false
	}
	return *r.DMLow, *r.DMHigh, true
}

// MarshalJSON writes the room as the API shows it (see Room).
func (r Room) MarshalJSON() ([]byte, error) {
	type view struct {
		ID          int64      `json:"id"`
		Kind        Kind       `json:"kind"`
		Name        string     `json:"name"`
		Owner       *int64     `json:"owner"`
		Users       []int64    `json:"users,omitempty"`
		Members     int        `json:"members"`
		Messages    int64      `json:"messages"`
		Created     time.Time  `json:"created"`
		LastMessage *time.Time `json:"last_message"`
	}
	v := view{ID: r.ID, Kind: r.Kind, Name: r.Name, Members: r.Members, Messages: r.Messages,
		Created: r.Created, LastMessage: r.LastMessage}
	if r.OwnerID != 0 {
		v.Owner = &r.OwnerID
	}
	if low, high, ok := r.Users(); ok {
		v.Users = []int64{low, high}
	}
	return json.Marshal(v)
}

// Channel returns the realtime channel of the room, "chat.{id}", where
// its messages are announced.
func (r Room) Channel() string { return ChannelOf(r.ID) }

// ChannelOf returns the realtime channel of room id: "chat.7".
func ChannelOf(id int64) string { return "chat." + strconv.FormatInt(id, 10) }

// Member is a user in a group or DM. Its JSON is
// {"room":1,"user":2,"username":"bob","joined":"2026-12-03T20:00:00Z"}.
type Member struct {
	bun.BaseModel `bun:"table:gamekit_chat_members,alias:member" json:"-"`

	RoomID int64 `bun:"room_id,pk" json:"room"`
	UserID int64 `bun:"user_id,pk" json:"user"`
	// Username is the user's name as StoreOptions.Users gave it when they
	// joined ("" without Users).
	Username string    `bun:"username" json:"username"`
	Joined   time.Time `bun:"joined_at" json:"joined"`
}

// checkName validates a room name, trimmed of surrounding space.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", gamekit.Invalid("name", "This field may not be blank.")
	case !utf8.ValidString(name):
		return "", gamekit.Invalid("name", "Enter valid UTF-8 text.")
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", gamekit.Invalid("name", "Control characters are not allowed.")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", gamekit.Invalid("name", "Ensure this field has no more than "+strconv.Itoa(MaxNameLength)+" characters.")
	}
	return name, nil
}

// checkUsername keeps what a database can hold of a username from the
// host: it is the host's, so it is cut, not refused.
func checkUsername(name string) string {
	name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "")
	if utf8.RuneCountInString(name) > MaxUsernameLength {
		name = string([]rune(name)[:MaxUsernameLength])
	}
	return name
}

// checkReason validates a mute's reason, trimmed: at most MaxReasonLength
// characters that a database can hold, no control characters.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case !utf8.ValidString(reason):
		return "", errors.New("Enter valid UTF-8 text.")
	case strings.ContainsFunc(reason, unicode.IsControl):
		return "", errors.New("Control characters are not allowed.")
	case utf8.RuneCountInString(reason) > MaxReasonLength:
		return "", errors.New("Ensure this field has no more than " + strconv.Itoa(MaxReasonLength) + " characters.")
	}
	return reason, nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
