-- One row per gift schedule: who holds its lease and how far its ticks got.
-- The gifts themselves are items carrying their grant key (see inventory),
-- so a tick writes nothing here but a few small updates of this row.
CREATE TABLE gamekit_gift_schedules (
    name VARCHAR(100) PRIMARY KEY,
    -- The lease: the scheduler named holder runs the schedule's ticks until
    -- expires_at; term grows by one each time another scheduler takes it.
    holder VARCHAR(255) NOT NULL,
    term BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- Ticks firing at or before last_at are done or were skipped; last_tick
    -- is the number of the last one granted (NULL before the first).
    last_tick BIGINT,
    last_at TIMESTAMPTZ NOT NULL,
    -- A tick started and not yet completed: whoever holds the lease next
    -- completes it first, under the same key, so nobody gets it twice.
    running_tick BIGINT,
    running_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
