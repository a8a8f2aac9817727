-- The change sequence of a record, written by the submit's own statement:
-- the writing transaction's id on PostgreSQL (txid_current()), one more
-- than the highest of the board's period on SQLite, whose writers take
-- turns. A store's in-process rank cache reads the records changed since
-- the last it saw (seq at or past a watermark) before it answers, so ranks
-- stay exact whichever process wrote.
ALTER TABLE gamekit_leaderboard_records ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX gamekit_leaderboard_records_seq
    ON gamekit_leaderboard_records (board_id, period, seq);
