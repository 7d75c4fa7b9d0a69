package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// repoRoot is the repository's top directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importEnv is a migrated database with the test communes loaded.
type importEnv struct {
	st   *store.Store
	pool *pgxpool.Pool
}

func newImportEnv(t *testing.T) *importEnv {
	t.Helper()
	url := storetest.Migrated(t)
	env := &importEnv{st: storetest.Store(t, url), pool: storetest.Pool(t, url)}
	env.mustImport(t, "communes.geojson", store.ImportOptions{Layer: "admin_units"})
	return env
}

func (e *importEnv) mustImport(t *testing.T, file string, opt store.ImportOptions) *store.ImportResult {
	t.Helper()
	opt.Source = file
	res, err := e.st.Import(context.Background(), bytes.NewReader(fixture(t, file)), opt)
	if err != nil {
		var ie *store.ImportError
		if errors.As(err, &ie) && ie.Result != nil {
			t.Logf("report: %+v", ie.Result.Report)
		}
		t.Fatalf("import %s: %v (cause: %v)", file, err, errors.Unwrap(err))
	}
	return res
}

// snapshot counts what an import may change: the layers, their history, the change feed and
// the catalog.
func snapshot(t testing.TB, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tbl := range []string{"parcels", "admin_units", "constructions", "layer_features", "parcels_history",
		"admin_units_history", "layer_features_history", "changes", "layers"} {
		var n int64
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	var sum int64
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(version), 0) FROM parcels`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	out["parcel versions"] = sum
	return out
}

func sameSnapshot(t testing.TB, before, after map[string]int64) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows after, %d before: the import changed something", k, after[k], v)
		}
	}
}

func TestImport_RealDistricts(t *testing.T) {
	path := filepath.Join(repoRoot(t), "..", "shared", "data", "binh-phuoc-districts.geojson")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("the real district boundaries are not at %s (they live outside the repository, in ../shared/data)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	url := storetest.Migrated(t)
	st, pool := storetest.Store(t, url), storetest.Pool(t, url)
	ctx := context.Background()
	res, err := st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "admin_units", Source: "binh-phuoc-districts.geojson"})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != store.StateCommitted || res.Counts.Inserted != 12 || res.Counts.Rejected != 0 {
		t.Fatalf("result = %s, %+v; want committed with 12 inserted", res.State, res.Counts)
	}
	var province, districts float64
	var n int
	if err := pool.QueryRow(ctx, `SELECT area_m2 FROM admin_units WHERE code = '70'`).Scan(&province); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT sum(area_m2), count(*) FROM admin_units WHERE level = 'district' AND parent_code = '70'`).Scan(&districts, &n); err != nil {
		t.Fatal(err)
	}
	km2 := province / 1e6
	t.Logf("province %.1f km², 11 districts %.1f km²", km2, districts/1e6)
	if math.Abs(km2-6877) > 6877*0.01 {
		t.Errorf("province area = %.1f km², want about 6,877 km² (±1%%)", km2)
	}
	if n != 11 || math.Abs(districts-province) > province*0.01 {
		t.Errorf("%d districts with %.1f km², want 11 covering the province's %.1f km²", n, districts/1e6, km2)
	}
	var imported int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_units WHERE import_id = $1`, res.ID).Scan(&imported); err != nil || imported != 12 {
		t.Errorf("rows with import_id %d = %d (%v), want 12", res.ID, imported, err)
	}
}

func TestImport_ParcelsWithVietnameseFields(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	res := env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	if res.Counts.Inserted != 5 || res.Counts.Read != 5 || res.Counts.Rejected != 0 || res.Counts.SRID != 4326 {
		t.Fatalf("counts = %+v, want 5 read and inserted in EPSG:4326", res.Counts)
	}
	type parcel struct {
		key, landUse, address, owner, id, cert string
		legal                                  *float64
		official                               float64
		oldSheet, oldParcel                    *int32
		importID                               int64
	}
	rows, err := env.pool.Query(ctx, `SELECT commune_code || '/' || sheet_no || '/' || parcel_no, land_use::text, address,
		coalesce(owner_name, ''), coalesce(owner_id_number, ''), coalesce(certificate_no, ''), legal_area_m2::float8,
		official_area_m2::float8, old_sheet_no, old_parcel_no, import_id FROM parcels ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []parcel
	for rows.Next() {
		var p parcel
		if err := rows.Scan(&p.key, &p.landUse, &p.address, &p.owner, &p.id, &p.cert, &p.legal, &p.official, &p.oldSheet, &p.oldParcel, &p.importID); err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != 5 {
		t.Fatalf("%d parcels, want 5", len(got))
	}
	want := []struct{ key, landUse string }{
		{"25216/1/1", `[{"code": "ONT"}, {"code": "CLN"}]`},
		{"25216/1/2", `[{"area": 500, "code": "ONT"}]`},
		{"25217/1/3", ``}, // HNK with the official area, checked below
		{"25219/2/1", `[{"area": 100, "code": "ONT"}, {"area": 400, "code": "CLN"}]`},
		{"25219/2/2", `[{"area": 810, "code": "CLN"}]`},
	}
	for i, w := range want {
		if got[i].key != w.key {
			t.Errorf("parcel %d key = %s, want %s", i, got[i].key, w.key)
		}
		if w.landUse != "" && got[i].landUse != w.landUse {
			t.Errorf("parcel %s land_use = %s, want %s", w.key, got[i].landUse, w.landUse)
		}
		if got[i].importID != res.ID {
			t.Errorf("parcel %s import_id = %d, want %d", w.key, got[i].importID, res.ID)
		}
		// 0.0009° squares near 11.8°N are about 98 m by 100 m.
		if got[i].official < 9000 || got[i].official > 11000 {
			t.Errorf("parcel %s official area = %.1f m², want about 9,800", w.key, got[i].official)
		}
	}
	if want := fmt.Sprintf(`[{"area": %v, "code": "HNK"}]`, got[2].official); got[2].landUse != want {
		t.Errorf("legacy BHK parcel land_use = %s, want %s (mapped, with the official area)", got[2].landUse, want)
	}
	if p := got[0]; p.owner != "Nguyễn Văn An" || p.id != "070085000123" || p.cert != "CS 01234" || p.address != "Tổ 1, phường Thác Mơ" || *p.legal != 1200.5 {
		t.Errorf("parcel 0 = %+v, want the owner, ID, certificate, address and legal area of the file", p)
	}
	if p := got[4]; p.oldSheet == nil || *p.oldSheet != 7 || *p.oldParcel != 9 {
		t.Errorf("old sheet/parcel = %v/%v, want 7/9", p.oldSheet, p.oldParcel)
	}
	codes := map[string]int64{}
	for _, e := range res.Report {
		codes[e.Code]++
	}
	if codes["legacy_land_use"] != 1 || codes["land_use_areas"] != 1 || res.Counts.Warnings != 2 {
		t.Errorf("report = %+v, want one legacy-code warning and one missing-areas warning", res.Report)
	}
	for _, e := range res.Report {
		if e.Code == "legacy_land_use" && (e.Index != 2 || e.Key != "25217/1/3" || !strings.Contains(e.Reason, "BHK mapped to HNK")) {
			t.Errorf("legacy entry = %+v, want feature 2, key 25217/1/3, BHK mapped to HNK", e)
		}
	}
	// The record holds the same.
	rec, err := env.st.ImportRecord(ctx, res.ID)
	if err != nil || rec.State != store.StateCommitted || rec.SRID == nil || *rec.SRID != 4326 || !strings.Contains(string(rec.Report), "BHK") {
		t.Errorf("record = %+v, %v", rec, err)
	}
}

// vn2000 converts a WGS 84 GeoJSON fixture to VN-2000 / TM-3 zone srid, with a legacy crs
// member unless bare.
func vn2000(t testing.TB, data []byte, srid int, bare bool) []byte {
	t.Helper()
	var fc map[string]any
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		a, ok := v.([]any)
		if !ok {
			return v
		}
		if len(a) >= 2 {
			if lon, ok := a[0].(float64); ok {
				x, y, err := geo.FromWGS84(lon, a[1].(float64), srid)
				if err != nil {
					t.Fatal(err)
				}
				return []any{x, y}
			}
		}
		for i := range a {
			a[i] = walk(a[i])
		}
		return a
	}
	for _, f := range fc["features"].([]any) {
		g := f.(map[string]any)["geometry"].(map[string]any)
		g["coordinates"] = walk(g["coordinates"])
	}
	if !bare {
		fc["crs"] = map[string]any{"type": "name", "properties": map[string]any{"name": fmt.Sprintf("urn:ogc:def:crs:EPSG::%d", srid)}}
	}
	out, _ := json.Marshal(fc)
	return out
}

func TestImport_VN2000(t *testing.T) {
	ctx := context.Background()
	wgs := storetest.Migrated(t)
	envW := &importEnv{st: storetest.Store(t, wgs), pool: storetest.Pool(t, wgs)}
	envW.mustImport(t, "communes.geojson", store.ImportOptions{Layer: "admin_units"})
	envW.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	env := newImportEnv(t)
	data := vn2000(t, fixture(t, "parcels.geojson"), 9212, false)

	// Declared by the crs member.
	res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", DryRun: true})
	if err != nil || res.Counts.SRID != 9212 || res.State != store.StateValidated || res.Counts.Inserted != 5 {
		t.Fatalf("dry run with crs member = %+v, %v; want validated in 9212", res, err)
	}
	// No CRS at all: stop, naming the zone.
	bare := vn2000(t, fixture(t, "parcels.geojson"), 9212, true)
	before := snapshot(t, env.pool)
	_, err = env.st.Import(ctx, bytes.NewReader(bare), store.ImportOptions{Layer: "parcels"})
	if !errors.Is(err, geo.ErrCRSMismatch) || !strings.Contains(err.Error(), "--srid 9212") {
		t.Fatalf("err = %v, want a CRS error naming --srid 9212", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	// --srid.
	res, err = env.st.Import(ctx, bytes.NewReader(bare), store.ImportOptions{Layer: "parcels", SRID: 9212})
	if err != nil || res.Counts.Inserted != 5 {
		t.Fatalf("import with --srid 9212 = %+v, %v", res, err)
	}
	// The same parcels, imported in VN-2000 and in WGS 84, land within millimetres and have the
	// same official areas.
	var maxShift, maxAreaDiff float64
	q := `SELECT commune_code, sheet_no, parcel_no, geom::text, official_area_m2::float8 FROM parcels ORDER BY 1, 2, 3`
	type row struct {
		g    string
		area float64
	}
	load := func(pool *pgxpool.Pool) []row {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for rows.Next() {
			var c string
			var s, p int32
			var r row
			if err := rows.Scan(&c, &s, &p, &r.g, &r.area); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := load(env.pool), load(envW.pool)
	for i := range a {
		var d float64
		if err := env.pool.QueryRow(ctx, `SELECT ST_HausdorffDistance(ST_Transform($1::geometry, 9212), ST_Transform($2::geometry, 9212))`,
			a[i].g, b[i].g).Scan(&d); err != nil {
			t.Fatal(err)
		}
		maxShift = math.Max(maxShift, d)
		maxAreaDiff = math.Max(maxAreaDiff, math.Abs(a[i].area-b[i].area))
	}
	if maxShift > 0.01 || maxAreaDiff > 0.11 {
		t.Errorf("VN-2000 vs WGS 84 import: shift %.4f m, area difference %.2f m²; want < 1 cm and ≤ 0.1 m²", maxShift, maxAreaDiff)
	}
}

// badInputs are the bad inputs of issue 5 that are files; the size limit and the gzip bomb are
// HTTP matters (see api/imports_test.go), the deep nesting is generated.
var badInputs = []struct {
	file, want string
	sentinel   error
}{
	{"bad/empty.geojson", "empty input", geo.ErrGeoJSON},
	{"bad/truncated.geojson", "truncated", geo.ErrGeoJSON},
	{"bad/not-a-collection.geojson", "not a FeatureCollection: the file is a bare Polygon geometry", geo.ErrGeoJSON},
	{"bad/number-1e400.geojson", "1e400 is out of range", geo.ErrGeoJSON},
	{"bad/nan.geojson", "NaN is not valid JSON", geo.ErrGeoJSON},
	{"bad/non-utf8.geojson", "invalid UTF-8", geo.ErrGeoJSON},
	{"bad/ring-2-points.geojson", "rejected", store.ErrInvalid},
	{"bad/mixed-geometry-types.geojson", "features rejected", store.ErrInvalid},
	{"bad/crs-mismatch.geojson", "crs member is EPSG:4326 (WGS 84) but the first coordinates (569613.7, 1275708.6) are impossible there", geo.ErrCRSMismatch},
}

func deepNesting() []byte {
	return []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":` + strings.Repeat("[", 100000))
}

func TestImport_BadInputsChangeNothing(t *testing.T) {
	env := newImportEnv(t)
	env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	ctx := context.Background()
	type input struct {
		name     string
		data     []byte
		want     string
		sentinel error
	}
	var inputs []input
	for _, b := range badInputs {
		inputs = append(inputs, input{b.file, fixture(t, b.file), b.want, b.sentinel})
	}
	inputs = append(inputs, input{"100,000 nested arrays", deepNesting(), "nested deeper than 64 levels", geo.ErrGeoJSON})
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			for _, mode := range []string{store.ModeAppend, store.ModeReplace} {
				before := snapshot(t, env.pool)
				// A bad input is refused, whatever the machine's speed; one that makes the import
				// hang fails here with its name rather than at go test's timeout.
				ictx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				res, err := env.st.Import(ictx, bytes.NewReader(in.data), store.ImportOptions{Layer: "parcels", Mode: mode, Source: in.name})
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%s: still importing after 2 minutes: a bad input must be refused, not hang the import", mode)
				}
				if err == nil {
					t.Fatalf("%s: import = %+v, want an error", mode, res)
				}
				if !errors.Is(err, in.sentinel) || !strings.Contains(err.Error(), in.want) {
					t.Errorf("%s: err = %v, want %v containing %q", mode, err, in.sentinel, in.want)
				}
				sameSnapshot(t, before, snapshot(t, env.pool))
				var ie *store.ImportError
				if !errors.As(err, &ie) {
					t.Fatalf("err = %T, want *store.ImportError", err)
				}
				rec, rerr := env.st.ImportRecord(ctx, ie.ID)
				if rerr != nil || rec.State != store.StateFailed || rec.Error == "" || rec.FinishedAt == nil {
					t.Errorf("record = %+v, %v; want failed with an error", rec, rerr)
				}
			}
		})
	}
	// A byte order mark is not a bad input: the file imports.
	res := env.mustImport(t, "bom.geojson", store.ImportOptions{Layer: "parcels", Mode: store.ModeUpsert})
	if res.Counts.Read != 1 || res.Counts.Unchanged != 1 {
		t.Errorf("BOM file: counts = %+v, want 1 read, unchanged", res.Counts)
	}
}

func TestImport_ReadErrorChangesNothing(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	before := snapshot(t, env.pool)
	limit := errors.New("request body too large")
	r := io.MultiReader(bytes.NewReader(fixture(t, "parcels.geojson")[:900]), errReader{limit})
	_, err := env.st.Import(ctx, r, store.ImportOptions{Layer: "parcels"})
	var re *geo.ReadError
	if !errors.As(err, &re) || !errors.Is(err, limit) {
		t.Fatalf("err = %v, want a read error wrapping the reader's", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// features builds a FeatureCollection of parcels from property/geometry pairs.
func features(fs ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

func parcelFeature(commune string, sheet, no int, lu string, geometry string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"MaXa":%q,"SoHieuToBanDo":%d,"SoThuTuThua":%d,"KyHieuMucDichSuDung":%q,"DienTich":300},"geometry":%s}`,
		commune, sheet, no, lu, geometry)
}

func imSquare(x, y float64) string {
	const d = 0.0005
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x, y, x+d, y, x+d, y+d, x, y+d, x, y)
}

// bowtie is a self-intersecting ring: invalid, repairable into two triangles.
func imBowtie(x, y float64) string {
	const d = 0.0005
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x, y, x+d, y+d, x+d, y, x, y+d, x, y)
}

// reportCase is a file of 13 parcels, most with one problem, and the report entry each problem
// must get (the layer already holds parcels.geojson).
func reportCase() ([]byte, map[int]struct{ level, code, reason string }) {
	data := features(
		parcelFeature("25216", 5, 1, "ONT", imSquare(106.955, 11.805)),                       // 0 fine
		parcelFeature("25216", 5, 2, "ONT", imBowtie(106.956, 11.805)),                       // 1 repaired
		parcelFeature("99999", 5, 3, "ONT", imSquare(106.957, 11.805)),                       // 2 unknown commune
		parcelFeature("25216", 5, 4, "XYZ", imSquare(106.958, 11.805)),                       // 3 unknown land use
		parcelFeature("25216", 5, 5, "NHK", imSquare(106.959, 11.805)),                       // 4 legacy: warning
		parcelFeature("25216", 5, 1, "ONT", imSquare(106.960, 11.805)),                       // 5 duplicate of 0
		parcelFeature("25216", 1, 1, "ONT", imSquare(106.961, 11.805)),                       // 6 exists already
		parcelFeature("25216", 5, 8, "ONT", imSquare(2.35, 48.85)),                           // 7 Paris
		parcelFeature("25216", 0, 9, "ONT", imSquare(106.962, 11.805)),                       // 8 sheet 0: CHECK
		`{"type":"Feature","properties":{"MaXa":"25216","SoHieuToBanDo":5},"geometry":null}`, // 9 no geometry
		`{"type":"Feature","properties":{"MaXa":"25216","SoHieuToBanDo":"5a","SoThuTuThua":10,"KyHieuMucDichSuDung":"ONT"},"geometry":`+imSquare(106.963, 11.805)+`}`, // 10 not an integer
		`{"type":"Feature","properties":{"MaXa":"25216","SoHieuToBanDo":5,"SoThuTuThua":11},"geometry":`+imSquare(106.964, 11.805)+`}`,                                // 11 no land use
		parcelFeature("25216", 5, 12, "ONT", `{"type":"Point","coordinates":[106.9,11.8]}`),                                                                           // 12 wrong type
	)
	want := map[int]struct{ level, code, reason string }{
		1:  {store.LevelRepaired, "invalid_geometry", "Self-intersection"},
		2:  {store.LevelRejected, "unknown_commune", "unknown commune code 99999"},
		3:  {store.LevelRejected, "unknown_land_use", `unknown land-use code "XYZ"`},
		4:  {store.LevelWarning, "legacy_land_use", "legacy land-use code NHK mapped to HNK"},
		5:  {store.LevelRejected, "duplicate_key", "duplicate key 25216/5/1: feature 0 has the same key"},
		6:  {store.LevelRejected, "key_conflict", "key 25216/1/1 already exists in the layer"},
		7:  {store.LevelRejected, "outside", "far outside the province"},
		8:  {store.LevelRejected, "check_constraint", "sheet_no break the rule (sheet_no > 0)"},
		9:  {store.LevelRejected, "no_geometry", "no geometry"},
		10: {store.LevelRejected, "bad_value", `sheet_no: "5a" is not an integer`},
		11: {store.LevelRejected, "missing_attribute", "missing required attribute land_use"},
		12: {store.LevelRejected, "geometry_type", "a Point where the layer holds MultiPolygon geometries"},
	}
	return data, want
}

// checkReport fails unless the report has, for each feature of want, its entry.
func checkReport(t *testing.T, report []store.ReportEntry, want map[int]struct{ level, code, reason string }) {
	t.Helper()
	byIndex := map[int][]store.ReportEntry{}
	for _, e := range report {
		byIndex[e.Index] = append(byIndex[e.Index], e)
	}
	for i, w := range want {
		found := false
		for _, e := range byIndex[i] {
			if e.Level == w.level && e.Code == w.code && strings.Contains(e.Reason, w.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("feature %d: entries %+v, want %s %s %q", i, byIndex[i], w.level, w.code, w.reason)
		}
	}
	if e := byIndex[5]; len(e) == 0 || e[0].Key != "25216/5/1" {
		t.Errorf("duplicate entry %+v, want key 25216/5/1", e)
	}
}

func TestImport_ValidationReport(t *testing.T) {
	env := newImportEnv(t)
	env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	ctx := context.Background()
	data, want := reportCase()
	before := snapshot(t, env.pool)
	_, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels"})
	var ie *store.ImportError
	if !errors.As(err, &ie) || !errors.Is(err, store.ErrTooManyRejected) {
		t.Fatalf("err = %v, want too many rejected", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	checkReport(t, ie.Result.Report, want)
	c := ie.Result.Counts
	if c.Read != 13 || c.Rejected != 10 || c.Accepted != 3 || c.Repaired != 1 || c.Warnings != 1 {
		t.Errorf("counts = %+v, want 13 read, 10 rejected, 3 accepted, 1 repaired, 1 warning", c)
	}

	// Allowed to reject: the three accepted features commit, the repaired one valid.
	res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", MaxRejected: -1})
	if err != nil || res.Counts.Inserted != 3 {
		t.Fatalf("with max rejected -1: %+v, %v; want 3 inserted", res, err)
	}
	var valid bool
	var kind string
	if err := env.pool.QueryRow(ctx, `SELECT ST_IsValid(geom), GeometryType(geom) FROM parcels WHERE sheet_no = 5 AND parcel_no = 2`).Scan(&valid, &kind); err != nil || !valid || kind != "MULTIPOLYGON" {
		t.Errorf("repaired bowtie: valid %v, %s, %v", valid, kind, err)
	}

	// Strict: the bowtie is rejected instead.
	strict := features(parcelFeature("25216", 6, 2, "ONT", imBowtie(106.956, 11.806)), parcelFeature("25216", 6, 3, "ONT",
		`{"type":"Polygon","coordinates":[[[106.957,11.806],[106.9575,11.806],[106.9575,11.8065]]]}`))
	_, err = env.st.Import(ctx, bytes.NewReader(strict), store.ImportOptions{Layer: "parcels", Strict: true})
	if !errors.As(err, &ie) || ie.Result.Counts.Rejected != 2 {
		t.Fatalf("strict: err = %v, want both rejected", err)
	}
	codes := ""
	for _, e := range ie.Result.Report {
		codes += e.Code + " "
	}
	if codes != "invalid_geometry open_ring " {
		t.Errorf("strict codes = %q, want invalid_geometry then open_ring", codes)
	}
	// Not strict: the open ring is closed and reported.
	res, err = env.st.Import(ctx, bytes.NewReader(strict), store.ImportOptions{Layer: "parcels"})
	if err != nil || res.Counts.Repaired != 2 || res.Counts.Inserted != 2 {
		t.Errorf("lenient: %+v, %v; want 2 repaired and inserted", res, err)
	}
}

// An append is validated and written a chunk at a time while the next chunk is decoded. Cut
// into chunks of every size, the same file gets the same report and writes the same rows (a
// duplicate finds its first occurrence in an earlier chunk, a key already in the layer is found
// through its index); an upsert with the same options (done in one chunk) counts right; input
// that breaks after chunks were written leaves nothing; and an import that can no longer commit
// stops at the chunk that settles it, without reading the rest.
func TestImport_Chunks(t *testing.T) {
	ctx := context.Background()
	data, want := reportCase()
	for _, chunk := range []int{1, 2, 3, 5, 13} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			env := newImportEnv(t)
			env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
			res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", MaxRejected: -1, ChunkSize: chunk, BatchSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, res.Report, want)
			c := res.Counts
			if c.Read != 13 || c.Rejected != 10 || c.Accepted != 3 || c.Repaired != 1 || c.Warnings != 1 || c.Inserted != 3 {
				t.Errorf("counts = %+v, want 13 read, 10 rejected, 3 accepted and inserted, 1 repaired, 1 warning", c)
			}
			var keys string
			if err := env.pool.QueryRow(ctx, `SELECT string_agg(sheet_no || '/' || parcel_no, ' ' ORDER BY id) FROM parcels WHERE import_id = $1`, res.ID).Scan(&keys); err != nil {
				t.Fatal(err)
			}
			if keys != "5/1 5/2 5/5" {
				t.Errorf("written in file order: %q, want 5/1 5/2 5/5", keys)
			}

			// Upsert: a duplicate in a later chunk, one update, one unchanged, one new.
			upd := features(
				parcelFeature("25216", 5, 1, "CLN", imSquare(106.955, 11.805)), // changed land use
				parcelFeature("25216", 5, 5, "HNK", imSquare(106.959, 11.805)), // as stored
				parcelFeature("25216", 6, 1, "ONT", imSquare(106.955, 11.806)), // new
				parcelFeature("25216", 5, 1, "ONT", imSquare(106.955, 11.805)), // duplicate of 0
			)
			up, err := env.st.Import(ctx, bytes.NewReader(upd), store.ImportOptions{Layer: "parcels", Mode: store.ModeUpsert,
				MaxRejected: -1, ChunkSize: chunk, BatchSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			if c := up.Counts; c.Updated != 1 || c.Unchanged != 1 || c.Inserted != 1 || c.Rejected != 1 || c.ByCode["duplicate_key"] != 1 {
				t.Errorf("upsert counts = %+v, want 1 updated, 1 unchanged, 1 inserted, 1 duplicate", c)
			}
			var use string
			if err := env.pool.QueryRow(ctx, `SELECT main_use FROM parcels WHERE sheet_no = 5 AND parcel_no = 1`).Scan(&use); err != nil || use != "CLN" {
				t.Errorf("upserted parcel main use %q (%v), want CLN: the first occurrence wins", use, err)
			}

			// Broken input after a few chunks were written: nothing changes.
			before := snapshot(t, env.pool)
			var many []string
			for i := range 7 {
				many = append(many, parcelFeature("25216", 7, i+1, "ONT", imSquare(106.955+float64(i)*0.001, 11.807)))
			}
			broken := features(many...)
			broken = broken[:len(broken)-20]
			_, err = env.st.Import(ctx, bytes.NewReader(broken), store.ImportOptions{Layer: "parcels", ChunkSize: chunk, BatchSize: 1})
			if !errors.Is(err, geo.ErrGeoJSON) {
				t.Errorf("truncated input: err = %v, want a GeoJSON error", err)
			}
			sameSnapshot(t, before, snapshot(t, env.pool))
		})
	}

	// Endless input whose first feature is rejected: without --max-rejected the import fails
	// at the first chunk instead of reading on.
	env := newImportEnv(t)
	before := snapshot(t, env.pool)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := env.st.Import(tctx, &endlessParcels{}, store.ImportOptions{Layer: "parcels", ChunkSize: 100, BatchSize: 10})
	var ie *store.ImportError
	if !errors.As(err, &ie) || !errors.Is(err, store.ErrTooManyRejected) || tctx.Err() != nil {
		t.Fatalf("endless input with a bad first feature: %v, want too many rejected, before the deadline", err)
	}
	if ie.Result.Counts.ByCode["unknown_commune"] != 1 || ie.Result.Counts.Read > 10000 {
		t.Errorf("counts = %+v, want the unknown commune found after a few chunks", ie.Result.Counts)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
}

// An offline import validates and writes exactly what an online one does, and leaves the
// layer's indexes as they were, whether it commits or fails; its spatial index is usable at once.
func TestImport_Offline(t *testing.T) {
	ctx := context.Background()
	env := newImportEnv(t)
	env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	indexes := func() string {
		var defs string
		if err := env.pool.QueryRow(ctx, `SELECT string_agg(def, E'\n' ORDER BY def) FROM (
				SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'parcels'::regclass
				UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'parcels'::regclass) d`).Scan(&defs); err != nil {
			t.Fatal(err)
		}
		return defs
	}
	want := indexes()
	if !strings.Contains(want, "USING gist (geom)") {
		t.Fatalf("parcels has no spatial index to take offline:\n%s", want)
	}

	data, wantReport := reportCase()
	for _, chunk := range []int{2, 13} {
		res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", MaxRejected: -1,
			ChunkSize: chunk, BatchSize: 1, Offline: true})
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, res.Report, wantReport)
		if c := res.Counts; c.Read != 13 || c.Rejected != 10 || c.Inserted != 3 {
			t.Errorf("chunks of %d: counts = %+v, want 13 read, 10 rejected, 3 inserted", chunk, c)
		}
		if _, ok := res.Counts.Timings["indexes"]; !ok {
			t.Errorf("chunks of %d: no time recorded for building the indexes: %v", chunk, res.Counts.Timings)
		}
		if got := indexes(); got != want {
			t.Errorf("chunks of %d: indexes after the import:\n%s\nwant\n%s", chunk, got, want)
		}
		// Revert, so the same file imports again.
		if _, err := env.st.RevertImport(ctx, res.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}

	// The spatial index finds the new parcels (the planner is told to use it).
	res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", MaxRejected: -1, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := env.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN (COSTS OFF) SELECT count(*) FROM parcels WHERE geom && ST_MakeEnvelope(106.95, 11.80, 106.97, 11.81, 4326)`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, " / ")
	if !strings.Contains(plan, "parcels_geom") {
		t.Errorf("the rebuilt spatial index is not used: %s", plan)
	}
	var found int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM parcels WHERE geom && ST_MakeEnvelope(106.95, 11.80, 106.97, 11.81, 4326) AND import_id = $1`, res.ID).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != 3 {
		t.Errorf("found %d of the 3 imported parcels through the rebuilt indexes (plan %q)", found, plan)
	}
	tx.Rollback(ctx)

	// A failed offline import changes nothing, indexes included.
	before := snapshot(t, env.pool)
	broken := data[:len(data)-20]
	if _, err := env.st.Import(ctx, bytes.NewReader(broken), store.ImportOptions{Layer: "parcels", MaxRejected: -1, ChunkSize: 2, BatchSize: 1, Offline: true}); !errors.Is(err, geo.ErrGeoJSON) {
		t.Errorf("truncated input: err = %v, want a GeoJSON error", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	if got := indexes(); got != want {
		t.Errorf("indexes after a failed offline import:\n%s\nwant\n%s", got, want)
	}

	// A replace keyed by certificate: two parcels with one cadastral key pass the decoder, and
	// building the layer's unique key again refuses them; nothing changes, indexes included.
	twins := features(
		strings.Replace(parcelFeature("25216", 9, 1, "ONT", imSquare(106.955, 11.809)), `"DienTich"`, `"SoGCN":"A 1","DienTich"`, 1),
		strings.Replace(parcelFeature("25216", 9, 1, "ONT", imSquare(106.956, 11.809)), `"DienTich"`, `"SoGCN":"A 2","DienTich"`, 1))
	_, err = env.st.Import(ctx, bytes.NewReader(twins), store.ImportOptions{Layer: "parcels", Mode: store.ModeReplace,
		Key: []string{"certificate_no"}, Offline: true})
	// The person is told which rule refused the rows, not PostgreSQL's own message.
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "rule parcels_key") {
		t.Errorf("one cadastral key twice, offline: err = %v, want the key's index refusing to build", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	if got := indexes(); got != want {
		t.Errorf("indexes after a refused offline replace:\n%s\nwant\n%s", got, want)
	}

	// A replace that commits, its unique key dropped and built again.
	rep, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "parcels", Mode: store.ModeReplace, MaxRejected: -1, ChunkSize: 5, BatchSize: 1, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM parcels`).Scan(&n); err != nil || n != 4 || rep.Counts.Inserted != 4 || rep.Counts.Deleted == 0 {
		// 4: in a replace, the feature whose key the layer held is no conflict.
		t.Errorf("after an offline replace: %d parcels (%v), counts %+v; want the 4 accepted", n, err, rep.Counts)
	}
	if got := indexes(); got != want {
		t.Errorf("indexes after an offline replace:\n%s\nwant\n%s", got, want)
	}

	// Generic layers share one table: taking it offline would take them all.
	if _, err := env.st.NewImport(ctx, store.ImportOptions{Layer: "roads", Create: true, Offline: true}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("offline --create: err = %v, want ErrInvalid", err)
	}
}

// endlessParcels is a FeatureCollection that never ends: a parcel of an unknown commune, then
// valid parcels.
type endlessParcels struct {
	n   int
	buf []byte
}

func (e *endlessParcels) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) {
		switch {
		case e.n == 0:
			e.buf = append(e.buf, `{"type":"FeatureCollection","features":[`+parcelFeature("99999", 1, 1, "ONT", imSquare(106.955, 11.805))...)
		default:
			e.buf = append(e.buf, ","+parcelFeature("25216", 100+e.n/1000, 1+e.n%1000, "ONT", imSquare(106.955, 11.805))...)
		}
		e.n++
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

func TestImport_UpsertReplaceRevert(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	first := env.mustImport(t, "parcels.geojson", store.ImportOptions{Layer: "parcels"})
	base := snapshot(t, env.pool)

	// Upsert: one parcel changes its land use, one is new, the rest are unchanged.
	upd := features(
		parcelFeature("25216", 1, 2, "CLN", imSquare(106.952, 11.801)),
		parcelFeature("25219", 3, 1, "ONT", imSquare(106.992, 11.801)),
	)
	res, err := env.st.Import(ctx, bytes.NewReader(upd), store.ImportOptions{Layer: "parcels", Mode: store.ModeUpsert})
	if err != nil || res.Counts.Updated != 1 || res.Counts.Inserted != 1 || res.Counts.Unchanged != 0 {
		t.Fatalf("upsert: %+v, %v; want 1 updated, 1 inserted", res, err)
	}
	var version int
	var lu string
	var importID int64
	if err := env.pool.QueryRow(ctx, `SELECT version, main_use, import_id FROM parcels WHERE commune_code = '25216' AND sheet_no = 1 AND parcel_no = 2`).Scan(&version, &lu, &importID); err != nil {
		t.Fatal(err)
	}
	if version != 2 || lu != "CLN" || importID != res.ID {
		t.Errorf("updated parcel: version %d, main use %s, import %d; want 2, CLN, %d", version, lu, importID, res.ID)
	}
	var histUse string
	if err := env.pool.QueryRow(ctx, `SELECT h.main_use FROM parcels_history h JOIN parcels p USING (id)
		WHERE p.sheet_no = 1 AND p.parcel_no = 2 AND h.version = 1`).Scan(&histUse); err != nil || histUse != "ONT" {
		t.Errorf("history of the updated parcel: %q, %v; want the old ONT version", histUse, err)
	}
	// The same upsert again changes nothing.
	again, err := env.st.Import(ctx, bytes.NewReader(upd), store.ImportOptions{Layer: "parcels", Mode: store.ModeUpsert})
	if err != nil || again.Counts.Unchanged != 2 || again.Counts.Updated != 0 || again.Counts.Inserted != 0 {
		t.Errorf("repeated upsert: %+v, %v; want 2 unchanged", again.Counts, err)
	}
	// Revert the upsert: the new parcel goes, the changed one is back to ONT (as version 3).
	rev, err := env.st.RevertImport(ctx, res.ID, "test")
	if err != nil || rev.Deleted != 1 || rev.Restored != 1 {
		t.Fatalf("revert upsert: %+v, %v", rev, err)
	}
	if err := env.pool.QueryRow(ctx, `SELECT version, main_use, import_id FROM parcels WHERE commune_code = '25216' AND sheet_no = 1 AND parcel_no = 2`).Scan(&version, &lu, &importID); err != nil {
		t.Fatal(err)
	}
	if version != 3 || lu != "ONT" || importID != first.ID {
		t.Errorf("after revert: version %d, main use %s, import %d; want 3, ONT, %d", version, lu, importID, first.ID)
	}
	if _, err := env.st.RevertImport(ctx, res.ID, "test"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second revert: %v, want ErrConflict", err)
	}
	if _, err := env.st.RevertImport(ctx, again.ID, "test"); err != nil {
		t.Errorf("revert of the no-op upsert: %v", err)
	}

	// Replace: the layer becomes exactly the file; a reader sees old or new, never a mix.
	rep, err := env.st.Import(ctx, bytes.NewReader(upd), store.ImportOptions{Layer: "parcels", Mode: store.ModeReplace})
	if err != nil || rep.Counts.Deleted != 5 || rep.Counts.Inserted != 2 {
		t.Fatalf("replace: %+v, %v; want 5 deleted, 2 inserted", rep, err)
	}
	var n int
	_ = env.pool.QueryRow(ctx, `SELECT count(*) FROM parcels`).Scan(&n)
	if n != 2 {
		t.Errorf("%d parcels after replace, want 2", n)
	}
	rev, err = env.st.RevertImport(ctx, rep.ID, "test")
	if err != nil || rev.Deleted != 2 || rev.Reinserted != 5 {
		t.Fatalf("revert replace: %+v, %v; want 2 deleted, 5 reinserted", rev, err)
	}
	var same bool
	if err := env.pool.QueryRow(ctx, `SELECT count(*) = 5 AND bool_and(import_id = $1) FROM parcels`, first.ID).Scan(&same); err != nil || !same {
		t.Errorf("after reverting the replace: not the 5 parcels of import %d (%v)", first.ID, err)
	}

	// Revert refuses when someone changed a feature since.
	up2, err := env.st.Import(ctx, bytes.NewReader(upd), store.ImportOptions{Layer: "parcels", Mode: store.ModeUpsert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `UPDATE parcels SET address = 'sửa tay' WHERE sheet_no = 3`); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, env.pool)
	_, err = env.st.RevertImport(ctx, up2.ID, "test")
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "changed after the import") {
		t.Errorf("revert after a manual edit: %v, want ErrConflict", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	_ = base
}

func TestImport_CreateLayer(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	data := []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"Tên đường":"Đường ĐT741","Số làn":4,"Rộng (m)":12.5,"Có vỉa hè":true,"Ngày":"2024-03-15","x":null},
		 "geometry":{"type":"LineString","coordinates":[[106.9,11.5],[106.91,11.51]]}},
		{"type":"Feature","properties":{"Tên đường":"Đường Phú Riềng Đỏ","Số làn":2,"Rộng (m)":8,"Có vỉa hè":false,"Ngày":"2025-07-01","x":"y"},
		 "geometry":{"type":"MultiLineString","coordinates":[[[106.92,11.52],[106.93,11.53]]]}}]}`)
	res, err := env.st.Import(ctx, bytes.NewReader(data), store.ImportOptions{Layer: "roads", Create: true, Title: "Đường giao thông"})
	if err != nil || res.Counts.Inserted != 2 || !res.Counts.LayerCreated {
		t.Fatalf("create: %+v, %v", res, err)
	}
	l, ok := env.st.Catalog().Layer("roads")
	if !ok {
		t.Fatal("layer roads is not in the catalog snapshot")
	}
	got := ""
	for _, a := range l.Attributes {
		got += a.Name + ":" + a.Type + " "
	}
	if want := "ten_duong:string so_lan:integer rong_m:number co_via_he:boolean ngay:date x:string "; got != want || l.GeometryType != "MultiLineString" || l.Title != "Đường giao thông" {
		t.Errorf("layer = %s %s %q, want %s MultiLineString", got, l.GeometryType, l.Title, want)
	}
	var props string
	if err := env.pool.QueryRow(ctx, `SELECT properties::text FROM layer_features WHERE layer_id = 'roads' ORDER BY id LIMIT 1`).Scan(&props); err != nil ||
		props != `{"ngay": "2024-03-15", "rong_m": 12.5, "so_lan": 4, "co_via_he": true, "ten_duong": "Đường ĐT741"}` {
		t.Errorf("properties = %s, %v", props, err)
	}
	// Creating it again is a conflict; appending to it works.
	if _, err := env.st.NewImport(ctx, store.ImportOptions{Layer: "roads", Create: true}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second create: %v, want ErrConflict", err)
	}
	// Revert removes the features and the layer.
	rev, err := env.st.RevertImport(ctx, res.ID, "test")
	if err != nil || rev.Deleted != 2 || !rev.LayerRemoved {
		t.Fatalf("revert create: %+v, %v", rev, err)
	}
	if _, ok := env.st.Catalog().Layer("roads"); ok {
		t.Error("layer roads still in the catalog after revert")
	}

	// Mixed kinds of geometry cannot make one layer: nothing is created.
	before := snapshot(t, env.pool)
	_, err = env.st.Import(ctx, bytes.NewReader(fixture(t, "bad/mixed-geometry-types.geojson")), store.ImportOptions{Layer: "mixed", Create: true})
	if !errors.Is(err, geo.ErrGeoJSON) || !strings.Contains(err.Error(), "mixed geometry types (1 Point, 1 Polygon)") {
		t.Errorf("mixed create: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
}

func TestImport_DryRunAndCancel(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	before := snapshot(t, env.pool)
	res, err := env.st.Import(ctx, bytes.NewReader(fixture(t, "parcels.geojson")), store.ImportOptions{Layer: "parcels", DryRun: true})
	if err != nil || res.State != store.StateValidated || res.Counts.Inserted != 5 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	rec, _ := env.st.ImportRecord(ctx, res.ID)
	if rec.State != store.StateValidated {
		t.Errorf("dry run recorded as %s", rec.State)
	}

	// A context cancelled while the input is still arriving.
	cctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"type":"FeatureCollection","features":[`))
		pw.Write([]byte(parcelFeature("25216", 9, 1, "ONT", imSquare(106.955, 11.805))))
		time.Sleep(200 * time.Millisecond)
		cancel()
		// The reader is blocked; like an HTTP server dropping the request, close it.
		pw.CloseWithError(context.Canceled)
	}()
	_, err = env.st.Import(cctx, pr, store.ImportOptions{Layer: "parcels"})
	pw.Close()
	var ie *store.ImportError
	if !errors.As(err, &ie) || ie.State != store.StateCancelled {
		t.Fatalf("cancelled: %v, want an ImportError in state cancelled", err)
	}
	sameSnapshot(t, before, snapshot(t, env.pool))
	rec, _ = env.st.ImportRecord(ctx, ie.ID)
	if rec.State != store.StateCancelled {
		t.Errorf("cancelled import recorded as %s", rec.State)
	}
}

func TestImportRecords_Interrupted(t *testing.T) {
	env := newImportEnv(t)
	ctx := context.Background()
	// A process that died leaves its record "running" without the lock its transaction held.
	var id int64
	if err := env.pool.QueryRow(ctx, `INSERT INTO imports (layer_id, mode, state, started_at) VALUES ('parcels', 'append', 'running', now() - interval '2 minutes') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	rec, err := env.st.ImportRecord(ctx, id)
	if err != nil || rec.State != store.StateFailed || !strings.Contains(rec.Error, "interrupted") {
		t.Errorf("record = %+v, %v; want failed as interrupted", rec, err)
	}
	list, err := env.st.ImportRecords(ctx, store.ImportQuery{Layer: "parcels"})
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Report != nil {
		t.Errorf("list = %+v, %v", list, err)
	}
	if _, err := env.st.ImportRecord(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown import: %v, want ErrNotFound", err)
	}
}
