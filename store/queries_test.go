package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

// The fixtures of the domain-query tests are drawn in VN-2000 / TM-3 106-15 (EPSG:9212), where
// official areas are defined, south of the demo province (about 11.12°N, 106.43°E) so that no
// demo feature is near them:
//
//	A: parcel 99901/1/1, 50 m × 40 m = 2000 m², E 520000–520050, N 1230000–1230040, main use CLN
//	B: parcel 99901/1/2, the same east of A (E 520050–520100), purposes ONT 300 m² + CLN 1700 m²
//	K: construction, 20 m × 10 m = 200 m², E 520035–520055, N 1230010–1230020: 150 m² on A, 50 m² on B
//	C: parcel 99901/2/1, 1 m × 1 m, its west edge 100 m east of Q (E 530000, N 1240000)
//	D: parcel 99901/2/2, 1 m × 1 m, its south edge 100.5 m north of Q
//	U: commune 99901, E 519000–521000, N 1229000–1231000, valid from 2020-01-01
const (
	fixtureCommune = "99901"
	qE, qN         = 530000.0, 1240000.0
)

// envelope9212 is the WKT of a rectangle in EPSG:9212; the fixtures bind it as a parameter.
func envelope9212(minE, minN, maxE, maxN float64) string {
	return cql2.Geometry{Geom: orb.Bound{Min: orb.Point{minE, minN}, Max: orb.Point{maxE, maxN}}.ToPolygon()}.String()
}

// fromTM3 is the SQL turning a bound WKT in EPSG:9212 into the stored geometry.
const fromTM3 = `ST_Multi(ST_Transform(ST_GeomFromText($1, 9212), 4326))`

func loadQueryFixtures(tb testing.TB, pool *pgxpool.Pool) (constructionID int64) {
	tb.Helper()
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		tb.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			tb.Fatalf("fixture: %v\n%s", err, sql)
		}
	}
	parcel := func(sheet, no int, landUse, wkt string) {
		exec(`INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, address, owner_name, geom)
			VALUES ($2, $3, $4, $5::jsonb, 'Ấp Thử, xã Thử', 'Nguyễn Văn Thử', `+fromTM3+`)`, wkt, fixtureCommune, sheet, no, landUse)
	}
	parcel(1, 1, `[{"code": "CLN", "area": 2000}]`, envelope9212(520000, 1230000, 520050, 1230040))
	parcel(1, 2, `[{"code": "ONT", "area": 300}, {"code": "CLN", "area": 1700}]`, envelope9212(520050, 1230000, 520100, 1230040))
	parcel(2, 1, `[{"code": "HNK", "area": 1}]`, envelope9212(qE+100, qN-0.5, qE+101, qN+0.5))
	parcel(2, 2, `[{"code": "HNK", "area": 1}]`, envelope9212(qE-0.5, qN+100.5, qE+0.5, qN+101.5))
	if err := pool.QueryRow(ctx, `INSERT INTO constructions (permit_no, kind, status, geom)
		VALUES ('GP-THU-01', 'nhà ở riêng lẻ', 'permitted', `+fromTM3+`) RETURNING id`,
		envelope9212(520035, 1230010, 520055, 1230020)).Scan(&constructionID); err != nil {
		tb.Fatal(err)
	}
	exec(`INSERT INTO admin_units (code, level, kind, name, parent_code, valid_from, geom)
		VALUES ($2, 'commune', 'Xã', 'Xã Thử Nghiệm', '75', '2020-01-01', `+fromTM3+`)`,
		envelope9212(519000, 1229000, 521000, 1231000), fixtureCommune)
	return constructionID
}

// geographyDistance is the reference distance from (lon, lat) to the parcel with the given key,
// computed independently with ST_Distance on geography.
func geographyDistance(tb testing.TB, pool *pgxpool.Pool, lon, lat float64, sheet, no int) float64 {
	tb.Helper()
	var d float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography)
		FROM parcels WHERE commune_code = $3 AND sheet_no = $4 AND parcel_no = $5`, lon, lat, fixtureCommune, sheet, no).Scan(&d); err != nil {
		tb.Fatal(err)
	}
	return d
}

func toWGS84(tb testing.TB, e, n float64) (lon, lat float64) {
	tb.Helper()
	lon, lat, err := geo.ToWGS84(e, n, 9212)
	if err != nil {
		tb.Fatal(err)
	}
	return lon, lat
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func featureKey(tb testing.TB, raw json.RawMessage) (sheet, no int) {
	tb.Helper()
	var f struct {
		Properties struct {
			SheetNo  int `json:"sheet_no"`
			ParcelNo int `json:"parcel_no"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		tb.Fatal(err)
	}
	return f.Properties.SheetNo, f.Properties.ParcelNo
}

func TestQueries_KnownAnswers(t *testing.T) {
	url := storetest.Demo(t)
	pool := storetest.Pool(t, url)
	s := storetest.Store(t, url)
	kid := loadQueryFixtures(t, pool)
	ctx := context.Background()
	parcels, _ := s.Catalog().Layer("parcels")
	constructions, _ := s.Catalog().Layer("constructions")
	today := time.Now()

	t.Run("parcel by key has the official area of a 50 m × 40 m TM-3 rectangle", func(t *testing.T) {
		p, commune, err := s.ParcelByKey(ctx, fixtureCommune, 1, 1, store.ParcelOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.OfficialAreaM2 != 2000.0 {
			t.Errorf("official area = %v m², want 2000.0", p.OfficialAreaM2)
		}
		if p.MainUse != "CLN" || commune == nil || commune.Name != "Xã Thử Nghiệm" {
			t.Errorf("main use %q, commune %+v; want CLN in Xã Thử Nghiệm", p.MainUse, commune)
		}
		raw, _ := json.Marshal(p)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		for _, k := range []string{"owner_name", "owner_id_number", "certificate_no"} {
			if _, ok := m[k]; ok {
				t.Errorf("the parcel record carries %s", k)
			}
		}
		if _, _, err := s.ParcelByKey(ctx, fixtureCommune, 9, 9, store.ParcelOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing parcel: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("parcels at a VN-2000 point and at its WGS 84 equivalent", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			p    store.Point
			want []int // parcel numbers on sheet 1
		}{
			{"inside A, EPSG:9212", store.Point{X: 520025, Y: 1230020, SRID: 9212}, []int{1}},
			{"inside B, EPSG:9212", store.Point{X: 520075, Y: 1230020, SRID: 9212}, []int{2}},
			{"outside", store.Point{X: 520025, Y: 1230060, SRID: 9212}, nil},
		} {
			got, units, err := s.ParcelsAt(ctx, tc.p, today, store.ParcelOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var nos []int
			for _, p := range got {
				nos = append(nos, p.ParcelNo)
			}
			if len(nos) != len(tc.want) || (len(nos) > 0 && (nos[0] != tc.want[0] || nos[len(nos)-1] != tc.want[len(tc.want)-1])) {
				t.Errorf("%s: parcels %v, want %v", tc.name, nos, tc.want)
			}
			if len(units) != 1 || units[0].Code != fixtureCommune {
				t.Errorf("%s: units %+v, want the test commune", tc.name, units)
			}
		}
		lon, lat := toWGS84(t, 520025, 1230020)
		got, _, err := s.ParcelsAt(ctx, store.Point{X: lon, Y: lat, SRID: 4326}, today, store.ParcelOptions{})
		if err != nil || len(got) != 1 || got[0].ParcelNo != 1 {
			t.Errorf("lon/lat of the same point: %v, %v; want parcel 1", got, err)
		}
		// A corner A and B share is stored bit for bit the same in both: both contain it. (A
		// point on the edge given in TM-3 would not do: reprojection moves it by a rounding.)
		if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_DumpPoints(geom)).geom AS p FROM parcels
			WHERE commune_code = $1 AND sheet_no = 1 AND parcel_no = 2) x ORDER BY ST_X(p), ST_Y(p) LIMIT 1`, fixtureCommune).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		got, _, err = s.ParcelsAt(ctx, store.Point{X: lon, Y: lat, SRID: 4326}, today, store.ParcelOptions{})
		if err != nil || len(got) != 2 {
			t.Errorf("shared corner: %d parcels, %v; want A and B", len(got), err)
		}
	})

	t.Run("nearby distances are true distances, nearest first", func(t *testing.T) {
		// 100 m west of A's west edge, at mid-height.
		lon, lat := toWGS84(t, 519900, 1230020)
		got, err := s.Nearby(ctx, parcels, lon, lat, 120, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("within 120 m: %d features, want 1 (A)", len(got))
		}
		refA := geographyDistance(t, pool, lon, lat, 1, 1)
		if !near(got[0].DistanceM, refA, 1e-6) || !near(got[0].DistanceM, 100, 0.05) {
			t.Errorf("distance to A = %.4f m, want ST_Distance(geography) %.4f ≈ 100 m (TM-3 scale ~1.0001)", got[0].DistanceM, refA)
		}
		got, err = s.Nearby(ctx, parcels, lon, lat, 200, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("within 200 m: %d features, want 2", len(got))
		}
		if sh, no := featureKey(t, got[1].Feature); sh != 1 || no != 2 || !near(got[1].DistanceM, geographyDistance(t, pool, lon, lat, 1, 2), 1e-6) {
			t.Errorf("second = %d/%d at %.3f m, want B at ~150 m", sh, no, got[1].DistanceM)
		}
		// Just outside the radius stays out: A is 100.01 m away.
		if got, _ := s.Nearby(ctx, parcels, lon, lat, 99.9, 10); len(got) != 0 {
			t.Errorf("within 99.9 m: %d features, want 0", len(got))
		}
		if _, err := s.Nearby(ctx, parcels, lon, lat, 0, 10); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("radius 0: err = %v, want ErrInvalid", err)
		}
	})

	t.Run("nearest is exact where degrees mislead", func(t *testing.T) {
		// C is 100 m east, D 100.5 m north of Q. Degrees of longitude are shorter than degrees of
		// latitude here, so the index's degree distance ranks D first; metres say C.
		lon, lat := toWGS84(t, qE, qN)
		var naive int
		if err := pool.QueryRow(ctx, `SELECT parcel_no FROM parcels WHERE commune_code = $3 AND sheet_no = 2
			ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 1`, lon, lat, fixtureCommune).Scan(&naive); err != nil {
			t.Fatal(err)
		}
		if naive != 2 {
			t.Fatalf("premise: plain KNN in degrees ranks parcel 2/%d first, want 2/2 (D)", naive)
		}
		got, err := s.Nearest(ctx, parcels, lon, lat, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d features, want 1", len(got))
		}
		if sh, no := featureKey(t, got[0].Feature); sh != 2 || no != 1 {
			t.Errorf("nearest = %d/%d at %.3f m, want parcel 2/1 (C, 100 m east)", sh, no, got[0].DistanceM)
		}
		if ref := geographyDistance(t, pool, lon, lat, 2, 1); !near(got[0].DistanceM, ref, 1e-6) {
			t.Errorf("distance %.4f, want %.4f", got[0].DistanceM, ref)
		}
		got, err = s.Nearest(ctx, parcels, lon, lat, 2)
		if err != nil || len(got) != 2 || got[0].DistanceM > got[1].DistanceM {
			t.Fatalf("k=2: %d features, %v; want C then D", len(got), err)
		}
		if sh, no := featureKey(t, got[1].Feature); sh != 2 || no != 2 {
			t.Errorf("second nearest = %d/%d, want 2/2 (D)", sh, no)
		}
	})

	t.Run("intersects in EPSG:9212 with overlap areas", func(t *testing.T) {
		// A 20 m × 40 m strip over the A|B edge: 400 m² of each, and 150 m² of K.
		strip := orb.Polygon{{{520040, 1230000}, {520060, 1230000}, {520060, 1230040}, {520040, 1230040}, {520040, 1230000}}}
		hits, err := s.Intersect(ctx, store.IntersectRequest{Geometry: strip, CRS: mustCRS(t, "EPSG:9212"),
			Layers: []*store.Layer{parcels, constructions}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 2 || len(hits[0].Features) != 2 || len(hits[1].Features) != 1 {
			t.Fatalf("hits = %+v, want 2 parcels and 1 construction", hits)
		}
		for _, h := range hits[0].Features {
			if !near(h.IntersectionAreaM2, 400, 0.01) {
				t.Errorf("parcel %d overlap = %.4f m², want 400", h.ID, h.IntersectionAreaM2)
			}
		}
		if a := hits[1].Features[0].IntersectionAreaM2; !near(a, 150, 0.01) {
			t.Errorf("construction overlap = %.4f m², want 150", a)
		}
	})

	t.Run("intersects a buffered point", func(t *testing.T) {
		// A 10 m buffer of A's centre lies inside A: PostGIS's 32-gon of radius 10 m has area
		// 16 · 10² · sin(π/16) = 312.14 m².
		lon, lat := toWGS84(t, 520025, 1230020)
		hits, err := s.Intersect(ctx, store.IntersectRequest{Geometry: orb.Point{lon, lat}, BufferM: 10, Layers: []*store.Layer{parcels}})
		if err != nil {
			t.Fatal(err)
		}
		want := 16 * 100 * math.Sin(math.Pi/16)
		if len(hits[0].Features) != 1 || !near(hits[0].Features[0].IntersectionAreaM2, want, 0.05) {
			t.Errorf("hits = %+v, want A with %.2f m²", hits[0].Features, want)
		}
	})

	t.Run("parcels under a construction", func(t *testing.T) {
		co, err := s.ConstructionParcels(ctx, kid)
		if err != nil {
			t.Fatal(err)
		}
		if !near(co.FootprintM2, 200, 0.01) {
			t.Errorf("footprint = %.4f m², want 200", co.FootprintM2)
		}
		if len(co.Parcels) != 2 {
			t.Fatalf("%d parcels, want 2", len(co.Parcels))
		}
		for i, want := range []struct {
			no          int
			area, share float64
		}{{1, 150, 0.75}, {2, 50, 0.25}} {
			got := co.Parcels[i]
			if got.Parcel.ParcelNo != want.no || !near(got.OverlapM2, want.area, 0.01) || !near(got.Share, want.share, 1e-4) {
				t.Errorf("parcel %d: %d, %.4f m², share %.5f; want %d, %v m², %v", i, got.Parcel.ParcelNo, got.OverlapM2, got.Share, want.no, want.area, want.share)
			}
		}
		if _, err := s.ConstructionParcels(ctx, -1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing construction: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("land use statistics of the test commune", func(t *testing.T) {
		st, err := s.LandUseStatistics(ctx, fixtureCommune, today)
		if err != nil {
			t.Fatal(err)
		}
		if st.Parcels != 2 || st.OfficialAreaM2 != 4000 {
			t.Errorf("totals %d parcels, %v m²; want 2, 4000", st.Parcels, st.OfficialAreaM2)
		}
		want := map[string]store.LandUseRow{
			"CLN": {Code: "CLN", Parcels: 1, OfficialAreaM2: 2000, PurposeParcels: 2, PurposeAreaM2: 3700},
			"ONT": {Code: "ONT", Parcels: 1, OfficialAreaM2: 2000, PurposeParcels: 1, PurposeAreaM2: 300},
		}
		if len(st.Rows) != 2 {
			t.Fatalf("rows = %+v", st.Rows)
		}
		for _, r := range st.Rows {
			w := want[r.Code]
			r.Name = ""
			if r != w {
				t.Errorf("row %+v, want %+v", r, w)
			}
		}
		if _, err := s.LandUseStatistics(ctx, fixtureCommune, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("before the commune existed: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("admin units before and after the 2025 reform", func(t *testing.T) {
		var lon, lat float64
		var commune, district string
		if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p), code, parent_code FROM (
				SELECT ST_PointOnSurface(geom) AS p, code, parent_code FROM admin_units
				WHERE level = 'commune' AND valid_to = '2025-07-01' ORDER BY code LIMIT 1) x`).Scan(&lon, &lat, &commune, &district); err != nil {
			t.Fatal(err)
		}
		levels := func(day string) map[string]string {
			d, _ := time.Parse(time.DateOnly, day)
			units, err := s.AdminUnitsAt(ctx, store.Point{X: lon, Y: lat, SRID: 4326}, d)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, u := range units {
				m[u.Level] = u.Code
			}
			return m
		}
		before := levels("2025-06-30")
		if before["province"] != "70" || before["district"] != district || before["commune"] != commune {
			t.Errorf("on 2025-06-30: %v, want province 70, district %s, commune %s", before, district, commune)
		}
		after := levels("2025-07-01")
		if after["province"] != "75" || after["district"] != "" || after["commune"] == "" {
			t.Errorf("on 2025-07-01: %v, want province 75, a commune and no district", after)
		}
	})
}
