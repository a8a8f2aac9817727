package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage"
)

// Send posts body to room as by and returns the message as stored. It
// succeeds only if every rule holds, checked in the send's transaction:
//
//   - by is signed in (gamekit.ErrUnauthenticated) and may post in the
//     room: anyone in a public room, members in a group or DM (an admin
//     too: ErrNotMember); the room exists (ErrRoomNotFound);
//   - the body is valid (an *gamekit.InvalidError for "body"; see
//     Message.Body);
//   - by is not muted there (*MutedError) and, in a DM, neither user
//     blocked the other (ErrBlocked);
//   - by has not sent more than the rate limit allows in the room (a
//     wrapped *gamekit.RateLimitError saying when to retry).
//
// The message is announced on the room's channel (EventMessage) once
// committed. Ids grow with each message of a room in the order the
// messages commit, on both databases, so a client that saw message N
// misses nothing by asking for what came after N.
func (s *SQLStore) Send(ctx context.Context, room int64, by gamekit.Identity, body string) (Message, error) {
	if err := signedIn(by); err != nil {
		return Message{}, err
	}
	body, err := checkBody(body, s.maxBody)
	if err != nil {
		return Message{}, err
	}
	if err := s.prepare(ctx, s.access, s.rate, s.tat, s.posted, s.insert); err != nil {
		return Message{}, fmt.Errorf("chat: send: %w", err)
	}
	var m Message
	err = storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		m, err = s.send(ctx, tx, room, by, body)
		return err
	})
	return m, err
}

// send is Send in a transaction.
func (s *SQLStore) send(ctx context.Context, tx bun.Tx, room int64, by gamekit.Identity, body string) (Message, error) {
	a, err := s.checkAccess(ctx, tx, room, by)
	if err != nil {
		return Message{}, err
	}
	if a.kind != Public && !a.member {
		return Message{}, roomError(room, ErrNotMember) // an admin reads, but does not post, in others' groups
	}
	now := s.clock()
	if a.mutedTill.valid && a.mutedTill.t.After(now) {
		return Message{}, s.muted(ctx, tx, room, by.UserID, now)
	}
	if a.blocked {
		return Message{}, roomError(room, ErrBlocked)
	}
	if err := s.spend(ctx, tx, room, by.UserID, now); err != nil {
		return Message{}, err
	}
	stamp := dbTime(now)
	if _, err := s.posted.Exec(ctx, tx, room, stamp); err != nil {
		return Message{}, fmt.Errorf("chat: send: %w", err)
	}
	m := Message{Room: room, Sender: by.UserID, Username: checkUsername(by.Username), Body: body, Created: now}
	row, err := s.insert.QueryRow(ctx, tx, room, m.Sender, m.Username, body, stamp)
	if err != nil {
		return Message{}, fmt.Errorf("chat: send: %w", err)
	}
	if err := row.Scan(&m.ID); err != nil {
		return Message{}, fmt.Errorf("chat: send: %w", err)
	}
	return m, s.announce(ctx, tx, ChannelOf(room), EventMessage, m)
}

// muted says which mute stops user posting in room at now.
func (s *SQLStore) muted(ctx context.Context, db bun.IDB, room, user int64, now time.Time) error {
	var mutes []Mute
	err := db.NewSelect().Model(&mutes).Where("mute.user_id = ? AND mute.room_id IN (0, ?)", user, room).Scan(ctx)
	if err != nil {
		return fmt.Errorf("chat: send: %w", err)
	}
	e := &MutedError{Room: room}
	for _, m := range mutes {
		if m.Until.After(e.Until) {
			e.Room, e.Until = m.Room, m.Until
		}
	}
	return e
}

// spend takes one message from user's allowance in room at now, or says
// when there will be one.
func (s *SQLStore) spend(ctx context.Context, tx bun.Tx, room, user int64, now time.Time) error {
	us := now.UnixMicro()
	row, err := s.rate.QueryRow(ctx, tx, room, user, us, s.interval, s.tolerance, us+s.interval)
	if err != nil {
		return fmt.Errorf("chat: send: %w", err)
	}
	var tat int64
	err = row.Scan(&tat)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("chat: send: %w", err)
	}
	if row, err = s.tat.QueryRow(ctx, tx, room, user); err != nil {
		return fmt.Errorf("chat: send: %w", err)
	}
	if err := row.Scan(&tat); err != nil {
		return fmt.Errorf("chat: send: %w", err)
	}
	wait := time.Duration(max(tat-us-s.tolerance, 1)) * time.Microsecond
	return &rateError{room: room, limit: &gamekit.RateLimitError{RetryAfter: wait}}
}

// SendDirect sends body from by to user to, in the DM room of the two,
// which it creates on their first message (announcing EventJoined to
// both). It is refused, besides as Send is, when to is by, when
// StoreOptions.Users does not know to (ErrUnknownUser) and when either
// blocked the other (ErrBlocked).
func (s *SQLStore) SendDirect(ctx context.Context, to int64, by gamekit.Identity, body string) (Message, error) {
	if err := signedIn(by); err != nil {
		return Message{}, err
	}
	if by.UserID == 0 {
		return Message{}, gamekit.Errorf(gamekit.ErrForbidden, "chat: a DM needs a user to send it")
	}
	if to < 1 || to == by.UserID {
		return Message{}, gamekit.Invalid("to", "Choose another user.")
	}
	body, err := checkBody(body, s.maxBody)
	if err != nil {
		return Message{}, err
	}
	username, err := s.username(ctx, to)
	if err != nil {
		return Message{}, err
	}
	if err := s.prepare(ctx, s.access, s.rate, s.tat, s.posted, s.insert); err != nil {
		return Message{}, fmt.Errorf("chat: send: %w", err)
	}
	low, high := min(to, by.UserID), max(to, by.UserID)
	var m Message
	err = storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		blocked, err := tx.NewSelect().Model((*Block)(nil)).
			Where("(blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)", low, high, high, low).Exists(ctx)
		if err != nil {
			return fmt.Errorf("chat: send: %w", err)
		}
		if blocked {
			return &about{what: fmt.Sprintf("user %d", to), err: ErrBlocked, text: "one of you blocked the other"}
		}
		r := Room{Kind: Direct, DMLow: &low, DMHigh: &high, Members: 2, Created: s.clock()}
		res, err := tx.NewInsert().Model(&r).On("CONFLICT (dm_low, dm_high) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("chat: send: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			// bun cannot return the id of an INSERT ... DO NOTHING on
			// every dialect: read it.
			if err := tx.NewSelect().Model(&r).Where("room.dm_low = ? AND room.dm_high = ?", low, high).Scan(ctx); err != nil {
				return fmt.Errorf("chat: send: %w", err)
			}
			names := map[int64]string{by.UserID: checkUsername(by.Username), to: username}
			members := []Member{{RoomID: r.ID, UserID: low, Username: names[low], Joined: r.Created}, {RoomID: r.ID, UserID: high, Username: names[high], Joined: r.Created}}
			if _, err := tx.NewInsert().Model(&members).Exec(ctx); err != nil {
				return fmt.Errorf("chat: send: %w", err)
			}
			for _, u := range []int64{low, high} {
				if err := s.announce(ctx, tx, realtime.UserChannel(u), EventJoined, r); err != nil {
					return err
				}
			}
		} else if err := tx.NewSelect().Model(&r).Where("room.dm_low = ? AND room.dm_high = ?", low, high).Scan(ctx); err != nil {
			return fmt.Errorf("chat: send: %w", err)
		}
		m, err = s.send(ctx, tx, r.ID, by, body)
		return err
	})
	return m, err
}

// Edit changes the body of message id in room to body, for its sender
// alone (ErrNotSender), who must still be allowed to post there (see
// Send; the rate limit aside). A deleted message cannot be edited
// (ErrDeleted). The change is announced (EventEdited).
func (s *SQLStore) Edit(ctx context.Context, room, id int64, by gamekit.Identity, body string) (Message, error) {
	if err := signedIn(by); err != nil {
		return Message{}, err
	}
	body, err := checkBody(body, s.maxBody)
	if err != nil {
		return Message{}, err
	}
	if err := s.prepare(ctx, s.access, s.edit, s.read); err != nil {
		return Message{}, fmt.Errorf("chat: edit: %w", err)
	}
	var m Message
	err = storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		a, err := s.checkAccess(ctx, tx, room, by)
		if err != nil {
			return err
		}
		now := s.clock()
		if a.mutedTill.valid && a.mutedTill.t.After(now) {
			return s.muted(ctx, tx, room, by.UserID, now)
		}
		row, err := s.edit.QueryRow(ctx, tx, body, dbTime(now), id, room, by.UserID)
		if err != nil {
			return fmt.Errorf("chat: edit: %w", err)
		}
		if m, err = scanMessage(row); err != nil {
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("chat: edit: %w", err)
			}
			return s.whyNot(ctx, tx, room, id, by)
		}
		return s.announce(ctx, tx, ChannelOf(room), EventEdited, m)
	})
	return m, err
}

// whyNot says why an edit of message id by by changed nothing.
func (s *SQLStore) whyNot(ctx context.Context, db bun.IDB, room, id int64, by gamekit.Identity) error {
	m, err := s.message(ctx, db, room, id)
	switch {
	case err != nil:
		return err
	case m.Sender != by.UserID:
		return messageError(id, ErrNotSender)
	default:
		return messageError(id, ErrDeleted)
	}
}

func (s *SQLStore) message(ctx context.Context, db bun.IDB, room, id int64) (Message, error) {
	row, err := s.read.QueryRow(ctx, db, id, room)
	if err != nil {
		return Message{}, fmt.Errorf("chat: message: %w", err)
	}
	m, err := scanMessage(row)
	if err != nil {
		return Message{}, noRows(err, messageError(id, ErrMessageNotFound), "message")
	}
	return m, nil
}

// DeleteMessage deletes message id of room: its sender may (its body is
// then erased), and so may an admin, whose deletion keeps the body for
// moderators (HistoryOptions.Moderation) and shows it to nobody else.
// Either way the message keeps its place in history with an empty body,
// and EventDeleted is announced. Deleting a deleted message changes
// nothing and returns it as it is.
func (s *SQLStore) DeleteMessage(ctx context.Context, room, id int64, by gamekit.Identity) (Message, error) {
	if err := signedIn(by); err != nil {
		return Message{}, err
	}
	if err := s.prepare(ctx, s.access, s.remove, s.read); err != nil {
		return Message{}, fmt.Errorf("chat: delete message: %w", err)
	}
	var m Message
	err := storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.checkAccess(ctx, tx, room, by); err != nil {
			return err
		}
		row, err := s.remove.QueryRow(ctx, tx, dbTime(s.clock()), id, room, by.UserID, by.Admin)
		if err != nil {
			return fmt.Errorf("chat: delete message: %w", err)
		}
		if m, err = scanMessage(row); err != nil {
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("chat: delete message: %w", err)
			}
			if m, err = s.message(ctx, tx, room, id); err != nil {
				return err
			}
			if m.Deleted == nil && m.Sender != by.UserID {
				return messageError(id, ErrNotSender)
			}
			m.Body = ""
			return nil // deleted already
		}
		m.Body = ""
		return s.announce(ctx, tx, ChannelOf(room), EventDeleted, m)
	})
	return m, err
}

// History returns a page of room's messages, oldest first, if by may read
// the room (see Room): the latest, those before a message, or those
// since one (see HistoryOptions). The messages of users by blocked are
// left out. Deleted messages are in it with an empty body.
//
// A client that reconnects asks for the messages since the last it saw,
// page after page until a page is short. (The realtime hub's own recovery
// of missed events is not used yet: history is the record.)
func (s *SQLStore) History(ctx context.Context, room int64, by gamekit.Identity, opts HistoryOptions) ([]Message, error) {
	limit := opts.Limit
	switch {
	case limit < 0 || limit > MaxPageSize:
		return nil, gamekit.Invalid("limit", fmt.Sprintf("Ensure this value is between 1 and %d.", MaxPageSize))
	case opts.Before < 0 || opts.Since < 0:
		return nil, gamekit.Invalid("before", "Ensure this value is a message id.")
	case opts.Before != 0 && opts.Since != 0:
		return nil, gamekit.Invalid("since", "Give before or since, not both.")
	case limit == 0:
		limit = DefaultPageSize
	}
	if _, err := s.checkAccess(ctx, s.db, room, by); err != nil {
		return nil, err
	}
	st, from := s.before, opts.Before
	if opts.Since != 0 {
		st, from = s.since, opts.Since
	} else if from == 0 {
		from = math.MaxInt64
	}
	rows, err := st.Query(ctx, s.db, room, from, by.UserID, limit)
	if err != nil {
		return nil, fmt.Errorf("chat: history: %w", err)
	}
	defer rows.Close()
	messages := make([]Message, 0, limit)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("chat: history: %w", err)
		}
		if m.Deleted != nil && !(opts.Moderation && by.Admin && m.DeletedBy != m.Sender) {
			m.Body = ""
		}
		messages = append(messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: history: %w", err)
	}
	if opts.Since == 0 { // newest first from the index: oldest first for the caller
		for i, j := 0, len(messages)-1; i < j; i, j = i+1, j-1 {
			messages[i], messages[j] = messages[j], messages[i]
		}
	}
	return messages, nil
}
