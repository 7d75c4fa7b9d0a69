-- Commit order for the change feed.
--
-- Change rows get their seq when they are written, but transactions commit in another order: a
-- reader that hands out "everything up to seq 105" while the transaction holding seq 101 is still
-- open would skip 101 forever. So each writing transaction also gets a commit_seq, assigned at
-- COMMIT by a deferred constraint trigger under a transaction-scoped advisory lock. The lock is
-- released only after the commit is visible, so commit_seq increases in commit order and a
-- snapshot that sees commit_seq N sees every commit_seq below N. The feed pages by
-- (commit_seq, seq). Only the commit step is serialized, for the milliseconds it takes.
CREATE SEQUENCE change_commit_seq;

CREATE TABLE change_tx (
  txid       xid8 PRIMARY KEY,
  commit_seq bigint UNIQUE,
  committed_at timestamptz
);

CREATE FUNCTION gisd_register_change_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_tx (txid) VALUES (pg_current_xact_id()) ON CONFLICT (txid) DO NOTHING;
  RETURN NULL;
END $$;

CREATE FUNCTION gisd_stamp_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7318002);
  UPDATE change_tx SET commit_seq = nextval('change_commit_seq'), committed_at = clock_timestamp()
  WHERE txid = NEW.txid;
  RETURN NULL;
END $$;

-- ON CONFLICT DO NOTHING inserts at most one change_tx row per transaction, so this fires once.
CREATE CONSTRAINT TRIGGER change_tx_commit_order AFTER INSERT ON change_tx
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gisd_stamp_commit_order();

CREATE TRIGGER changes_register_tx AFTER INSERT ON changes
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_register_change_tx();
