CREATE TABLE gamekit_leaderboards (
    id VARCHAR(64) PRIMARY KEY,
    -- 'desc' (higher is better) or 'asc'; fixed at creation, since the
    -- records are stored in the board's order.
    sort_order VARCHAR(4) NOT NULL,
    operator VARCHAR(4) NOT NULL,
    reset_schedule VARCHAR(100) NOT NULL DEFAULT '',
    client_writable BOOLEAN NOT NULL DEFAULT FALSE,
    -- When an admin last reset the board (Unix seconds): the current
    -- period is the later of the schedule's and this.
    reset_at BIGINT NOT NULL DEFAULT 0,
    -- Bumped by every change, so a submit made with a stale copy of the
    -- board writes nothing.
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL
);

-- A record per (board, period, user). The period is the Unix second it
-- began, computed from the clock: a reset is the next period beginning,
-- and the past ones stay. Scores are stored multiplied by the board's
-- sign, so less is better on every board and one index ranks them.
CREATE TABLE gamekit_leaderboard_records (
    board_id VARCHAR(64) NOT NULL REFERENCES gamekit_leaderboards (id) ON DELETE CASCADE,
    period BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    username VARCHAR(150) NOT NULL DEFAULT '',
    rank_score BIGINT NOT NULL,
    rank_subscore BIGINT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    -- Unix microseconds of the last change: earlier ranks first on a tie.
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (board_id, period, user_id)
);
CREATE INDEX gamekit_leaderboard_records_rank
    ON gamekit_leaderboard_records (board_id, period, rank_score, rank_subscore, updated_at, user_id);
