DROP TABLE gamekit_gift_schedules;
