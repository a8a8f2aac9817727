-- Rooms: public (anyone signed in reads and posts), group (members only,
-- owner_id manages them) and dm (its two users, dm_low < dm_high, one room
-- per pair). message_count is also what a send locks, so that on
-- PostgreSQL the messages of one room commit in the order of their ids.
CREATE TABLE gamekit_chat_rooms (
    id ID_PRIMARY_KEY,
    kind VARCHAR(10) NOT NULL,
    name VARCHAR(100) NOT NULL DEFAULT '',
    owner_id BIGINT NOT NULL DEFAULT 0,
    dm_low BIGINT,
    dm_high BIGINT,
    member_count INTEGER NOT NULL DEFAULT 0,
    message_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    last_message_at TIMESTAMPTZ
);
-- NULLs are distinct on both databases: only DMs meet this index.
CREATE UNIQUE INDEX gamekit_chat_rooms_dm ON gamekit_chat_rooms (dm_low, dm_high);
CREATE UNIQUE INDEX gamekit_chat_rooms_public_name ON gamekit_chat_rooms (name) WHERE kind = 'public';

-- The members of groups and DMs (public rooms have none). No foreign key
-- to users: users belong to the host.
CREATE TABLE gamekit_chat_members (
    room_id BIGINT NOT NULL REFERENCES gamekit_chat_rooms (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    username VARCHAR(150) NOT NULL DEFAULT '',
    joined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX gamekit_chat_members_user ON gamekit_chat_members (user_id, room_id);

-- Messages. A deleted message keeps its row (deleted_at, deleted_by: the
-- user who deleted it); a sender's deletion empties the body, a
-- moderator's keeps it for the moderators' eyes only.
CREATE TABLE gamekit_chat_messages (
    id ID_PRIMARY_KEY,
    room_id BIGINT NOT NULL REFERENCES gamekit_chat_rooms (id) ON DELETE CASCADE,
    sender_id BIGINT NOT NULL,
    sender_username VARCHAR(150) NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    edited_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    deleted_by BIGINT
);
-- History pages walk this index backwards from a message id.
CREATE INDEX gamekit_chat_messages_room ON gamekit_chat_messages (room_id, id);

-- The rate limit of each sender in each room, a generic cell rate
-- algorithm: tat is the theoretical arrival time of the next message, in
-- Unix microseconds, kept in the database so every server process
-- enforces one limit.
CREATE TABLE gamekit_chat_rates (
    room_id BIGINT NOT NULL REFERENCES gamekit_chat_rooms (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    tat BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- Mutes: user_id may not post in room_id (0: in any room) until until_at.
CREATE TABLE gamekit_chat_mutes (
    room_id BIGINT NOT NULL DEFAULT 0,
    user_id BIGINT NOT NULL,
    until_at TIMESTAMPTZ NOT NULL,
    muted_by BIGINT NOT NULL DEFAULT 0,
    reason VARCHAR(500) NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

-- Blocks: blocker sees nothing of blocked's in history, and no DM passes
-- between them either way.
CREATE TABLE gamekit_chat_blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
