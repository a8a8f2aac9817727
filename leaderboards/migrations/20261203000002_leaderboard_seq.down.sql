DROP INDEX gamekit_leaderboard_records_seq;
ALTER TABLE gamekit_leaderboard_records DROP COLUMN seq;
