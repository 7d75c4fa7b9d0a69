-- API keys for sector applications and the append-only audit log.

-- A key's secret is 32 random bytes; only its SHA-256 is stored. A slow password hash would add
-- nothing for secrets of that entropy and would cost every request. The prefix, shown in lists
-- and logs, finds the row; the hash comparison is done in constant time by gisd.
CREATE TABLE api_keys (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL CHECK (name <> '' AND length(name) <= 200),
  prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{8}$'),
  secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
  -- "parcels:read", "constructions:write", "parcels:personal", "*:read", "admin"
  scopes       text[] NOT NULL DEFAULT '{}',
  rate_limit   integer CHECK (rate_limit > 0), -- requests per minute; NULL = the server's default
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

CREATE FUNCTION gisd_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gisd_keys', coalesce(NEW.id, OLD.id)::text);
  RETURN NULL;
END $$;
-- last_used_at changes on use; only changes that matter for authorization are announced.
CREATE TRIGGER api_keys_notify AFTER UPDATE OF scopes, expires_at, revoked_at, rate_limit OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION gisd_keys_notify();

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  key_id      bigint REFERENCES api_keys (id),
  key_name    text NOT NULL DEFAULT '',
  request_id  text NOT NULL DEFAULT '',
  method      text NOT NULL,
  route       text NOT NULL,
  layer       text,
  feature_ids bigint[],
  filter      text,
  personal    boolean NOT NULL DEFAULT false,
  status      integer NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_key ON audit_log (key_id, at);
CREATE INDEX audit_log_layer ON audit_log (layer, at);

-- Append-only for everyone, superusers included unless they disable triggers on purpose.
CREATE FUNCTION gisd_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gisd_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_audit_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
