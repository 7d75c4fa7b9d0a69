-- Reference data and the layer catalog.

-- gisd_fold lower-cases and strips Vietnamese diacritics ("Đồng Xoài" -> "dong xoai") so names can be
-- searched as people type them on keyboards without a Vietnamese input method. The unaccent
-- extension is not IMMUTABLE and so cannot feed an index; this can.
CREATE FUNCTION gisd_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(translate(lower(normalize(s, NFC)),
    'àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ',
    'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd'), '\s+', ' ', 'g')
$$;

CREATE TABLE land_use_codes (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  name_vi     text NOT NULL,
  group_code  text NOT NULL CHECK (group_code IN ('nong_nghiep', 'phi_nong_nghiep', 'chua_su_dung')),
  legacy      boolean NOT NULL DEFAULT false,
  -- The current code a legacy one maps to (BHK and NHK became HNK; upland rice LUN is counted
  -- under LUK in the 2024 list).
  replaced_by text REFERENCES land_use_codes (code),
  CHECK (NOT legacy OR replaced_by IS NOT NULL)
);

INSERT INTO land_use_codes (code, name_vi, group_code, legacy, replaced_by) VALUES
  ('LUC', 'Đất chuyên trồng lúa nước', 'nong_nghiep', false, NULL),
  ('LUK', 'Đất trồng lúa nước còn lại', 'nong_nghiep', false, NULL),
  ('HNK', 'Đất trồng cây hằng năm khác', 'nong_nghiep', false, NULL),
  ('CLN', 'Đất trồng cây lâu năm', 'nong_nghiep', false, NULL),
  ('RSX', 'Đất rừng sản xuất', 'nong_nghiep', false, NULL),
  ('RPH', 'Đất rừng phòng hộ', 'nong_nghiep', false, NULL),
  ('RDD', 'Đất rừng đặc dụng', 'nong_nghiep', false, NULL),
  ('NTS', 'Đất nuôi trồng thủy sản', 'nong_nghiep', false, NULL),
  ('CNT', 'Đất chăn nuôi tập trung', 'nong_nghiep', false, NULL),
  ('LMU', 'Đất làm muối', 'nong_nghiep', false, NULL),
  ('NKH', 'Đất nông nghiệp khác', 'nong_nghiep', false, NULL),
  ('ONT', 'Đất ở tại nông thôn', 'phi_nong_nghiep', false, NULL),
  ('ODT', 'Đất ở tại đô thị', 'phi_nong_nghiep', false, NULL),
  ('TSC', 'Đất xây dựng trụ sở cơ quan', 'phi_nong_nghiep', false, NULL),
  ('DTS', 'Đất xây dựng trụ sở của tổ chức sự nghiệp', 'phi_nong_nghiep', false, NULL),
  ('DVH', 'Đất xây dựng cơ sở văn hóa', 'phi_nong_nghiep', false, NULL),
  ('DYT', 'Đất xây dựng cơ sở y tế', 'phi_nong_nghiep', false, NULL),
  ('DGD', 'Đất xây dựng cơ sở giáo dục và đào tạo', 'phi_nong_nghiep', false, NULL),
  ('DTT', 'Đất xây dựng cơ sở thể dục thể thao', 'phi_nong_nghiep', false, NULL),
  ('DKH', 'Đất xây dựng cơ sở khoa học và công nghệ', 'phi_nong_nghiep', false, NULL),
  ('DXH', 'Đất xây dựng cơ sở dịch vụ xã hội', 'phi_nong_nghiep', false, NULL),
  ('DNG', 'Đất xây dựng cơ sở ngoại giao', 'phi_nong_nghiep', false, NULL),
  ('DSK', 'Đất xây dựng công trình sự nghiệp khác', 'phi_nong_nghiep', false, NULL),
  ('CQP', 'Đất quốc phòng', 'phi_nong_nghiep', false, NULL),
  ('CAN', 'Đất an ninh', 'phi_nong_nghiep', false, NULL),
  ('SKK', 'Đất khu công nghiệp', 'phi_nong_nghiep', false, NULL),
  ('SKT', 'Đất khu chế xuất', 'phi_nong_nghiep', false, NULL),
  ('SKN', 'Đất cụm công nghiệp', 'phi_nong_nghiep', false, NULL),
  ('SKC', 'Đất cơ sở sản xuất phi nông nghiệp', 'phi_nong_nghiep', false, NULL),
  ('TMD', 'Đất thương mại dịch vụ', 'phi_nong_nghiep', false, NULL),
  ('SKS', 'Đất sử dụng cho hoạt động khoáng sản', 'phi_nong_nghiep', false, NULL),
  ('SKX', 'Đất sản xuất vật liệu xây dựng làm đồ gốm', 'phi_nong_nghiep', false, NULL),
  ('DGT', 'Đất giao thông', 'phi_nong_nghiep', false, NULL),
  ('DTL', 'Đất thủy lợi', 'phi_nong_nghiep', false, NULL),
  ('DDT', 'Đất có di tích lịch sử - văn hóa', 'phi_nong_nghiep', false, NULL),
  ('DDL', 'Đất danh lam thắng cảnh', 'phi_nong_nghiep', false, NULL),
  ('DSH', 'Đất sinh hoạt cộng đồng', 'phi_nong_nghiep', false, NULL),
  ('DKV', 'Đất khu vui chơi giải trí công cộng', 'phi_nong_nghiep', false, NULL),
  ('DNL', 'Đất công trình năng lượng', 'phi_nong_nghiep', false, NULL),
  ('DBV', 'Đất công trình bưu chính viễn thông', 'phi_nong_nghiep', false, NULL),
  ('DCH', 'Đất chợ', 'phi_nong_nghiep', false, NULL),
  ('DRA', 'Đất bãi thải xử lý chất thải', 'phi_nong_nghiep', false, NULL),
  ('DPC', 'Đất công trình phòng chống thiên tai', 'phi_nong_nghiep', false, NULL),
  ('DCK', 'Đất công trình công cộng khác', 'phi_nong_nghiep', false, NULL),
  ('TON', 'Đất cơ sở tôn giáo', 'phi_nong_nghiep', false, NULL),
  ('TIN', 'Đất cơ sở tín ngưỡng', 'phi_nong_nghiep', false, NULL),
  ('NTD', 'Đất nghĩa trang nhà tang lễ', 'phi_nong_nghiep', false, NULL),
  ('SON', 'Đất sông ngòi kênh rạch suối', 'phi_nong_nghiep', false, NULL),
  ('MNC', 'Đất có mặt nước chuyên dùng', 'phi_nong_nghiep', false, NULL),
  ('PNK', 'Đất phi nông nghiệp khác', 'phi_nong_nghiep', false, NULL),
  ('BCS', 'Đất bằng chưa sử dụng', 'chua_su_dung', false, NULL),
  ('DCS', 'Đất đồi núi chưa sử dụng', 'chua_su_dung', false, NULL),
  ('NCS', 'Núi đá không có rừng cây', 'chua_su_dung', false, NULL),
  ('LUN', 'Đất lúa nương', 'nong_nghiep', true, 'LUK'),
  ('BHK', 'Đất bằng trồng cây hàng năm khác', 'nong_nghiep', true, 'HNK'),
  ('NHK', 'Đất nương rẫy trồng cây hàng năm khác', 'nong_nghiep', true, 'HNK');

-- The catalog of every layer: the three built-in ones and those GIS staff import. Tiles, the
-- features API and the sharing rules are all driven from here, never from table introspection.
CREATE TABLE layers (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{0,62}$'),
  title         text NOT NULL CHECK (title <> ''),
  description   text NOT NULL DEFAULT '',
  -- 'table': a built-in layer with its own typed table; 'generic': rows of layer_features with
  -- attributes in jsonb, typed by the attribute schema below.
  storage       text NOT NULL CHECK (storage IN ('table', 'generic')),
  table_name    text CHECK ((storage = 'table') = (table_name IS NOT NULL)),
  geometry_type text NOT NULL CHECK (geometry_type IN ('Point', 'LineString', 'Polygon', 'MultiPoint',
                  'MultiLineString', 'MultiPolygon', 'Geometry')),
  -- [{name, type, title, visibility, required}] with type in string|integer|number|boolean|date|
  -- datetime and visibility in public|restricted|personal.
  attributes    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attributes) = 'array'),
  access        text NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'restricted')),
  min_zoom      smallint NOT NULL DEFAULT 0,
  max_zoom      smallint NOT NULL DEFAULT 22,
  -- The attribute holding a layer's valid time (admin units) for datetime= filters; NULL if none.
  temporal      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (0 <= min_zoom AND min_zoom <= max_zoom AND max_zoom <= 22)
);

-- Running gisd instances reload their catalog snapshot when it changes, whoever changed it.
CREATE FUNCTION gisd_layers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gisd_catalog', coalesce(NEW.id, OLD.id));
  RETURN NULL;
END $$;
CREATE TRIGGER layers_notify AFTER INSERT OR UPDATE OR DELETE ON layers
  FOR EACH ROW EXECUTE FUNCTION gisd_layers_notify();

-- One row per import job (and per demo load), so every written row can name its origin and an
-- import can be traced and reverted.
CREATE TABLE imports (
  id          bigserial PRIMARY KEY,
  layer_id    text NOT NULL,
  mode        text NOT NULL CHECK (mode IN ('append', 'replace', 'upsert', 'demo')),
  state       text NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'committed', 'failed', 'cancelled', 'reverted', 'validated')),
  source      text NOT NULL DEFAULT '',
  srid        integer,
  options     jsonb NOT NULL DEFAULT '{}',
  actor       text NOT NULL DEFAULT '',
  counts      jsonb NOT NULL DEFAULT '{}',
  report      jsonb NOT NULL DEFAULT '[]',
  error       text,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
