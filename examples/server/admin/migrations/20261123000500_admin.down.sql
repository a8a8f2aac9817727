DROP TABLE gamekit_admin_audit;
