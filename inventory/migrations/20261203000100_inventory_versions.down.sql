ALTER TABLE gamekit_items_version DROP COLUMN inventories_version;
ALTER TABLE gamekit_inventories DROP COLUMN version;
