package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

type testFeature struct {
	ID       int64           `json:"id"`
	Geometry json.RawMessage `json:"geometry"`
	Props    map[string]any  `json:"properties"`
}

func decodeFeatures(tb testing.TB, raw []json.RawMessage) []testFeature {
	tb.Helper()
	out := make([]testFeature, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			tb.Fatalf("feature %d: %v: %s", i, err, r)
		}
	}
	return out
}

func mustCRS(tb testing.TB, s string) geo.CRS {
	tb.Helper()
	c, err := geo.ParseCRS(s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustFilter(tb testing.TB, s string) cql2.Expr {
	tb.Helper()
	e, err := cql2.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// walk follows next cursors from the first page to the end and returns every id in order and
// the cursors of the pages.
func walk(tb testing.TB, s *store.Store, q store.FeatureQuery) (ids []int64, pages [][]int64, prevs []string) {
	tb.Helper()
	ctx := context.Background()
	for range 10000 {
		page, err := s.Features(ctx, q)
		if err != nil {
			tb.Fatalf("Features(cursor %q): %v", q.Cursor, err)
		}
		var pageIDs []int64
		for _, f := range decodeFeatures(tb, page.Features) {
			pageIDs = append(pageIDs, f.ID)
		}
		ids = append(ids, pageIDs...)
		pages = append(pages, pageIDs)
		prevs = append(prevs, page.Prev)
		if page.Next == "" {
			return ids, pages, prevs
		}
		q.Cursor = page.Next
	}
	tb.Fatal("more than 10,000 pages")
	return nil, nil, nil
}

func TestFeatures_Demo(t *testing.T) {
	url := storetest.Demo(t)
	s := storetest.Store(t, url)
	pool := storetest.Pool(t, url)
	ctx := context.Background()
	cat := s.Catalog()
	parcels, _ := cat.Layer("parcels")
	admin, _ := cat.Layer("admin_units")
	if parcels == nil || admin == nil {
		t.Fatal("catalog lacks parcels or admin_units")
	}
	// A box around Đồng Xoài holding a few thousand parcels.
	box := orb.Bound{Min: orb.Point{106.85, 11.50}, Max: orb.Point{106.90, 11.55}}
	var inBox int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcels WHERE ST_Intersects(geom, ST_MakeEnvelope(106.85, 11.50, 106.90, 11.55, 4326))`).Scan(&inBox); err != nil {
		t.Fatal(err)
	}
	if inBox < 200 {
		t.Fatalf("only %d demo parcels in the test box", inBox)
	}

	t.Run("next links visit every feature exactly once", func(t *testing.T) {
		for _, sort := range [][]store.SortKey{
			nil,
			{{Property: "main_use"}, {Property: "official_area_m2", Desc: true}},
			{{Property: "old_sheet_no", Desc: true}}, // mostly NULL: the NULL branch of the keyset
		} {
			q := store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 97, SortBy: sort, Count: true}
			first, err := s.Features(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if first.NumberMatched != inBox {
				t.Errorf("sort %v: numberMatched = %d, want %d", sort, first.NumberMatched, inBox)
			}
			if first.Prev != "" {
				t.Errorf("sort %v: the first page has a prev link", sort)
			}
			ids, pages, prevs := walk(t, s, q)
			if int64(len(ids)) != inBox {
				t.Errorf("sort %v: walked %d features, want %d", sort, len(ids), inBox)
			}
			seen := map[int64]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("sort %v: feature %d seen twice", sort, id)
				}
				seen[id] = true
			}
			// prev of page i gives back page i-1 exactly.
			for i := 1; i < len(pages); i++ {
				q.Cursor = prevs[i]
				back, err := s.Features(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, f := range decodeFeatures(t, back.Features) {
					got = append(got, f.ID)
				}
				if !slices.Equal(got, pages[i-1]) {
					t.Fatalf("sort %v: prev of page %d = %v…, want %v…", sort, i, got[:min(3, len(got))], pages[i-1][:3])
				}
				if (back.Prev == "") != (i == 1) {
					t.Errorf("sort %v: page %d reached backwards has prev %q", sort, i-1, back.Prev)
				}
			}
		}
	})

	t.Run("sort order", func(t *testing.T) {
		q := store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 500,
			SortBy: []store.SortKey{{Property: "official_area_m2", Desc: true}}, Properties: []string{"official_area_m2"}}
		page, err := s.Features(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		fs := decodeFeatures(t, page.Features)
		for i := 1; i < len(fs); i++ {
			a, b := fs[i-1].Props["official_area_m2"].(float64), fs[i].Props["official_area_m2"].(float64)
			if a < b {
				t.Fatalf("feature %d area %v after %v: not descending", i, b, a)
			}
		}
	})

	t.Run("cursor from another sortby is refused", func(t *testing.T) {
		page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Features(ctx, store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 10, Cursor: page.Next,
			SortBy: []store.SortKey{{Property: "main_use"}}})
		if !errors.Is(err, store.ErrCursor) {
			t.Errorf("err = %v, want ErrCursor", err)
		}
		if _, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Limit: 10, Cursor: "!!"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("malformed cursor: err = %v, want ErrInvalid", err)
		}
	})

	t.Run("filter matches SQL", func(t *testing.T) {
		for _, tc := range []struct{ filter, sql string }{
			{"main_use = 'CLN'", `main_use = 'CLN'`},
			{"main_use IN ('ONT', 'ODT') AND official_area_m2 > 300", `main_use IN ('ONT', 'ODT') AND official_area_m2 > 300`},
			{"NOT (sheet_no BETWEEN 2 AND 5) OR address LIKE '%Ấp 1%'", `NOT (sheet_no BETWEEN 2 AND 5) OR address LIKE '%Ấp 1%'`},
			{"S_DWITHIN(geometry, POINT(106.88 11.53), 300)",
				`ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(106.88, 11.53), 4326)::geography, 300)`},
			{"S_INTERSECTS(geometry, BBOX(106.86, 11.51, 106.87, 11.52))",
				`ST_Intersects(geom, ST_MakeEnvelope(106.86, 11.51, 106.87, 11.52, 4326))`},
		} {
			var want int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcels WHERE `+tc.sql).Scan(&want); err != nil {
				t.Fatal(err)
			}
			page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Filter: mustFilter(t, tc.filter), Limit: 1, Count: true})
			if err != nil {
				t.Fatalf("%s: %v", tc.filter, err)
			}
			if page.NumberMatched != want || want == 0 {
				t.Errorf("%s: numberMatched = %d, want %d (> 0)", tc.filter, page.NumberMatched, want)
			}
		}
	})

	t.Run("filter in EPSG:9212 and EPSG:4326 equals CRS84", func(t *testing.T) {
		count := func(filter string, crs geo.CRS) int64 {
			page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Filter: mustFilter(t, filter), FilterCRS: crs, Limit: 1, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			return page.NumberMatched
		}
		x, y, err := geo.FromWGS84(106.88, 11.53, 9212)
		if err != nil {
			t.Fatal(err)
		}
		want := count("S_DWITHIN(geometry, POINT(106.88 11.53), 250)", geo.CRS84)
		if got := count("S_DWITHIN(geometry, POINT(11.53 106.88), 250)", mustCRS(t, "EPSG:4326")); got != want {
			t.Errorf("EPSG:4326 (lat lon) = %d, want %d", got, want)
		}
		p := cql2.Geometry{Geom: orb.Point{x, y}}
		if got := count("S_DWITHIN(geometry, "+p.String()+", 250)", mustCRS(t, "EPSG:9212")); got != want {
			t.Errorf("EPSG:9212 = %d, want %d", got, want)
		}
	})

	t.Run("personal attributes are neither filterable nor returned", func(t *testing.T) {
		_, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Filter: mustFilter(t, "owner_name LIKE 'N%'"), Limit: 1})
		var ce *cql2.Error
		if !errors.As(err, &ce) || ce.Property != "owner_name" || !errors.Is(err, cql2.ErrProperty) {
			t.Errorf("err = %v, want a cql2 property error naming owner_name", err)
		}
		page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range decodeFeatures(t, page.Features) {
			for _, k := range []string{"owner_name", "owner_id_number", "certificate_no"} {
				if _, ok := f.Props[k]; ok {
					t.Fatalf("feature %d carries %s", f.ID, k)
				}
			}
		}
		if _, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Properties: []string{"owner_name"}, Limit: 1}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("properties=owner_name: err = %v, want ErrInvalid", err)
		}
		// A caller allowed to see personal data (a key with parcels:personal) may filter on it
		// and gets it back.
		all := parcels.Attributes
		page, err = s.Features(ctx, store.FeatureQuery{Layer: parcels, Visible: all, Filter: mustFilter(t, "owner_name LIKE 'Nguyễn%'"),
			Properties: []string{"owner_name"}, Limit: 5, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM parcels WHERE owner_name LIKE 'Nguyễn%'`).Scan(&want)
		if page.NumberMatched != want || want == 0 {
			t.Errorf("owner_name filter with personal access: %d, want %d (> 0)", page.NumberMatched, want)
		}
		for _, f := range decodeFeatures(t, page.Features) {
			if name, _ := f.Props["owner_name"].(string); !strings.HasPrefix(name, "Nguyễn") {
				t.Errorf("feature %d owner %q", f.ID, name)
			}
		}
	})

	t.Run("properties", func(t *testing.T) {
		page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, BBox: &box, Limit: 3, Properties: []string{"main_use", "sheet_no"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range decodeFeatures(t, page.Features) {
			if len(f.Props) != 2 || f.Props["main_use"] == nil || f.Props["sheet_no"] == nil {
				t.Errorf("properties = %v, want exactly main_use and sheet_no", f.Props)
			}
		}
	})

	t.Run("output CRS and axis order", func(t *testing.T) {
		var id int64
		var lon, lat float64
		if err := pool.QueryRow(ctx, `SELECT id, ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)), ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1))
			FROM parcels ORDER BY id LIMIT 1`).Scan(&id, &lon, &lat); err != nil {
			t.Fatal(err)
		}
		first := func(crs geo.CRS) [2]float64 {
			raw, err := s.Feature(ctx, parcels, id, crs, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Geometry struct {
					Type        string
					Coordinates [][][][2]float64
				}
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			return f.Geometry.Coordinates[0][0][0]
		}
		if got := first(geo.CRS84); math.Abs(got[0]-lon) > 1e-9 || math.Abs(got[1]-lat) > 1e-9 {
			t.Errorf("CRS84 first vertex = %v, want [%v %v] (lon, lat)", got, lon, lat)
		}
		if got := first(mustCRS(t, "EPSG:4326")); math.Abs(got[0]-lat) > 1e-9 || math.Abs(got[1]-lon) > 1e-9 {
			t.Errorf("EPSG:4326 first vertex = %v, want [%v %v] (lat, lon)", got, lat, lon)
		}
		x, y, err := geo.FromWGS84(lon, lat, 9212)
		if err != nil {
			t.Fatal(err)
		}
		if got := first(mustCRS(t, "EPSG:9212")); math.Abs(got[0]-x) > 0.01 || math.Abs(got[1]-y) > 0.01 {
			t.Errorf("EPSG:9212 first vertex = %v, want [%.3f %.3f] within 1 cm (PostGIS vs geo)", got, x, y)
		}
		if _, err := s.Feature(ctx, parcels, -1, geo.CRS84, nil, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("feature -1: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("bbox in other CRSs", func(t *testing.T) {
		count := func(b orb.Bound, crs geo.CRS) int64 {
			page, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, BBox: &b, BBoxCRS: crs, Limit: 1, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			return page.NumberMatched
		}
		latlon := orb.Bound{Min: orb.Point{box.Min[1], box.Min[0]}, Max: orb.Point{box.Max[1], box.Max[0]}}
		if got := count(latlon, mustCRS(t, "EPSG:4326")); got != inBox {
			t.Errorf("bbox-crs EPSG:4326 (lat, lon) = %d, want %d", got, inBox)
		}
		// The same area in TM-3 is a slightly curved quadrilateral; a box around it holds a few
		// more parcels, never fewer.
		b9212, err := geo.Project(box, 9212)
		if err != nil {
			t.Fatal(err)
		}
		if got := count(b9212.(orb.Bound), mustCRS(t, "EPSG:9212")); got < inBox || float64(got) > float64(inBox)*1.05 {
			t.Errorf("bbox-crs EPSG:9212 = %d, want %d to 5%% more", got, inBox)
		}
	})

	t.Run("datetime on admin units", func(t *testing.T) {
		codes := func(day string) []string {
			d, _ := time.Parse(time.DateOnly, day)
			page, err := s.Features(ctx, store.FeatureQuery{Layer: admin, Time: &store.TimeRange{Start: d, End: d},
				Filter: mustFilter(t, "level = 'province'"), Limit: 10, Properties: []string{"code"}})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, f := range decodeFeatures(t, page.Features) {
				out = append(out, f.Props["code"].(string))
			}
			return out
		}
		if got := codes("2025-06-30"); !slices.Equal(got, []string{"70"}) {
			t.Errorf("provinces on 2025-06-30 = %v, want [70]", got)
		}
		if got := codes("2025-07-01"); !slices.Equal(got, []string{"75"}) {
			t.Errorf("provinces on 2025-07-01 = %v, want [75]", got)
		}
		page, err := s.Features(ctx, store.FeatureQuery{Layer: admin, Count: true, Limit: 1,
			Time: &store.TimeRange{Start: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}}) // 2025-06-01/..
		if err != nil {
			t.Fatal(err)
		}
		var all int64
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM admin_units`).Scan(&all)
		if page.NumberMatched != all {
			t.Errorf("units valid some time since 2025-06-01 = %d, want all %d", page.NumberMatched, all)
		}
		if _, err := s.Features(ctx, store.FeatureQuery{Layer: parcels, Time: &store.TimeRange{}, Limit: 1}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("datetime on parcels: err = %v, want ErrInvalid", err)
		}
		start, end, err := s.TemporalExtent(ctx, admin)
		if err != nil || start != nil || end != nil {
			t.Errorf("TemporalExtent(admin_units) = %v, %v, %v; want open on both ends", start, end, err)
		}
	})
}
