CREATE TABLE gamekit_monsters (
    id ID_PRIMARY_KEY,
    state INTEGER NOT NULL DEFAULT 10 CHECK (state IN (10, 20, 30, 40)),
    -- The id of the host's user under attack. No foreign key: users belong
    -- to the host, not to gamekit.
    user_being_attacked BIGINT,
    health_points INTEGER NOT NULL DEFAULT 10 CHECK (health_points >= 0),
    -- Grows with every write, by one per transition: a change is written
    -- back only over the version it read, so concurrent transitions cannot
    -- both succeed.
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX gamekit_monsters_state ON gamekit_monsters (state, id);

-- One row per transition, for analytics, keyed by the version of the
-- monster the transition made: the database itself refuses a second
-- history for one version. No foreign key to the monster: its history
-- outlives it. No surrogate id either, so recording a transition writes a
-- row and one index entry and nothing else.
CREATE TABLE gamekit_monster_transitions (
    monster_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    transition VARCHAR(64) NOT NULL,
    from_state INTEGER NOT NULL,
    to_state INTEGER NOT NULL,
    -- The host's user who fired it, NULL for an automatic transition.
    by_user BIGINT,
    fired_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (monster_id, version)
);
