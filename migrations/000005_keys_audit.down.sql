DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS api_keys;
DROP FUNCTION IF EXISTS gisd_audit_append_only(), gisd_keys_notify();
