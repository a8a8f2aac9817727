-- The lease is dated by the database's clock, not each server's, so
-- servers whose clocks disagree cannot both hold it: lease_until is the
-- database's time, in Unix milliseconds, until which the holder may run
-- ticks (0: free). It replaces expires_at, which each server wrote with
-- its own clock.
ALTER TABLE gamekit_gift_schedules ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE gamekit_gift_schedules DROP COLUMN expires_at;
-- The latest time no scheduler of the schedule ran (an outage), from the
-- last sign of life to the first after it, by the schedulers' clocks as
-- ticks are: ticks firing in between follow the catch-up policy; every
-- other tick after last_at is granted, late if need be. NULL: none yet.
ALTER TABLE gamekit_gift_schedules ADD COLUMN outage_from TIMESTAMPTZ;
ALTER TABLE gamekit_gift_schedules ADD COLUMN outage_to TIMESTAMPTZ;
-- One row per scheduler of a schedule, holding the lease or not: its
-- heartbeat. A running scheduler renews alive_until (the database's time
-- in Unix milliseconds) every third of its lease; one that stops sets it
-- to 0. seen_at is its last sign of life by its own clock: when no
-- scheduler is alive, the outage began at the latest seen_at.
CREATE TABLE gamekit_gift_schedulers (
    schedule VARCHAR(100) NOT NULL,
    holder VARCHAR(255) NOT NULL,
    alive_until BIGINT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (schedule, holder)
);
