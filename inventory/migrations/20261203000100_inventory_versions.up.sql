-- An inventory's version moves on in the same transaction as every change
-- to what its JSON shows (its items, its user), so a copy cached with one
-- version is current while the version is the same, whichever process
-- wrote. Changes that reach many inventories at once move one number for
-- all of them instead, beside the items version: a grant (every inventory
-- in its range gets an item: one row to update rather than thousands) and
-- an item's deletion (the foreign key's cascade takes it out of the
-- inventories that held it, which no statement of the store sees). A
-- cached inventory is current while both numbers are the same.
ALTER TABLE gamekit_inventories ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE gamekit_items_version ADD COLUMN inventories_version BIGINT NOT NULL DEFAULT 0;
