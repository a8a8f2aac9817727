package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage"
)

// access is what accessSQL reads about a user and a room.
type access struct {
	kind      Kind
	owner     int64
	member    bool
	mutedTill scanTime
	blocked   bool // a DM whose users blocked one another
}

// checkAccess reads what decides whether by may read room id, and
// refuses an anonymous caller, a missing room (ErrRoomNotFound) and a
// group or DM by is not a member of (ErrNotMember), unless by is an
// admin.
func (s *SQLStore) checkAccess(ctx context.Context, db bun.IDB, id int64, by gamekit.Identity) (access, error) {
	if err := signedIn(by); err != nil {
		return access{}, err
	}
	row, err := s.access.QueryRow(ctx, db, id, by.UserID)
	if err != nil {
		return access{}, fmt.Errorf("chat: room %d: %w", id, err)
	}
	var a access
	if err := row.Scan(&a.kind, &a.owner, &a.member, &a.mutedTill, &a.blocked); err != nil {
		return access{}, noRows(err, roomError(id, ErrRoomNotFound), "room")
	}
	if a.kind != Public && !a.member && !by.Admin {
		return access{}, roomError(id, ErrNotMember)
	}
	return a, nil
}

// CreateRoom creates r: a public room, which only an admin may create, or
// a group, whose owner by becomes and whose first member they are. Kind
// must be Public or Group (DMs are created by SendDirect), and Name 1 to
// MaxNameLength characters, trimmed. A public room's name is unique
// (ErrRoomExists). It sets r's fields as stored; a new group is
// announced to its owner (EventJoined).
func (s *SQLStore) CreateRoom(ctx context.Context, by gamekit.Identity, r *Room) error {
	if err := signedIn(by); err != nil {
		return err
	}
	name, err := checkName(r.Name)
	if err != nil {
		return err
	}
	created := Room{Kind: r.Kind, Name: name, Created: s.clock()}
	switch r.Kind {
	case Public:
		if !by.Admin {
			return gamekit.Errorf(gamekit.ErrForbidden, "chat: only an admin may create a public room")
		}
	case Group:
		if by.UserID == 0 {
			return gamekit.Errorf(gamekit.ErrForbidden, "chat: a group needs a user to own it")
		}
		created.OwnerID, created.Members = by.UserID, 1
	default:
		return gamekit.Invalid("kind", `Choose "public" or "group".`)
	}
	err = storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&created).Returning("id").Exec(ctx); err != nil {
			if storage.IsUniqueViolation(err) {
				return &about{what: fmt.Sprintf("public room %q", name), err: ErrRoomExists, text: "exists already"}
			}
			return fmt.Errorf("chat: create room: %w", err)
		}
		if created.Kind != Group {
			return nil
		}
		member := Member{RoomID: created.ID, UserID: by.UserID, Username: checkUsername(by.Username), Joined: created.Created}
		if _, err := tx.NewInsert().Model(&member).Exec(ctx); err != nil {
			return fmt.Errorf("chat: create room: %w", err)
		}
		return s.announce(ctx, tx, realtime.UserChannel(by.UserID), EventJoined, created)
	})
	if err != nil {
		return err
	}
	*r = created
	return nil
}

// EnsurePublicRoom returns the public room called name, creating it if
// there is none, so a host can call it at every start: the room of
// everyone ("global", say) is there from the first run on.
func (s *SQLStore) EnsurePublicRoom(ctx context.Context, name string) (Room, error) {
	name, err := checkName(name)
	if err != nil {
		return Room{}, err
	}
	for range 3 {
		var r Room
		err := s.db.NewSelect().Model(&r).Where("room.kind = ? AND room.name = ?", Public, name).Scan(ctx)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Room{}, fmt.Errorf("chat: ensure public room: %w", err)
		}
		r = Room{Kind: Public, Name: name}
		err = s.CreateRoom(ctx, gamekit.Identity{Admin: true}, &r)
		if !errors.Is(err, ErrRoomExists) { // created, or failed
			return r, err
		}
	}
	return Room{}, fmt.Errorf("chat: ensure public room %q: created and deleted concurrently", name)
}

// Room returns room id if by may read it: a public room if by is signed
// in, a group or DM if they are a member, any room for an admin.
// Otherwise it is ErrRoomNotFound or ErrNotMember.
func (s *SQLStore) Room(ctx context.Context, id int64, by gamekit.Identity) (Room, error) {
	if _, err := s.checkAccess(ctx, s.db, id, by); err != nil {
		return Room{}, err
	}
	var r Room
	if err := s.db.NewSelect().Model(&r).Where("room.id = ?", id).Scan(ctx); err != nil {
		return Room{}, noRows(err, roomError(id, ErrRoomNotFound), "room")
	}
	return r, nil
}

// Rooms lists rooms by id, as opts select them. It checks nobody's
// access: a handler lists for a player with opts.Visible set to them.
func (s *SQLStore) Rooms(ctx context.Context, opts RoomListOptions) ([]Room, error) {
	rooms, err := storage.List[Room](ctx, s.db, opts.filter, "room.id ASC", opts.Limit, opts.Offset)
	if err != nil {
		return nil, fmt.Errorf("chat: list rooms: %w", err)
	}
	return rooms, nil
}

// CountRooms counts the rooms opts select.
func (s *SQLStore) CountRooms(ctx context.Context, opts RoomListOptions) (int, error) {
	n, err := storage.Count[Room](ctx, s.db, opts.filter)
	if err != nil {
		return 0, fmt.Errorf("chat: count rooms: %w", err)
	}
	return n, nil
}

func (opts RoomListOptions) filter(q *bun.SelectQuery) {
	const memberOf = "room.id IN (SELECT m.room_id FROM gamekit_chat_members m WHERE m.user_id = ?)"
	if opts.Visible != 0 {
		q.Where("(room.kind = ? OR "+memberOf+")", Public, opts.Visible)
	}
	if opts.Member != 0 {
		q.Where(memberOf, opts.Member)
	}
	if opts.Kind != "" {
		q.Where("room.kind = ?", opts.Kind)
	}
	storage.Search(q, "room.name", opts.Search)
}

// DeleteRoom deletes a room and everything in it: a group by its owner,
// any room by an admin. It announces EventRoomDeleted on the room's
// channel.
func (s *SQLStore) DeleteRoom(ctx context.Context, id int64, by gamekit.Identity) error {
	if err := signedIn(by); err != nil {
		return err
	}
	return storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var r Room
		if err := tx.NewSelect().Model(&r).Where("room.id = ?", id).Scan(ctx); err != nil {
			return noRows(err, roomError(id, ErrRoomNotFound), "delete room")
		}
		if !by.Admin && (r.Kind != Group || r.OwnerID != by.UserID) {
			if r.Kind != Public {
				if _, err := s.checkAccess(ctx, tx, id, by); err != nil {
					return err
				}
			}
			return roomError(id, ErrNotOwner)
		}
		if _, err := tx.NewDelete().Model((*Room)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("chat: delete room: %w", err)
		}
		return s.announce(ctx, tx, ChannelOf(id), EventRoomDeleted, struct {
			ID int64 `json:"id"`
		}{id})
	})
}

// Members lists the members of a group or DM by may read, in the order
// they joined (limit defaults to storage.DefaultLimit). A public room has
// none.
func (s *SQLStore) Members(ctx context.Context, room int64, by gamekit.Identity, limit, offset int) ([]Member, error) {
	if _, err := s.checkAccess(ctx, s.db, room, by); err != nil {
		return nil, err
	}
	members, err := storage.List[Member](ctx, s.db, func(q *bun.SelectQuery) {
		q.Where("member.room_id = ?", room)
	}, "member.joined_at ASC, member.user_id ASC", limit, offset)
	if err != nil {
		return nil, fmt.Errorf("chat: list members: %w", err)
	}
	return members, nil
}

// AddMember adds user to a group: by must be its owner or an admin, the
// user must be known to StoreOptions.Users (ErrUnknownUser), and the group
// must have fewer than MaxMembers (ErrRoomFull). Adding a member twice is
// not an error. The new member is told on their user channel
// (EventJoined).
func (s *SQLStore) AddMember(ctx context.Context, room int64, by gamekit.Identity, user int64) (Member, error) {
	if user < 1 {
		return Member{}, gamekit.Invalid("user", "Ensure this value is greater than or equal to 1.")
	}
	r, err := s.manage(ctx, room, by, user)
	if err != nil {
		return Member{}, err
	}
	username, err := s.username(ctx, user)
	if err != nil {
		return Member{}, err
	}
	m := Member{RoomID: r.ID, UserID: user, Username: username, Joined: s.clock()}
	err = storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&m).On("CONFLICT (room_id, user_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("chat: add member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// A member already: read them as they are.
			return tx.NewSelect().Model(&m).WherePK().Scan(ctx)
		}
		res, err = tx.NewUpdate().Model((*Room)(nil)).Set("member_count = member_count + 1").
			Where("id = ? AND member_count < ?", room, s.maxMembers).Exec(ctx)
		if err != nil {
			return fmt.Errorf("chat: add member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return &about{what: fmt.Sprintf("room %d", room), err: ErrRoomFull, text: fmt.Sprintf("has %d members, the most allowed", s.maxMembers)}
		}
		r.Members++
		return s.announce(ctx, tx, realtime.UserChannel(user), EventJoined, r)
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// RemoveMember removes user from a group: its owner or an admin removes
// anyone but the owner, and a member may leave. The removed member is
// told on their user channel (EventLeft).
//
// A removed member can no longer read, post or subscribe; a subscription
// they hold already lasts until they unsubscribe or disconnect, since the
// realtime hub has no way yet to end one from outside.
func (s *SQLStore) RemoveMember(ctx context.Context, room int64, by gamekit.Identity, user int64) error {
	r, err := s.manage(ctx, room, by, user)
	if err != nil {
		return err
	}
	if user == r.OwnerID {
		return gamekit.Errorf(gamekit.ErrConflict, "chat: room %d: the owner cannot leave the group; delete it instead", room)
	}
	return storage.RunInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*Member)(nil)).Where("room_id = ? AND user_id = ?", room, user).Exec(ctx)
		if err != nil {
			return fmt.Errorf("chat: remove member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return gamekit.Errorf(gamekit.ErrNotFound, "chat: room %d: user %d is not a member", room, user)
		}
		if _, err := tx.NewUpdate().Model((*Room)(nil)).Set("member_count = member_count - 1").Where("id = ?", room).Exec(ctx); err != nil {
			return fmt.Errorf("chat: remove member: %w", err)
		}
		r.Members--
		return s.announce(ctx, tx, realtime.UserChannel(user), EventLeft, r)
	})
}

// manage reads a group whose members by may change for user: its owner
// and admins may change anyone, a member only themselves.
func (s *SQLStore) manage(ctx context.Context, room int64, by gamekit.Identity, user int64) (Room, error) {
	if err := signedIn(by); err != nil {
		return Room{}, err
	}
	a, err := s.checkAccess(ctx, s.db, room, by)
	if err != nil {
		return Room{}, err
	}
	if a.kind != Group {
		return Room{}, gamekit.Errorf(gamekit.ErrForbidden, "chat: room %d is a %s room: only a group's members are managed", room, a.kind)
	}
	if !by.Admin && a.owner != by.UserID && user != by.UserID {
		return Room{}, roomError(room, ErrNotOwner)
	}
	var r Room
	if err := s.db.NewSelect().Model(&r).Where("room.id = ?", room).Scan(ctx); err != nil {
		return Room{}, noRows(err, roomError(room, ErrRoomNotFound), "room")
	}
	return r, nil
}

// username asks StoreOptions.Users for a user's name.
func (s *SQLStore) username(ctx context.Context, user int64) (string, error) {
	if s.users == nil {
		return "", nil
	}
	name, err := s.users.Username(ctx, user)
	switch {
	case errors.Is(err, gamekit.ErrNotFound):
		return "", &about{what: fmt.Sprintf("user %d", user), err: ErrUnknownUser, text: "no such user"}
	case err != nil:
		return "", fmt.Errorf("chat: user %d: %w", user, err)
	}
	return checkUsername(name), nil
}
