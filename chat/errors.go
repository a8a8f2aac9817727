package chat

import (
	"fmt"
	"time"

	"github.com/gamekit/gamekit"
)

// Errors of the chat package; each is of one of gamekit's kinds, so the
// HTTP layer answers 404, 403 or 409 and the realtime layer not_found,
// forbidden or conflict. The errors a store returns name the room or
// message and wrap these, so errors.Is works with both.
//
// Bad input (an empty, over-long or unprintable body, a bad name) is an
// *gamekit.InvalidError naming the field; a sender over the rate limit
// gets a *gamekit.RateLimitError (wrapped) saying when to try again; a
// muted sender a *MutedError saying until when.
var (
	// ErrRoomNotFound means no room has the id asked for.
	ErrRoomNotFound = gamekit.Errorf(gamekit.ErrNotFound, "chat: room not found")
	// ErrMessageNotFound means no message has the id asked for in the
	// room named.
	ErrMessageNotFound = gamekit.Errorf(gamekit.ErrNotFound, "chat: message not found")
	// ErrNotMember means the caller is not a member of the group or DM
	// they tried to read, post to or subscribe to.
	ErrNotMember = gamekit.Errorf(gamekit.ErrForbidden, "chat: only the room's members may do this")
	// ErrNotOwner means the caller tried to manage a group they do not
	// own, or to create a public room without being an admin.
	ErrNotOwner = gamekit.Errorf(gamekit.ErrForbidden, "chat: only the room's owner or an admin may do this")
	// ErrNotSender means the caller tried to edit another user's message,
	// or to delete it without being a moderator.
	ErrNotSender = gamekit.Errorf(gamekit.ErrForbidden, "chat: only its sender may change a message")
	// ErrBlocked means a DM between two users one of whom blocked the
	// other.
	ErrBlocked = gamekit.Errorf(gamekit.ErrForbidden, "chat: one of you blocked the other")
	// ErrRoomFull means a group already has StoreOptions.MaxMembers.
	ErrRoomFull = gamekit.Errorf(gamekit.ErrConflict, "chat: the room is full")
	// ErrRoomExists means a public room of that name exists already.
	ErrRoomExists = gamekit.Errorf(gamekit.ErrConflict, "chat: a public room of that name exists")
	// ErrDeleted means the message was deleted and cannot be edited.
	ErrDeleted = gamekit.Errorf(gamekit.ErrConflict, "chat: the message was deleted")
	// ErrUnknownUser means StoreOptions.Users does not know the user a
	// caller named (as a member or a DM's recipient).
	ErrUnknownUser = gamekit.Errorf(gamekit.ErrNotFound, "chat: no such user")
)

// MutedError refuses a message from a muted sender. It is of kind
// gamekit.ErrForbidden (HTTP 403), and its text says until when, so a
// client can show it: "chat: you are muted in this room until
// 2026-12-03T20:00:00Z".
type MutedError struct {
	// Room is the room the mute is for, 0 for every room.
	Room int64
	// Until is when the mute ends.
	Until time.Time
}

func (e *MutedError) Error() string {
	where := "in this room"
	if e.Room == 0 {
		where = "in every room"
	}
	return fmt.Sprintf("chat: you are muted %s until %s", where, e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, gamekit.ErrForbidden) true.
func (e *MutedError) Is(target error) bool { return target == gamekit.ErrForbidden }

// about names the room or message an error is about.
type about struct {
	what string // "room 7"
	err  error  // one of the errors above
	text string // what to say, if not err's own text
}

func (e *about) Error() string {
	if e.text != "" {
		return fmt.Sprintf("chat: %s: %s", e.what, e.text)
	}
	return fmt.Sprintf("%s (%s)", e.err, e.what)
}

// Unwrap makes errors.Is(err, ErrRoomNotFound) and
// errors.Is(err, gamekit.ErrNotFound) true, and so on.
func (e *about) Unwrap() error { return e.err }

func roomError(id int64, err error) error {
	return &about{what: fmt.Sprintf("room %d", id), err: err}
}

func messageError(id int64, err error) error {
	return &about{what: fmt.Sprintf("message %d", id), err: err}
}

// rateError wraps the *gamekit.RateLimitError of a message over the limit.
type rateError struct {
	room  int64
	limit *gamekit.RateLimitError
}

func (e *rateError) Error() string {
	return fmt.Sprintf("chat: too many messages in room %d; retry in %s", e.room, e.limit.RetryAfter.Round(time.Millisecond))
}

// Unwrap makes errors.As(err, new(*gamekit.RateLimitError)) and
// errors.Is(err, gamekit.ErrRateLimited) true.
func (e *rateError) Unwrap() error { return e.limit }
