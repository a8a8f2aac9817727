-- An inventory's version moves on in the same transaction as every change
-- to what its JSON shows (its items, its user), so a copy cached with one
-- version is current while the version is the same, whichever process
-- wrote. Deleting an item takes it out of every inventory that held it by
-- the foreign key's cascade, which no statement of the store sees: such a
-- deletion moves on the items' deletions counter instead, and a cached
-- inventory is current while both numbers are the same.
ALTER TABLE gamekit_inventories ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE gamekit_items_version ADD COLUMN deletions BIGINT NOT NULL DEFAULT 0;
