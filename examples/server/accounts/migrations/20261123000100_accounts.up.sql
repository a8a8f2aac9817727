CREATE TABLE gamekit_users (
    id ID_PRIMARY_KEY,
    -- Unique as written: "alice" and "Alice" are two users, as in Django.
    username VARCHAR(150) NOT NULL UNIQUE,
    -- A bcrypt hash ("$2a$10$..."), never the password.
    password_hash VARCHAR(255) NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE gamekit_tokens (
    id ID_PRIMARY_KEY,
    -- The SHA-256 of the token, in hex: a copy of this table grants nothing.
    token_hash CHAR(64) NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES gamekit_users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX gamekit_tokens_user ON gamekit_tokens (user_id, expires_at);
