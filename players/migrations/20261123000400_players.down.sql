DROP TABLE gamekit_players;
