DROP TABLE gamekit_tokens;
DROP TABLE gamekit_users;
