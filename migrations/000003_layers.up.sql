-- The built-in layers, generic storage for imported layers, and the history every layer keeps.
--
-- History is written by the database itself, so no writer (gisd, another application, a DBA at a
-- psql prompt) can forget it:
--   * a BEFORE row trigger stamps version, sys_from (start of this version), changed_by, import_id;
--   * AFTER statement triggers copy the old rows into <table>_history (never updated, never
--     deleted), append one row per changed feature to `changes` (the change feed), and send one
--     NOTIFY per statement with the touched bounds so every gisd instance drops stale tiles;
--   * TRUNCATE is refused, because it would bypass all of the above.
-- Who and when come from two transaction-local settings: gisd.actor ("key:12", "import:7"; direct
-- SQL is recorded as "sql:<role>") and gisd.as_of, which lets the demo loader and historical
-- back-fills date a version in the past; normal writes leave it unset and get now().

CREATE FUNCTION gisd_now() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting('gisd.as_of', true), '')::timestamptz, now())
$$;

CREATE FUNCTION gisd_actor() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting('gisd.actor', true), ''), 'sql:' || session_user)
$$;

-- The official area of a parcel is the planar area in the province's VN-2000 TM-3 zone
-- (EPSG:9212, Bình Phước), rounded to 0.1 m², as the cadastral regulations define it.
CREATE FUNCTION gisd_official_area(g geometry) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT round(ST_Area(ST_Transform(g, 9212))::numeric, 1)
$$;

CREATE FUNCTION gisd_stamp_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.version := 1;
    NEW.created_at := gisd_now();
  ELSE
    IF NEW.id <> OLD.id THEN
      RAISE EXCEPTION 'the id of a feature cannot change (% -> %)', OLD.id, NEW.id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.version := OLD.version + 1;
    NEW.created_at := OLD.created_at;
    -- A row rewritten by anything but an import no longer comes from the import that wrote it.
    IF NEW.import_id IS NOT DISTINCT FROM OLD.import_id THEN
      NEW.import_id := nullif(current_setting('gisd.import_id', true), '')::bigint;
    END IF;
  END IF;
  NEW.sys_from := gisd_now();
  NEW.updated_at := NEW.sys_from;
  NEW.changed_by := gisd_actor();
  RETURN NEW;
END $$;

CREATE FUNCTION gisd_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'TRUNCATE % would bypass its history; use DELETE', TG_TABLE_NAME
    USING ERRCODE = 'feature_not_supported';
END $$;

CREATE TABLE changes (
  seq        bigserial PRIMARY KEY,
  -- The writing transaction: the change feed orders and releases changes by it so that a reader
  -- never skips a transaction that commits after a later-numbered one (see store/changes.go).
  txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
  layer      text NOT NULL,
  feature_id bigint NOT NULL,
  op         text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  version    integer NOT NULL,
  bounds     geometry(Geometry, 4326),
  actor      text NOT NULL,
  import_id  bigint,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_txid ON changes (txid, seq);
CREATE INDEX changes_feature ON changes (layer, feature_id, version);

-- gisd_record_changes is the AFTER statement trigger of every layer table. TG_ARGV[0] is the layer
-- id for a table that holds one layer; without it the layer is the row's layer_id column.
CREATE FUNCTION gisd_record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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
  -- One notification per layer and statement, carrying the extent of what changed; NOTIFY is
  -- delivered only if the transaction commits.
  EXECUTE format('SELECT count(*) FROM (SELECT pg_notify(''gisd_changes'', json_build_object(
                    ''layer'', layer, ''bbox'', json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)))::text)
                  FROM (SELECT layer, ST_Extent(bounds) AS e FROM (%s) c GROUP BY layer) x) n', src);
  RETURN NULL;
END $$;

-- Administrative units with their legal validity period [valid_from, valid_to). NULL valid_from
-- means "since before our records"; NULL valid_to means "still current".
CREATE TABLE admin_units (
  id          bigserial PRIMARY KEY,
  code        text NOT NULL CHECK (code ~ '^[0-9]{2}([0-9]|[0-9]{3})?$'),
  level       text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
  kind        text NOT NULL DEFAULT '',
  name        text NOT NULL CHECK (name <> ''),
  name_folded text GENERATED ALWAYS AS (gisd_fold(name)) STORED,
  parent_code text,
  valid_from  date,
  valid_to    date,
  validity    daterange GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[)')) STORED,
  area_m2     numeric(16, 1) GENERATED ALWAYS AS (gisd_official_area(geom)) STORED,
  geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  import_id   bigint REFERENCES imports (id),
  version     integer NOT NULL DEFAULT 1,
  sys_from    timestamptz NOT NULL DEFAULT now(),
  changed_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((level = 'province') = (length(code) = 2)),
  CHECK ((level = 'district') = (length(code) = 3)),
  CHECK ((level = 'province') = (parent_code IS NULL)),
  CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from),
  -- Two versions of one code may not be valid at the same time.
  CONSTRAINT admin_units_no_overlap EXCLUDE USING gist (code WITH =, validity WITH &&)
);
CREATE INDEX admin_units_geom ON admin_units USING gist (geom);
CREATE INDEX admin_units_name ON admin_units (name_folded text_pattern_ops);

CREATE TABLE parcels (
  id               bigserial PRIMARY KEY,
  commune_code     text NOT NULL CHECK (commune_code ~ '^[0-9]{5}$'),
  sheet_no         integer NOT NULL CHECK (sheet_no > 0),
  parcel_no        integer NOT NULL CHECK (parcel_no > 0),
  old_sheet_no     integer CHECK (old_sheet_no > 0),
  old_parcel_no    integer CHECK (old_parcel_no > 0),
  -- [{"code": "ONT", "area": 300.0}, {"code": "CLN", "area": 1210.5}]; the first is the main use.
  land_use         jsonb NOT NULL CHECK (jsonb_typeof(land_use) = 'array' AND jsonb_array_length(land_use) > 0),
  main_use         text GENERATED ALWAYS AS (land_use -> 0 ->> 'code') STORED,
  official_area_m2 numeric(14, 1) GENERATED ALWAYS AS (gisd_official_area(geom)) STORED,
  legal_area_m2    numeric(14, 1) CHECK (legal_area_m2 > 0),
  address          text NOT NULL DEFAULT '',
  -- Personal data: never public (the catalog marks them personal).
  owner_name       text,
  owner_id_number  text,
  certificate_no   text,
  geom             geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  import_id        bigint REFERENCES imports (id),
  version          integer NOT NULL DEFAULT 1,
  sys_from         timestamptz NOT NULL DEFAULT now(),
  changed_by       text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT parcels_key UNIQUE (commune_code, sheet_no, parcel_no)
);
CREATE INDEX parcels_geom ON parcels USING gist (geom);
CREATE INDEX parcels_import ON parcels (import_id);

-- Every purpose must name a known land-use code with a non-negative area. A foreign key cannot
-- reach into jsonb, so a trigger does it.
CREATE FUNCTION gisd_check_land_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT e ->> 'code' INTO bad
  FROM jsonb_array_elements(NEW.land_use) e
  WHERE jsonb_typeof(e) <> 'object'
     OR NOT EXISTS (SELECT 1 FROM land_use_codes c WHERE c.code = e ->> 'code')
     OR coalesce(jsonb_typeof(e -> 'area'), 'number') <> 'number'
     OR (e ->> 'area')::numeric < 0
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'parcel %/%/%: unknown land-use code or bad area: %',
      NEW.commune_code, NEW.sheet_no, NEW.parcel_no, coalesce(bad, '(missing code)')
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'parcels_land_use_code';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER parcels_land_use BEFORE INSERT OR UPDATE OF land_use ON parcels
  FOR EACH ROW EXECUTE FUNCTION gisd_check_land_use();

CREATE TABLE constructions (
  id                  bigserial PRIMARY KEY,
  permit_no           text,
  permit_date         date,
  permit_issuer       text,
  kind                text NOT NULL CHECK (kind <> ''),
  grade               text CHECK (grade IN ('special', 'I', 'II', 'III', 'IV')),
  storeys             smallint CHECK (storeys >= 0),
  basements           smallint NOT NULL DEFAULT 0 CHECK (basements >= 0),
  height_m            numeric(6, 2) CHECK (height_m > 0),
  footprint_area_m2   numeric(12, 1) GENERATED ALWAYS AS (gisd_official_area(geom)) STORED,
  total_floor_area_m2 numeric(12, 1) CHECK (total_floor_area_m2 >= 0),
  status              text NOT NULL CHECK (status IN ('permitted', 'under_construction', 'completed')),
  geom                geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  import_id           bigint REFERENCES imports (id),
  version             integer NOT NULL DEFAULT 1,
  sys_from            timestamptz NOT NULL DEFAULT now(),
  changed_by          text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX constructions_geom ON constructions USING gist (geom);

-- Layers imported by GIS staff: one table for all of them, attributes in jsonb typed by the
-- catalog. Importing a layer needs no DDL, one set of history triggers covers every layer, and the
-- catalog stays the only source of attribute names (README: "Imported layers").
CREATE TABLE layer_features (
  id          bigserial PRIMARY KEY,
  layer_id    text NOT NULL REFERENCES layers (id),
  properties  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
  geom        geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  import_id   bigint REFERENCES imports (id),
  version     integer NOT NULL DEFAULT 1,
  sys_from    timestamptz NOT NULL DEFAULT now(),
  changed_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX layer_features_geom ON layer_features USING gist (layer_id, geom);
CREATE INDEX layer_features_import ON layer_features (import_id);

CREATE FUNCTION gisd_same_layer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.layer_id <> OLD.layer_id THEN
    RAISE EXCEPTION 'feature % cannot move from layer % to %', OLD.id, OLD.layer_id, NEW.layer_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER layer_features_same_layer BEFORE UPDATE OF layer_id ON layer_features
  FOR EACH ROW EXECUTE FUNCTION gisd_same_layer();

-- History tables: the same columns as the layer (generation expressions, defaults and constraints
-- dropped by LIKE) plus sys_to, the end of that version.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['admin_units', 'parcels', 'constructions', 'layer_features'] LOOP
    EXECUTE format('CREATE TABLE %I (LIKE %I)', t || '_history', t);
    EXECUTE format('ALTER TABLE %I ADD COLUMN sys_to timestamptz NOT NULL', t || '_history');
    EXECUTE format('CREATE INDEX %I ON %I (id, version)', t || '_history_id', t || '_history');
    EXECUTE format('CREATE INDEX %I ON %I USING gist (geom)', t || '_history_geom', t || '_history');
    EXECUTE format('CREATE INDEX %I ON %I (sys_from, sys_to)', t || '_history_time', t || '_history');
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I
                      FOR EACH ROW EXECUTE FUNCTION gisd_stamp_version()', t || '_stamp', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
                      FOR EACH STATEMENT EXECUTE FUNCTION gisd_refuse_truncate()', t || '_no_truncate', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
                      FOR EACH STATEMENT EXECUTE FUNCTION gisd_refuse_truncate()', t || '_history_no_truncate', t || '_history');
  END LOOP;
END $$;

CREATE TRIGGER admin_units_ins AFTER INSERT ON admin_units REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('admin_units');
CREATE TRIGGER admin_units_upd AFTER UPDATE ON admin_units REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('admin_units');
CREATE TRIGGER admin_units_del AFTER DELETE ON admin_units REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('admin_units');

CREATE TRIGGER parcels_ins AFTER INSERT ON parcels REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('parcels');
CREATE TRIGGER parcels_upd AFTER UPDATE ON parcels REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('parcels');
CREATE TRIGGER parcels_del AFTER DELETE ON parcels REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('parcels');

CREATE TRIGGER constructions_ins AFTER INSERT ON constructions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('constructions');
CREATE TRIGGER constructions_upd AFTER UPDATE ON constructions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('constructions');
CREATE TRIGGER constructions_del AFTER DELETE ON constructions REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes('constructions');

CREATE TRIGGER layer_features_ins AFTER INSERT ON layer_features REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes();
CREATE TRIGGER layer_features_upd AFTER UPDATE ON layer_features REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes();
CREATE TRIGGER layer_features_del AFTER DELETE ON layer_features REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION gisd_record_changes();

-- The built-in layers in the catalog. Zoom policy: admin units at every zoom (simplified per
-- tile), parcels from z13, constructions from z15.
INSERT INTO layers (id, title, description, storage, table_name, geometry_type, attributes, access, min_zoom, max_zoom, temporal) VALUES
('admin_units', 'Đơn vị hành chính', 'Ranh giới tỉnh, huyện, xã theo thời kỳ hiệu lực (administrative units with their validity periods)',
 'table', 'admin_units', 'MultiPolygon', '[
  {"name": "code", "type": "string", "title": "Mã đơn vị hành chính", "visibility": "public", "required": true},
  {"name": "level", "type": "string", "title": "Cấp", "visibility": "public", "required": true},
  {"name": "kind", "type": "string", "title": "Loại", "visibility": "public"},
  {"name": "name", "type": "string", "title": "Tên", "visibility": "public", "required": true},
  {"name": "parent_code", "type": "string", "title": "Mã đơn vị cấp trên", "visibility": "public"},
  {"name": "valid_from", "type": "date", "title": "Hiệu lực từ", "visibility": "public"},
  {"name": "valid_to", "type": "date", "title": "Hiệu lực đến", "visibility": "public"},
  {"name": "area_m2", "type": "number", "title": "Diện tích (m²)", "visibility": "public", "computed": true}
 ]', 'public', 0, 22, '{"start": "valid_from", "end": "valid_to"}'),
('parcels', 'Thửa đất', 'Thửa đất địa chính (cadastral land parcels)',
 'table', 'parcels', 'MultiPolygon', '[
  {"name": "commune_code", "type": "string", "title": "Mã xã", "visibility": "public", "required": true},
  {"name": "sheet_no", "type": "integer", "title": "Số hiệu tờ bản đồ", "visibility": "public", "required": true},
  {"name": "parcel_no", "type": "integer", "title": "Số thứ tự thửa", "visibility": "public", "required": true},
  {"name": "old_sheet_no", "type": "integer", "title": "Số hiệu tờ bản đồ cũ", "visibility": "public"},
  {"name": "old_parcel_no", "type": "integer", "title": "Số thứ tự thửa cũ", "visibility": "public"},
  {"name": "main_use", "type": "string", "title": "Mục đích sử dụng chính", "visibility": "public", "computed": true},
  {"name": "land_use", "type": "json", "title": "Mục đích sử dụng và diện tích", "visibility": "public", "required": true},
  {"name": "official_area_m2", "type": "number", "title": "Diện tích (m², VN-2000)", "visibility": "public", "computed": true},
  {"name": "legal_area_m2", "type": "number", "title": "Diện tích pháp lý (m²)", "visibility": "public"},
  {"name": "address", "type": "string", "title": "Địa chỉ", "visibility": "public"},
  {"name": "owner_name", "type": "string", "title": "Tên chủ sử dụng", "visibility": "personal"},
  {"name": "owner_id_number", "type": "string", "title": "Số định danh cá nhân", "visibility": "personal"},
  {"name": "certificate_no", "type": "string", "title": "Số giấy chứng nhận", "visibility": "personal"}
 ]', 'public', 13, 22, NULL),
('constructions', 'Công trình xây dựng', 'Công trình xây dựng theo giấy phép (constructions and their permits)',
 'table', 'constructions', 'MultiPolygon', '[
  {"name": "permit_no", "type": "string", "title": "Số giấy phép xây dựng", "visibility": "public"},
  {"name": "permit_date", "type": "date", "title": "Ngày cấp phép", "visibility": "public"},
  {"name": "permit_issuer", "type": "string", "title": "Cơ quan cấp phép", "visibility": "public"},
  {"name": "kind", "type": "string", "title": "Loại công trình", "visibility": "public", "required": true},
  {"name": "grade", "type": "string", "title": "Cấp công trình", "visibility": "public"},
  {"name": "storeys", "type": "integer", "title": "Số tầng", "visibility": "public"},
  {"name": "basements", "type": "integer", "title": "Số tầng hầm", "visibility": "public"},
  {"name": "height_m", "type": "number", "title": "Chiều cao (m)", "visibility": "public"},
  {"name": "footprint_area_m2", "type": "number", "title": "Diện tích xây dựng (m²)", "visibility": "public", "computed": true},
  {"name": "total_floor_area_m2", "type": "number", "title": "Tổng diện tích sàn (m²)", "visibility": "public"},
  {"name": "status", "type": "string", "title": "Tình trạng", "visibility": "public", "required": true}
 ]', 'public', 15, 22, NULL);
