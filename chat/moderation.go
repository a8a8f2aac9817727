package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/storage"
)

// Block is one user's block of another: the blocked user's messages are
// left out of the blocker's history, and no DM passes between the two.
// Its JSON is {"user":5,"created":"2026-12-03T20:00:00Z"}, user being the
// blocked one.
type Block struct {
	bun.BaseModel `bun:"table:gamekit_chat_blocks,alias:block" json:"-"`

	BlockerID int64     `bun:"blocker_id,pk" json:"-"`
	BlockedID int64     `bun:"blocked_id,pk" json:"user"`
	Created   time.Time `bun:"created_at" json:"created"`
}

// Block makes by block user. Blocking twice is not an error.
//
// A block hides the blocked user's messages from the blocker in History;
// live events still reach every subscriber of a room, and the client
// filters them with the list from Blocks, since filtering each delivery
// per subscriber would cost the hub a lookup per client per message.
func (s *SQLStore) Block(ctx context.Context, by gamekit.Identity, user int64) (Block, error) {
	if err := signedIn(by); err != nil {
		return Block{}, err
	}
	if user < 1 || user == by.UserID {
		return Block{}, gamekit.Invalid("user", "Choose another user.")
	}
	b := Block{BlockerID: by.UserID, BlockedID: user, Created: s.clock()}
	if _, err := s.db.NewInsert().Model(&b).On("CONFLICT (blocker_id, blocked_id) DO NOTHING").Exec(ctx); err != nil {
		return Block{}, fmt.Errorf("chat: block: %w", err)
	}
	if err := s.db.NewSelect().Model(&b).WherePK().Scan(ctx); err != nil {
		return Block{}, fmt.Errorf("chat: block: %w", err)
	}
	return b, nil
}

// Unblock lifts by's block of user; there must be one (gamekit.ErrNotFound).
func (s *SQLStore) Unblock(ctx context.Context, by gamekit.Identity, user int64) error {
	if err := signedIn(by); err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*Block)(nil)).Where("blocker_id = ? AND blocked_id = ?", by.UserID, user).Exec(ctx)
	if err != nil {
		return fmt.Errorf("chat: unblock: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return gamekit.Errorf(gamekit.ErrNotFound, "chat: user %d is not blocked", user)
	}
	return nil
}

// Blocks lists the users by blocked, by id.
func (s *SQLStore) Blocks(ctx context.Context, by gamekit.Identity) ([]Block, error) {
	if err := signedIn(by); err != nil {
		return nil, err
	}
	var blocks []Block
	if err := s.db.NewSelect().Model(&blocks).Where("block.blocker_id = ?", by.UserID).OrderExpr("block.blocked_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("chat: blocks: %w", err)
	}
	return blocks, nil
}

// Mute stops a user posting in a room, or in every room (Room 0), until a
// time: a moderator's measure. Its JSON is
// {"room":3,"user":5,"until":"...","by":1,"reason":"spam","created":"..."},
// "room" null for every room.
type Mute struct {
	bun.BaseModel `bun:"table:gamekit_chat_mutes,alias:mute" json:"-"`

	Room    int64     `bun:"room_id,pk" json:"-"`
	User    int64     `bun:"user_id,pk" json:"user"`
	Until   time.Time `bun:"until_at" json:"until"`
	By      int64     `bun:"muted_by" json:"by"`
	Reason  string    `bun:"reason" json:"reason"`
	Created time.Time `bun:"created_at" json:"created"`
}

// MaxReasonLength is the longest reason of a mute, in characters.
const MaxReasonLength = 500

// MuteListOptions select and page mutes.
type MuteListOptions struct {
	// User and Room, when not 0, keep the mutes of that user or room.
	User, Room int64
	// Expired keeps the mutes that ended too; by default only those in
	// force are listed.
	Expired bool
	// Limit defaults to storage.DefaultLimit (1000); Offset skips rows.
	// Mutes are listed by the time they end.
	Limit, Offset int
}

// Mute mutes m.User in m.Room (0: everywhere) until m.Until, which must be
// in the future, replacing a mute of the same user and room: an admin's
// act (gamekit.ErrForbidden for anyone else). By and Created are set
// from by and the clock. A muted user's Send and Edit fail with a
// *MutedError saying until when.
func (s *SQLStore) Mute(ctx context.Context, by gamekit.Identity, m Mute) (Mute, error) {
	if err := moderator(by); err != nil {
		return Mute{}, err
	}
	now := s.clock()
	bad := &gamekit.InvalidError{}
	if m.User < 1 {
		bad.Add("user", "Ensure this value is greater than or equal to 1.")
	}
	if m.Room < 0 {
		bad.Add("room", "Ensure this value is a room id.")
	}
	if !m.Until.After(now) {
		bad.Add("until", "Ensure this time is in the future.")
	}
	if reason, err := checkReason(m.Reason); err != nil {
		bad.Add("reason", err.Error())
	} else {
		m.Reason = reason
	}
	if err := bad.Err(); err != nil {
		return Mute{}, err
	}
	if m.Room != 0 {
		exists, err := s.db.NewSelect().Model((*Room)(nil)).Where("id = ?", m.Room).Exists(ctx)
		if err != nil {
			return Mute{}, fmt.Errorf("chat: mute: %w", err)
		}
		if !exists {
			return Mute{}, roomError(m.Room, ErrRoomNotFound)
		}
	}
	m.Until, m.By, m.Created = m.Until.UTC().Truncate(time.Microsecond), by.UserID, now
	_, err := s.db.NewInsert().Model(&m).
		On("CONFLICT (user_id, room_id) DO UPDATE").
		Set("until_at = EXCLUDED.until_at, muted_by = EXCLUDED.muted_by, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at").
		Exec(ctx)
	if err != nil {
		return Mute{}, fmt.Errorf("chat: mute: %w", err)
	}
	return m, nil
}

// MarshalJSON writes the mute as the API shows it (see Mute).
func (m Mute) MarshalJSON() ([]byte, error) {
	type view Mute
	var room *int64
	if m.Room != 0 {
		room = &m.Room
	}
	return jsonMarshal(struct {
		Room *int64 `json:"room"`
		view
	}{room, view(m)})
}

// Unmute lifts the mute of user in room (0: the mute everywhere): an
// admin's act. There must be one (gamekit.ErrNotFound).
func (s *SQLStore) Unmute(ctx context.Context, by gamekit.Identity, room, user int64) error {
	if err := moderator(by); err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*Mute)(nil)).Where("user_id = ? AND room_id = ?", user, room).Exec(ctx)
	if err != nil {
		return fmt.Errorf("chat: unmute: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return gamekit.Errorf(gamekit.ErrNotFound, "chat: user %d is not muted there", user)
	}
	return nil
}

// Mutes lists mutes for an admin, as opts select them.
func (s *SQLStore) Mutes(ctx context.Context, by gamekit.Identity, opts MuteListOptions) ([]Mute, error) {
	if err := moderator(by); err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = storage.DefaultLimit
	}
	var mutes []Mute
	q := s.db.NewSelect().Model(&mutes)
	if opts.User != 0 {
		q.Where("mute.user_id = ?", opts.User)
	}
	if opts.Room != 0 {
		q.Where("mute.room_id = ?", opts.Room)
	}
	if !opts.Expired {
		q.Where("mute.until_at > ?", dbTime(s.clock()))
	}
	if err := q.OrderExpr("mute.until_at ASC, mute.user_id ASC, mute.room_id ASC").Limit(int64(limit)).Offset(int64(max(opts.Offset, 0))).Scan(ctx); err != nil {
		return nil, fmt.Errorf("chat: mutes: %w", err)
	}
	return mutes, nil
}

// moderator refuses anyone but an admin.
func moderator(by gamekit.Identity) error {
	if err := signedIn(by); err != nil {
		return err
	}
	if !by.Admin {
		return gamekit.Errorf(gamekit.ErrForbidden, "chat: only a moderator may do this")
	}
	return nil
}
