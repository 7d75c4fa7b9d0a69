-- Back to 000007: the envelope column (empty for the changes written meanwhile), the change feed
-- that fills it, and the land-use check of 000006.

ALTER TABLE changes ADD COLUMN bounds geometry(Geometry, 4326);

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
                  SELECT * FROM (%s) c %s', src, CASE WHEN TG_OP = 'INSERT' THEN '' ELSE 'ORDER BY id' END);
  -- One notification per layer and statement, carrying the extent of what changed; NOTIFY is
  -- delivered only if the transaction commits.
  EXECUTE format('SELECT count(*) FROM (SELECT pg_notify(''gisd_changes'', json_build_object(
                    ''layer'', layer, ''bbox'', json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)))::text)
                  FROM (SELECT layer, ST_Extent(bounds) AS e FROM (%s) c GROUP BY layer) x) n', src);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION gisd_check_land_use_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT r.commune_code, r.sheet_no, r.parcel_no, coalesce(e ->> 'code', '(missing code)') AS code INTO bad
  FROM new_rows r CROSS JOIN LATERAL jsonb_array_elements(r.land_use) e
  WHERE jsonb_typeof(e) <> 'object'
     OR NOT EXISTS (SELECT 1 FROM land_use_codes c WHERE c.code = e ->> 'code')
     OR CASE WHEN e -> 'area' IS NULL THEN false
             WHEN jsonb_typeof(e -> 'area') = 'number' THEN (e ->> 'area')::numeric < 0
             ELSE true END
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'parcel %/%/%: unknown land-use code or bad area: %',
      bad.commune_code, bad.sheet_no, bad.parcel_no, bad.code
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'parcels_land_use_code';
  END IF;
  RETURN NULL;
END $$;
