DROP TRIGGER IF EXISTS changes_register_tx ON changes;
DROP TABLE IF EXISTS change_tx;
DROP FUNCTION IF EXISTS gisd_stamp_commit_order(), gisd_register_change_tx();
DROP SEQUENCE IF EXISTS change_commit_seq;
