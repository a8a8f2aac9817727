DROP TABLE gamekit_leaderboard_records;
DROP TABLE gamekit_leaderboards;
