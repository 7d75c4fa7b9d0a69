DROP TRIGGER IF EXISTS imports_no_delete ON imports;
DROP TRIGGER IF EXISTS imports_no_truncate ON imports;
DROP FUNCTION IF EXISTS gisd_refuse_import_delete();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['admin_units', 'parcels', 'constructions', 'layer_features'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_check_ins', t);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_check_upd', t);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_stamp', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I
                      FOR EACH ROW EXECUTE FUNCTION gisd_stamp_version()', t || '_stamp', t);
    EXECUTE format('ALTER TABLE %I ALTER COLUMN sys_from SET DEFAULT now(),
                      ALTER COLUMN created_at SET DEFAULT now(),
                      ALTER COLUMN updated_at SET DEFAULT now(),
                      ALTER COLUMN changed_by SET DEFAULT ''''', t);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (import_id) REFERENCES imports (id)', t, t || '_import_id_fkey');
  END LOOP;
END $$;

DROP FUNCTION IF EXISTS gisd_check_new_rows();

CREATE OR REPLACE FUNCTION gisd_record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hist  text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME || '_history');
  layer text := CASE WHEN TG_NARGS > 0 THEN quote_literal(TG_ARGV[0]) ELSE 'r.layer_id' END;
  src   text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    EXECUTE format('INSERT INTO %s SELECT r.*, gisd_now() FROM old_rows r', hist);
  END IF;
  IF TG_OP = 'INSERT' THEN
    src := 'SELECT %1$s AS layer, r.id, ''insert'' AS op, r.version, ST_Envelope(r.geom) AS bounds,
              r.changed_by, r.import_id FROM new_rows r';
  ELSIF TG_OP = 'UPDATE' THEN
    src := 'SELECT %1$s AS layer, r.id, ''update'' AS op, r.version,
              ST_Envelope(ST_Collect(ST_Envelope(o.geom), ST_Envelope(r.geom))) AS bounds,
              r.changed_by, r.import_id FROM new_rows r JOIN old_rows o ON o.id = r.id';
  ELSE
    src := 'SELECT %1$s AS layer, r.id, ''delete'' AS op, r.version + 1, ST_Envelope(r.geom) AS bounds,
              gisd_actor(), nullif(current_setting(''gisd.import_id'', true), '''')::bigint
            FROM old_rows r';
  END IF;
  src := format(src, layer);
  EXECUTE format('INSERT INTO changes (layer, feature_id, op, version, bounds, actor, import_id)
                  SELECT * FROM (%s) c ORDER BY id', src);
  EXECUTE format('SELECT count(*) FROM (SELECT pg_notify(''gisd_changes'', json_build_object(
                    ''layer'', layer, ''bbox'', json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)))::text)
                  FROM (SELECT layer, ST_Extent(bounds) AS e FROM (%s) c GROUP BY layer) x) n', src);
  RETURN NULL;
END $$;
