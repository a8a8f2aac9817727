-- Every change made through the admin pages: who made it, when, to what,
-- and the object before and after as JSON text (NULL for "did not exist").
-- No foreign keys: the trail outlives the users and objects it names.
CREATE TABLE gamekit_admin_audit (
    id ID_PRIMARY_KEY,
    at TIMESTAMPTZ NOT NULL,
    user_id BIGINT NOT NULL,
    username VARCHAR(150) NOT NULL,
    -- What was done ("add", "change", "delete", "fire attack", ...) to which
    -- kind of object ("item", "user", ...) with which id (0 for none).
    action VARCHAR(100) NOT NULL,
    object_type VARCHAR(50) NOT NULL,
    object_id BIGINT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX gamekit_admin_audit_object ON gamekit_admin_audit (object_type, object_id, id);
