CREATE TABLE gamekit_players (
    id ID_PRIMARY_KEY,
    -- The host's user who owns the player, and their username, copied for
    -- the admin's search. No foreign key: users belong to the host.
    user_id BIGINT NOT NULL,
    username VARCHAR(150) NOT NULL DEFAULT '',
    position_x DOUBLE PRECISION NOT NULL DEFAULT 0,
    position_y DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- The rate limit of moves, kept in the row so that the one UPDATE of a
    -- move enforces it in every server process: the start of the current
    -- one-second window in Unix milliseconds (0: none yet), and how many
    -- moves it has had.
    window_start BIGINT NOT NULL DEFAULT 0,
    window_moves INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX gamekit_players_user ON gamekit_players (user_id, id);
