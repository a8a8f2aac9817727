DROP INDEX IF EXISTS gamekit_items_name_id;
