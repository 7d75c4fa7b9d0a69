package api_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// Fixtures drawn in VN-2000 / TM-3 106-15 south of the demo province (see store's tests for the
// same layout): parcel A 50 m × 40 m (2000 m²) at E 520000–520050, N 1230000–1230040; parcel B
// the same east of it; construction K 20 m × 10 m across their common edge (150 m² on A, 50 m²
// on B); commune 99901 around them.
func loadAPIFixtures(t *testing.T, pool *pgxpool.Pool) (kid int64) {
	t.Helper()
	ctx := context.Background()
	const tm3 = `ST_Multi(ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 9212), 4326))`
	box := func(minE, minN, maxE, maxN float64) []any { return []any{minE, minN, maxE, maxN} }
	for i, p := range []struct {
		box     []any
		landUse string
	}{
		{box(520000, 1230000, 520050, 1230040), `[{"code": "CLN", "area": 2000}]`},
		{box(520050, 1230000, 520100, 1230040), `[{"code": "ONT", "area": 300}, {"code": "CLN", "area": 1700}]`},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, owner_name, geom)
			VALUES ('99901', 1, $5, $6::jsonb, 'Trần Thị Bí Mật', `+tm3+`)`, append(p.box, i+1, p.landUse)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := pool.QueryRow(ctx, `INSERT INTO constructions (permit_no, kind, status, geom)
		VALUES ('GP-THU-02', 'nhà ở riêng lẻ', 'permitted', `+tm3+`) RETURNING id`, box(520035, 1230010, 520055, 1230020)...).Scan(&kid); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO admin_units (code, level, kind, name, parent_code, valid_from, geom)
		VALUES ('99901', 'commune', 'Xã', 'Xã Thử Nghiệm', '75', '2020-01-01', `+tm3+`)`, box(519000, 1229000, 521000, 1231000)...); err != nil {
		t.Fatal(err)
	}
	return kid
}

func post(t testing.TB, h http.Handler, target, body string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

type unitJSON struct {
	Code  string
	Level string
	Name  string
}

type levelsJSON struct {
	Province *unitJSON
	District *unitJSON
	Commune  *unitJSON
}

func TestQueries_HTTP(t *testing.T) {
	dbURL := storetest.Demo(t)
	s := storetest.Store(t, dbURL)
	pool := storetest.Pool(t, dbURL)
	kid := loadAPIFixtures(t, pool)
	h := newServer(t, s)
	ctx := context.Background()

	// A point inside a demo commune that the 2025 reform merged, and that commune's codes.
	var lon, lat float64
	var commune, district string
	var pid int64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p), c.code, c.parent_code, x.id FROM admin_units c,
			LATERAL (SELECT ST_PointOnSurface(geom) AS p, id FROM parcels WHERE commune_code = c.code ORDER BY id LIMIT 1) x
		WHERE c.level = 'commune' AND c.valid_to = '2025-07-01' ORDER BY c.code LIMIT 1`).Scan(&lon, &lat, &commune, &district, &pid); err != nil {
		t.Fatal(err)
	}
	ll := "lon=" + strconv.FormatFloat(lon, 'f', -1, 64) + "&lat=" + strconv.FormatFloat(lat, 'f', -1, 64)

	t.Run("admin units before and after 2025-07-01", func(t *testing.T) {
		var before, after struct {
			levelsJSON
			Units []unitJSON
		}
		getJSON(t, h, "/api/v1/admin-units/at?"+ll+"&date=2025-06-30", &before)
		if before.Province == nil || before.Province.Code != "70" || before.District == nil || before.District.Code != district ||
			before.Commune == nil || before.Commune.Code != commune || len(before.Units) != 3 {
			t.Errorf("2025-06-30: %+v, want province 70, district %s, commune %s", before, district, commune)
		}
		getJSON(t, h, "/api/v1/admin-units/at?"+ll+"&date=2025-07-01", &after)
		if after.Province == nil || after.Province.Code != "75" || after.District != nil || after.Commune == nil || len(after.Units) != 2 {
			t.Errorf("2025-07-01: %+v, want province 75 (Đồng Nai), a commune, no district", after)
		}
	})

	t.Run("parcel at a point, with its units", func(t *testing.T) {
		var at struct {
			Count   int
			Parcels []struct {
				ID             int64
				OfficialAreaM2 float64 `json:"official_area_m2"`
				levelsJSON
			}
		}
		getJSON(t, h, "/api/v1/parcels/at?"+ll+"&date=2025-06-30", &at)
		if at.Count != 1 || at.Parcels[0].ID != pid || at.Parcels[0].District == nil || at.Parcels[0].Province.Code != "70" {
			t.Errorf("parcels at the point: %+v, want parcel %d in province 70 with a district", at, pid)
		}
		// The same parcel found from VN-2000 coordinates, transformed by PostGIS.
		x, y, err := geo.FromWGS84(lon, lat, 9212)
		if err != nil {
			t.Fatal(err)
		}
		getJSON(t, h, "/api/v1/parcels/at?x="+strconv.FormatFloat(x, 'f', 3, 64)+"&y="+strconv.FormatFloat(y, 'f', 3, 64)+"&srid=9212", &at)
		if at.Count != 1 || at.Parcels[0].ID != pid || at.Parcels[0].District != nil || at.Parcels[0].Province.Code != "75" {
			t.Errorf("parcels at x,y in EPSG:9212 today: %+v, want parcel %d in province 75, no district", at, pid)
		}
		getJSON(t, h, "/api/v1/parcels/at?x=520025&y=1230020", &at) // srid defaults to the province's zone
		if at.Count != 1 || at.Parcels[0].OfficialAreaM2 != 2000 || at.Parcels[0].Commune == nil || at.Parcels[0].Commune.Code != "99901" {
			t.Errorf("fixture A: %+v, want 2000.0 m² in commune 99901", at)
		}
	})

	t.Run("parcel by cadastral key", func(t *testing.T) {
		var p map[string]any
		getJSON(t, h, "/api/v1/parcels/99901/1/1", &p)
		if p["official_area_m2"] != 2000.0 || p["main_use"] != "CLN" {
			t.Errorf("99901/1/1: %v, want 2000.0 m² CLN", p)
		}
		if _, ok := p["owner_name"]; ok {
			t.Errorf("the answer carries personal data: %v", p)
		}
		c, _ := p["commune"].(map[string]any)
		if c == nil || c["name"] != "Xã Thử Nghiệm" {
			t.Errorf("commune %v", p["commune"])
		}
		wantProblem(t, h, "/api/v1/parcels/99901/1/99", http.StatusNotFound, "")
	})

	t.Run("nearby and nearest in metres", func(t *testing.T) {
		plon, plat, err := geo.ToWGS84(519900, 1230020, 9212) // 100 m west of A
		if err != nil {
			t.Fatal(err)
		}
		var ref float64
		if err := pool.QueryRow(ctx, `SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography)
			FROM parcels WHERE commune_code = '99901' AND parcel_no = 1`, plon, plat).Scan(&ref); err != nil {
			t.Fatal(err)
		}
		q := "lon=" + strconv.FormatFloat(plon, 'f', -1, 64) + "&lat=" + strconv.FormatFloat(plat, 'f', -1, 64)
		var fc struct {
			Type     string
			Features []struct {
				DistanceM  float64 `json:"distance_m"`
				Properties map[string]any
			}
		}
		getJSON(t, h, "/api/v1/layers/parcels/nearby?"+q+"&radius_m=200", &fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) != 2 || fc.Features[0].Properties["parcel_no"] != 1.0 {
			t.Fatalf("nearby: %+v, want A then B", fc)
		}
		if math.Abs(fc.Features[0].DistanceM-ref) > 0.001 || math.Abs(fc.Features[0].DistanceM-100) > 0.05 {
			t.Errorf("distance to A %.3f m, want ST_Distance(geography) %.3f ≈ 100", fc.Features[0].DistanceM, ref)
		}
		if d := fc.Features[1].DistanceM; math.Abs(d-150) > 0.05 {
			t.Errorf("distance to B %.3f m, want ≈ 150", d)
		}
		getJSON(t, h, "/api/v1/layers/parcels/nearest?"+q+"&k=1", &fc)
		if len(fc.Features) != 1 || math.Abs(fc.Features[0].DistanceM-ref) > 0.001 {
			t.Errorf("nearest: %+v, want A at %.3f m", fc.Features, ref)
		}
	})

	t.Run("intersects a geometry in VN-2000", func(t *testing.T) {
		body := `{"crs": "EPSG:9212", "layers": ["parcels", "constructions"], "geometry": {"type": "Polygon",
			"coordinates": [[[520040, 1230000], [520060, 1230000], [520060, 1230040], [520040, 1230040], [520040, 1230000]]]}}`
		res, raw := post(t, h, "/api/v1/query/intersects", body)
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, raw)
		}
		var out struct {
			Layers []struct {
				Layer    string
				Count    int
				AreaM2   float64 `json:"intersection_area_m2"`
				Features []struct {
					AreaM2 float64 `json:"intersection_area_m2"`
				}
			}
		}
		_ = json.Unmarshal(raw, &out)
		if len(out.Layers) != 2 || out.Layers[0].Count != 2 || math.Abs(out.Layers[0].AreaM2-800) > 0.01 ||
			out.Layers[1].Count != 1 || math.Abs(out.Layers[1].AreaM2-150) > 0.01 {
			t.Errorf("intersects: %s, want 2 parcels with 400 m² each and the construction with 150 m²", raw)
		}
		// The same strip as lon/lat with a buffer: 10 m around a line down the A|B edge.
		a1, b1, _ := geo.ToWGS84(520050, 1230010, 9212)
		a2, b2, _ := geo.ToWGS84(520050, 1230030, 9212)
		line := `{"buffer_m": 10, "layers": ["parcels"], "geometry": {"type": "LineString", "coordinates": [[` +
			strconv.FormatFloat(a1, 'f', -1, 64) + `,` + strconv.FormatFloat(b1, 'f', -1, 64) + `],[` +
			strconv.FormatFloat(a2, 'f', -1, 64) + `,` + strconv.FormatFloat(b2, 'f', -1, 64) + `]]}}`
		res, raw = post(t, h, "/api/v1/query/intersects", line)
		_ = json.Unmarshal(raw, &out)
		// A 20 m line buffered by 10 m: a 20 m × 20 m rectangle plus a 10 m circle (a 32-gon in
		// PostGIS), split evenly between A and B.
		want := 400 + 16*100*math.Sin(math.Pi/16)
		if res.StatusCode != 200 || len(out.Layers) != 1 || out.Layers[0].Count != 2 || math.Abs(out.Layers[0].AreaM2-want) > 0.1 {
			t.Errorf("buffered line: %d %s, want 2 parcels sharing %.2f m²", res.StatusCode, raw, want)
		}
	})

	t.Run("parcels under a construction", func(t *testing.T) {
		var out struct {
			Construction struct {
				FootprintAreaM2 float64 `json:"footprint_area_m2"`
			}
			CoveredShare float64 `json:"covered_share"`
			Parcels      []struct {
				ParcelNo  int     `json:"parcel_no"`
				OverlapM2 float64 `json:"overlap_m2"`
				Share     float64
			}
		}
		getJSON(t, h, "/api/v1/constructions/"+strconv.FormatInt(kid, 10)+"/parcels", &out)
		if out.Construction.FootprintAreaM2 != 200 || out.CoveredShare != 1 || len(out.Parcels) != 2 ||
			out.Parcels[0].ParcelNo != 1 || out.Parcels[0].OverlapM2 != 150 || out.Parcels[0].Share != 0.75 ||
			out.Parcels[1].OverlapM2 != 50 || out.Parcels[1].Share != 0.25 {
			t.Errorf("construction %d: %+v, want 200 m² on A (150 m², 0.75) and B (50 m², 0.25)", kid, out)
		}
		wantProblem(t, h, "/api/v1/constructions/999999999/parcels", http.StatusNotFound, "")
	})

	t.Run("land use statistics", func(t *testing.T) {
		type row struct {
			Code           string
			Parcels        int64
			OfficialAreaM2 float64 `json:"official_area_m2"`
			PurposeAreaM2  float64 `json:"purpose_area_m2"`
		}
		var st struct {
			Parcels        int64
			OfficialAreaM2 float64 `json:"official_area_m2"`
			ByLandUse      []row   `json:"by_land_use"`
		}
		getJSON(t, h, "/api/v1/stats/land-use?admin=99901", &st)
		if st.Parcels != 2 || st.OfficialAreaM2 != 4000 || len(st.ByLandUse) != 2 {
			t.Errorf("commune 99901: %+v, want 2 parcels, 4000 m²", st)
		}
		for _, r := range st.ByLandUse {
			if (r.Code == "CLN" && (r.OfficialAreaM2 != 2000 || r.PurposeAreaM2 != 3700)) || (r.Code == "ONT" && r.PurposeAreaM2 != 300) {
				t.Errorf("row %+v", r)
			}
		}
		// The whole demo province before the reform: every demo parcel, their official areas.
		var n int64
		var area float64
		if err := pool.QueryRow(ctx, `SELECT count(*), sum(official_area_m2)::float8 FROM parcels WHERE commune_code <> '99901'`).Scan(&n, &area); err != nil {
			t.Fatal(err)
		}
		getJSON(t, h, "/api/v1/stats/land-use?admin=70&date=2025-06-30", &st)
		if st.Parcels != n || math.Abs(st.OfficialAreaM2-area) > 0.5 {
			t.Errorf("province 70: %d parcels, %.1f m²; want %d, %.1f", st.Parcels, st.OfficialAreaM2, n, area)
		}
		wantProblem(t, h, "/api/v1/stats/land-use?admin=70&date=2026-01-01", http.StatusNotFound, "admin")
	})

	t.Run("bad input is a 400 naming the parameter", func(t *testing.T) {
		for _, tc := range []struct{ target, param string }{
			{"/api/v1/admin-units/at?lon=200&lat=11", "lon"},
			{"/api/v1/admin-units/at?lon=106.9", "lat"},
			{"/api/v1/admin-units/at?lon=106.9&lat=north", "lat"},
			{"/api/v1/admin-units/at?lon=106.9&lat=11.5&date=2025-13-01", "date"},
			{"/api/v1/admin-units/at?lon=106.9&lat=11.5&when=now", "when"},
			{"/api/v1/parcels/at?x=520025&y=1230020&srid=1234", "srid"},
			{"/api/v1/parcels/at?x=520025&y=1230020&srid=6956", "srid"},
			{"/api/v1/parcels/at?x=520025", "y"},
			{"/api/v1/parcels/at?x=520025&y=1&lon=106", "x"},
			{"/api/v1/parcels/at?lon=106.9&lat=95", "lat"},
			{"/api/v1/parcels/at?lon=NaN&lat=11", "lon"},
			{"/api/v1/parcels/abc/1/1", "commune"},
			{"/api/v1/parcels/99901/0/1", "sheet"},
			{"/api/v1/parcels/99901/1/x", "parcel"},
			{"/api/v1/layers/parcels/nearby?lon=106.9&lat=11.5&radius_m=0", "radius_m"},
			{"/api/v1/layers/parcels/nearby?lon=106.9&lat=11.5&radius_m=-5", "radius_m"},
			{"/api/v1/layers/parcels/nearby?lon=106.9&lat=11.5&radius_m=1e9", "radius_m"},
			{"/api/v1/layers/parcels/nearby?lon=106.9&lat=11.5", "radius_m"},
			{"/api/v1/layers/parcels/nearby?lon=106.9&lat=11.5&radius_m=10&limit=0", "limit"},
			{"/api/v1/layers/parcels/nearest?lon=106.9&lat=11.5&k=1000", "k"},
			{"/api/v1/constructions/abc/parcels", "id"},
			{"/api/v1/stats/land-use?admin=7", "admin"},
			{"/api/v1/stats/land-use?admin=70'--", "admin"},
		} {
			wantProblem(t, h, tc.target, http.StatusBadRequest, tc.param)
		}
		wantProblem(t, h, "/api/v1/layers/nope/nearby?lon=106.9&lat=11.5&radius_m=10", http.StatusNotFound, "layer")
		// A body that does not parse or has the wrong shape is 400; one that parses into the
		// right shape but says something refused is 422 (the README's rule; these were 400
		// before it).
		for _, tc := range []struct {
			body, param string
			want        int
		}{
			{`not json`, "body", 400},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "colour": 1}`, "body", 400},
			{`{"geometry": "here"}`, "geometry", 400},
			{`{}`, "geometry", 400},
			{`{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}}`, "geometry", 400},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "buffer_m": "far"}`, "body", 400},
			{`{"geometry": {"type": "Point", "coordinates": [200, 11.5]}}`, "geometry", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "crs": "EPSG:1"}`, "crs", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "buffer_m": -1}`, "buffer_m", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "buffer_m": 1e9}`, "buffer_m", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "layers": ["nope"]}`, "layers", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "limit": -1}`, "limit", 422},
			{`{"geometry": {"type": "Point", "coordinates": [106.9, 11.5]}, "crs": "EPSG:4326\u0000"}`, "body", 400},
		} {
			res, body := post(t, h, "/api/v1/query/intersects", tc.body)
			var p struct {
				InvalidParams []struct{ Name string } `json:"invalid-params"`
			}
			_ = json.Unmarshal(body, &p)
			if res.StatusCode != tc.want || len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != tc.param {
				t.Errorf("POST %s: %d %s, want %d naming %s", tc.body, res.StatusCode, body, tc.want, tc.param)
			}
		}
	})
}
