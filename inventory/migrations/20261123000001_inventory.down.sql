DROP TABLE gamekit_inventory_items;
DROP TABLE gamekit_inventories;
DROP TABLE gamekit_items_version;
DROP TABLE gamekit_items;
