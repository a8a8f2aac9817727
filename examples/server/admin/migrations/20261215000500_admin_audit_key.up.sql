-- Objects whose id is not a number (a leaderboard's is a slug) are named
-- by object_key, with object_id 0; every other object's key is ''.
ALTER TABLE gamekit_admin_audit ADD COLUMN object_key VARCHAR(100) NOT NULL DEFAULT '';
CREATE INDEX gamekit_admin_audit_object_key ON gamekit_admin_audit (object_type, object_key, id);
