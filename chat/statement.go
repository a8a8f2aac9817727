package chat

// The statements of the hot paths — a send and a page of history — in SQL
// both databases run as written ($N parameters; see storage.Statement).
const (
	// accessSQL reads what decides whether user $2 may post in room $1:
	// the room's kind and owner, whether $2 is a member, the end of the
	// latest mute of $2 in the room or everywhere, and, for a DM, whether
	// either of its users blocked the other.
	accessSQL = `SELECT r.kind, r.owner_id,
		EXISTS (SELECT 1 FROM gamekit_chat_members m WHERE m.room_id = r.id AND m.user_id = $2),
		(SELECT MAX(u.until_at) FROM gamekit_chat_mutes u WHERE u.user_id = $2 AND u.room_id IN (0, r.id)),
		EXISTS (SELECT 1 FROM gamekit_chat_blocks b WHERE r.kind = 'dm'
			AND ((b.blocker_id = r.dm_low AND b.blocked_id = r.dm_high)
				OR (b.blocker_id = r.dm_high AND b.blocked_id = r.dm_low)))
	FROM gamekit_chat_rooms r WHERE r.id = $1`

	// rateSQL spends one message of user $2's allowance in room $1 at now
	// = $3 (Unix µs), a generic cell rate algorithm: tat is when the
	// allowance is whole again plus one interval; a message is allowed
	// when tat - now <= $5, the tolerance of a burst ((burst - 1) ×
	// interval), and moves tat on by the interval $4 from the later of tat
	// and now. $6 is now + interval, the tat of a first message. It
	// returns no row when the message is over the limit, and changes
	// nothing then.
	rateSQL = `INSERT INTO gamekit_chat_rates (room_id, user_id, tat) VALUES ($1, $2, $6)
	ON CONFLICT (room_id, user_id) DO UPDATE SET
		tat = CASE WHEN gamekit_chat_rates.tat > $3 THEN gamekit_chat_rates.tat ELSE $3 END + $4
	WHERE gamekit_chat_rates.tat - $3 <= $5
	RETURNING tat`

	// tatSQL reads the tat of a refused message, to say when to retry.
	tatSQL = `SELECT tat FROM gamekit_chat_rates WHERE room_id = $1 AND user_id = $2`

	// postedSQL counts a message in room $1 at $2. It is the first write
	// of a send, so on PostgreSQL it locks the room's row until the send
	// commits: the messages of a room get their ids, and commit, one at a
	// time, and a client reading history after message N never misses a
	// message with a smaller id that commits later.
	postedSQL = `UPDATE gamekit_chat_rooms SET message_count = message_count + 1, last_message_at = $2 WHERE id = $1`

	// insertSQL stores a message and returns its id.
	insertSQL = `INSERT INTO gamekit_chat_messages (room_id, sender_id, sender_username, body, created_at)
	VALUES ($1, $2, $3, $4, $5) RETURNING id`

	// messageColumns are what scanMessage reads, in its order.
	messageColumns = `id, room_id, sender_id, sender_username, body, created_at, edited_at, deleted_at, deleted_by`

	// beforeSQL is a page of history: the $4 latest messages of room $1
	// before message $2, newest first, without those of the users $3
	// blocked. It walks the index (room_id, id) backwards.
	beforeSQL = `SELECT ` + messageColumns + ` FROM gamekit_chat_messages
	WHERE room_id = $1 AND id < $2
		AND sender_id NOT IN (SELECT blocked_id FROM gamekit_chat_blocks WHERE blocker_id = $3)
	ORDER BY id DESC LIMIT $4`

	// sinceSQL is what a client missed: the $4 first messages of room $1
	// after message $2, oldest first, without those of the users $3
	// blocked.
	sinceSQL = `SELECT ` + messageColumns + ` FROM gamekit_chat_messages
	WHERE room_id = $1 AND id > $2
		AND sender_id NOT IN (SELECT blocked_id FROM gamekit_chat_blocks WHERE blocker_id = $3)
	ORDER BY id ASC LIMIT $4`

	// readSQL reads one message of a room.
	readSQL = `SELECT ` + messageColumns + ` FROM gamekit_chat_messages WHERE id = $1 AND room_id = $2`

	// editSQL changes the body of message $3 in room $4 to $1 at $2, if
	// user $5 sent it and it is not deleted.
	editSQL = `UPDATE gamekit_chat_messages SET body = $1, edited_at = $2
	WHERE id = $3 AND room_id = $4 AND sender_id = $5 AND deleted_at IS NULL
	RETURNING ` + messageColumns

	// deleteSQL deletes message $2 of room $3 at $1 for user $4: its
	// sender, whose deletion empties the body, or (when $5 is true) a
	// moderator, whose deletion keeps it for other moderators.
	deleteSQL = `UPDATE gamekit_chat_messages SET deleted_at = $1, deleted_by = $4,
		body = CASE WHEN sender_id = $4 THEN '' ELSE body END
	WHERE id = $2 AND room_id = $3 AND deleted_at IS NULL AND (sender_id = $4 OR $5)
	RETURNING ` + messageColumns
)
