CREATE TABLE gamekit_items (
    id ID_PRIMARY_KEY,
    name VARCHAR(255) NOT NULL,
    weight DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (weight >= 0),
    -- A granted item carries its grant's key and recipient, so a grant is
    -- given at most once without a ledger table of its own.
    grant_key VARCHAR(255),
    grant_user BIGINT
);
CREATE INDEX gamekit_items_weight_id ON gamekit_items (weight, id);
CREATE UNIQUE INDEX gamekit_items_grant ON gamekit_items (grant_key, grant_user) WHERE grant_key IS NOT NULL;

-- Bumped by every transaction that changes items, so a cached item list is
-- known to be current with one point read, whichever process wrote.
CREATE TABLE gamekit_items_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO gamekit_items_version (id, version) VALUES (1, 1);

CREATE TABLE gamekit_inventories (
    id ID_PRIMARY_KEY,
    user_id BIGINT NOT NULL UNIQUE,
    username VARCHAR(150) NOT NULL
);
CREATE INDEX gamekit_inventories_username ON gamekit_inventories (username);

CREATE TABLE gamekit_inventory_items (
    inventory_id BIGINT NOT NULL REFERENCES gamekit_inventories (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES gamekit_items (id) ON DELETE CASCADE,
    PRIMARY KEY (inventory_id, item_id)
);
CREATE INDEX gamekit_inventory_items_item ON gamekit_inventory_items (item_id);
