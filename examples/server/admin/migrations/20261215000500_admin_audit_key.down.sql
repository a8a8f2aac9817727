DROP INDEX gamekit_admin_audit_object_key;
ALTER TABLE gamekit_admin_audit DROP COLUMN object_key;
