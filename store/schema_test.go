package store_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

func TestMigrations_UpDownUp(t *testing.T) {
	u := storetest.Empty(t)
	m, err := store.NewMigrator(u)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tables := func() int {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
			AND tablename IN ('admin_units','parcels','constructions','layers','land_use_codes','layer_features','changes','imports')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, step := range []struct {
		name       string
		run        func() error
		wantTables int
		wantVer    uint
	}{
		{"up", m.Up, 8, store.LatestMigration()},
		{"down", func() error { return m.Down(0) }, 0, 0},
		{"up again", m.Up, 8, store.LatestMigration()},
	} {
		if err := step.run(); err != nil {
			t.Fatalf("step %d %s: %v", i, step.name, err)
		}
		if got := tables(); got != step.wantTables {
			t.Errorf("after %s: %d core tables, want %d", step.name, got, step.wantTables)
		}
		st, err := m.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != step.wantVer || st.Dirty {
			t.Errorf("after %s: version %d dirty %v, want %d clean", step.name, st.Version, st.Dirty, step.wantVer)
		}
	}
	// Each down migration must work on its own too, one step at a time.
	for v := store.LatestMigration(); v > 0; v-- {
		if err := m.Down(1); err != nil {
			t.Fatalf("down one step from %d: %v", v, err)
		}
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up after stepping down: %v", err)
	}
}

// The check value from DOMAIN.md: WGS 84 (106.89 E, 11.535 N) is E 569613.688, N 1275708.641 in
// VN-2000 / TM-3 106-15 (EPSG:9212), and every provincial zone 9205–9218 exists.
func TestSchema_VN2000CheckValue(t *testing.T) {
	pool := storetest.Pool(t, storetest.Migrated(t))
	ctx := context.Background()
	var e, n float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(106.89, 11.535), 4326), 9212) p`).Scan(&e, &n); err != nil {
		t.Fatal(err)
	}
	if math.Abs(e-569613.688) > 0.01 || math.Abs(n-1275708.641) > 0.01 {
		t.Errorf("EPSG:9212 of (106.89, 11.535) = (%.3f, %.3f), want (569613.688, 1275708.641) ±0.01 m", e, n)
	}
	var zones int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM spatial_ref_sys WHERE srid BETWEEN 9205 AND 9218 AND proj4text LIKE '+proj=tmerc%'`).Scan(&zones); err != nil {
		t.Fatal(err)
	}
	if zones != 14 {
		t.Errorf("%d VN-2000 TM-3 zones in spatial_ref_sys, want 14", zones)
	}
	var back float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(569613.688, 1275708.641), 9212), 4326))`).Scan(&back); err != nil {
		t.Fatal(err)
	}
	if math.Abs(back-106.89) > 1e-7 {
		t.Errorf("inverse longitude %.9f, want 106.89", back)
	}
}

const square = `ST_Multi(ST_Transform(ST_MakeEnvelope($1::float8, $2::float8, $1::float8 + 50, $2::float8 + 40, 9212), 4326))`

func TestSchema_ConstraintsRejectBadRows(t *testing.T) {
	pool := storetest.Pool(t, storetest.Migrated(t))
	ctx := context.Background()
	exec := func(sql string, args ...any) error {
		_, err := pool.Exec(ctx, sql, args...)
		return err
	}
	if err := exec(`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
		VALUES ('25195', 1, 1, '[{"code":"CLN","area":2000}]', `+square+`)`, 569600.0, 1275700.0); err != nil {
		t.Fatalf("a valid parcel was refused: %v", err)
	}
	if err := exec(`INSERT INTO admin_units (code, level, name, parent_code, valid_from, valid_to, geom)
		VALUES ('689', 'district', 'Thành phố Đồng Xoài', '70', NULL, '2025-07-01', `+square+`)`, 569600.0, 1275700.0); err != nil {
		t.Fatalf("a valid admin unit was refused: %v", err)
	}
	if err := exec(`INSERT INTO imports (layer_id, mode) VALUES ('parcels', 'append')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		sql      string
		args     []any
		wantCode string
	}{
		{"overlapping validity of one code",
			`INSERT INTO admin_units (code, level, name, parent_code, valid_from, valid_to, geom)
			 VALUES ('689', 'district', 'Đồng Xoài (bản sao)', '70', '2020-01-01', NULL, ` + square + `)`,
			[]any{569600.0, 1275700.0}, "23P01"},
		{"unknown land-use code",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 1, 2, '[{"code":"XYZ","area":10}]', ` + square + `)`,
			[]any{569700.0, 1275700.0}, "23503"},
		{"negative land-use area",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 1, 3, '[{"code":"CLN","area":-5}]', ` + square + `)`,
			[]any{569800.0, 1275700.0}, "23503"},
		{"a land use without a code",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 11, '[{"area":10}]', ` + square + `)`,
			[]any{569800.0, 1275800.0}, "23503"},
		{"a land use that is not an object",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 12, '["CLN"]', ` + square + `)`,
			[]any{569800.0, 1275900.0}, "23503"},
		{"a land-use code that is a number",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 13, '[{"code":101}]', ` + square + `)`,
			[]any{569800.0, 1276000.0}, "23503"},
		{"a land-use area that is text",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 14, '[{"code":"CLN","area":"10"}]', ` + square + `)`,
			[]any{569800.0, 1276100.0}, "23503"},
		{"a land-use area that is null",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 15, '[{"code":"CLN","area":null}]', ` + square + `)`,
			[]any{569800.0, 1276200.0}, "23503"},
		{"an unknown code after a known one",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 2, 16, '[{"code":"CLN","area":10},{"code":"XYZ"}]', ` + square + `)`,
			[]any{569800.0, 1276300.0}, "23503"},
		{"invalid geometry (bow tie)",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 1, 4, '[{"code":"CLN","area":1}]',
			 ST_Multi(ST_GeomFromText('POLYGON((106.9 11.5, 106.901 11.501, 106.901 11.5, 106.9 11.501, 106.9 11.5))', 4326)))`,
			nil, "23514"},
		{"empty geometry",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 1, 5, '[{"code":"CLN","area":1}]', ST_GeomFromText('MULTIPOLYGON EMPTY', 4326))`,
			nil, "23514"},
		{"duplicate current parcel key",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('25195', 1, 1, '[{"code":"CLN","area":1}]', ` + square + `)`,
			[]any{569900.0, 1275700.0}, "23505"},
		{"malformed commune code",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
			 VALUES ('2519', 1, 6, '[{"code":"CLN","area":1}]', ` + square + `)`,
			[]any{569900.0, 1275800.0}, "23514"},
		{"TRUNCATE that would bypass history", `TRUNCATE parcels`, nil, "0A000"},
		{"a new feature claiming a later version",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, version, geom)
			 VALUES ('25195', 1, 7, '[{"code":"CLN","area":1}]', 5, ` + square + `)`,
			[]any{569900.0, 1275900.0}, "23000"},
		{"a new feature claiming another actor",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, changed_by, geom)
			 VALUES ('25195', 1, 8, '[{"code":"CLN","area":1}]', 'key:1', ` + square + `)`,
			[]any{569900.0, 1276000.0}, "23000"},
		{"a new feature backdated without gisd.as_of",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, sys_from, geom)
			 VALUES ('25195', 1, 9, '[{"code":"CLN","area":1}]', '2020-01-01', ` + square + `)`,
			[]any{569900.0, 1276100.0}, "23000"},
		{"an import id that names no import",
			`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, import_id, geom)
			 VALUES ('25195', 1, 10, '[{"code":"CLN","area":1}]', 987654, ` + square + `)`,
			[]any{569900.0, 1276200.0}, "23503"},
		{"an update to an import id that names no import",
			`UPDATE parcels SET import_id = 987654 WHERE $1::float8 IS NOT NULL AND $2::float8 IS NOT NULL`,
			[]any{0.0, 0.0}, "23503"},
		{"deleting an import record", `DELETE FROM imports`, nil, "0A000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := exec(tc.sql, tc.args...)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("got %v, want PostgreSQL error %s", err, tc.wantCode)
			}
			if pgErr.Code != tc.wantCode {
				t.Errorf("got SQLSTATE %s (%s), want %s", pgErr.Code, pgErr.Message, tc.wantCode)
			}
		})
	}
	// The land-use check names the code it refused, and takes several purposes, with or without
	// an area.
	err := exec(`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
		VALUES ('25195', 3, 1, '[{"code":"CLN"},{"code":"QWE","area":3}]', `+square+`)`, 570000.0, 1276000.0)
	if err == nil || !strings.Contains(err.Error(), "unknown land-use code or bad area: QWE") {
		t.Errorf("an unknown code among several: %v, want it named", err)
	}
	if err := exec(`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, geom)
		VALUES ('25195', 3, 2, '[{"code":"ONT","area":300},{"code":"CLN"}]', `+square+`)`, 570000.0, 1276100.0); err != nil {
		t.Errorf("two purposes, one without an area, were refused: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcels`).Scan(&n); err != nil || n != 2 {
		t.Errorf("parcels after the refused inserts: %d (err %v), want 2", n, err)
	}
}

// The history is written by the database: an update made with plain SQL keeps the old version,
// and the change feed records insert, update and delete in order.
func TestSchema_HistoryWrittenByDatabase(t *testing.T) {
	pool := storetest.Pool(t, storetest.Migrated(t))
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, address, geom)
		VALUES ('25195', 3, 9, '[{"code":"CLN","area":2000}]', 'Ấp 1', `+square+`) RETURNING id`, 569600.0, 1275700.0).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE parcels SET address = 'Ấp 2' WHERE id = $1`,
		`UPDATE parcels SET address = 'Ấp 3' WHERE id = $1`,
		`DELETE FROM parcels WHERE id = $1`,
	} {
		if _, err := pool.Exec(ctx, sql, id); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(ctx, `SELECT version, address FROM parcels_history WHERE id = $1 ORDER BY version`, id)
	if err != nil {
		t.Fatal(err)
	}
	type version struct {
		V       int
		Address string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[version])
	if err != nil {
		t.Fatal(err)
	}
	want := []version{{1, "Ấp 1"}, {2, "Ấp 2"}, {3, "Ấp 3"}}
	if len(got) != len(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("history[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	var ops []string
	rows, err = pool.Query(ctx, `SELECT op FROM changes WHERE layer = 'parcels' AND feature_id = $1 ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	ops, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"insert", "update", "update", "delete"}; !equal(ops, want) {
		t.Errorf("changes %v, want %v", ops, want)
	}
	var area float64
	if err := pool.QueryRow(ctx, `SELECT official_area_m2 FROM parcels_history WHERE id = $1 AND version = 1`, id).Scan(&area); err != nil {
		t.Fatal(err)
	}
	if math.Abs(area-2000) > 0.05 {
		t.Errorf("official area of a 50 m × 40 m TM-3 rectangle = %.1f m², want 2000.0", area)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
