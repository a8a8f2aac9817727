ALTER TABLE gamekit_items_version DROP COLUMN deletions;
ALTER TABLE gamekit_inventories DROP COLUMN version;
