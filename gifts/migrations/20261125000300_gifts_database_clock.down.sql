DROP TABLE gamekit_gift_schedulers;
ALTER TABLE gamekit_gift_schedules DROP COLUMN outage_to;
ALTER TABLE gamekit_gift_schedules DROP COLUMN outage_from;
-- Expired: the first scheduler of the old kind takes the lease at once.
ALTER TABLE gamekit_gift_schedules ADD COLUMN expires_at TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';
ALTER TABLE gamekit_gift_schedules DROP COLUMN lease_until;
