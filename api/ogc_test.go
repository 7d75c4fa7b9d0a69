package api_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store/storetest"
)

type ogcLink struct {
	Href, Rel, Type string
}

type ogcPage struct {
	Type           string
	NumberMatched  int64
	NumberReturned int
	TimeStamp      string
	Links          []ogcLink
	Features       []struct {
		ID       int64
		Geometry struct {
			Type        string
			Coordinates json.RawMessage
		}
		Properties map[string]any
	}
}

func (p ogcPage) link(rel string) string {
	for _, l := range p.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// pathOf strips scheme and host from a link so it can be requested from the handler.
func pathOf(t testing.TB, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("link %q: %v", href, err)
	}
	return u.RequestURI()
}

func getJSON(t testing.TB, h http.Handler, target string, v any) *http.Response {
	t.Helper()
	res, body := get(t, h, "GET", target)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %.300s", target, err, body)
	}
	return res
}

// wantProblem checks a 4xx problem+json answer naming param (if not empty).
func wantProblem(t testing.TB, h http.Handler, target string, status int, param string) {
	t.Helper()
	res, body := get(t, h, "GET", target)
	if res.StatusCode != status {
		t.Errorf("GET %s: status %d, want %d (%s)", target, res.StatusCode, status, body)
		return
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("GET %s: Content-Type %q, want application/problem+json", target, ct)
	}
	var p struct {
		InvalidParams []struct{ Name, Reason string } `json:"invalid-params"`
	}
	_ = json.Unmarshal(body, &p)
	if param != "" && (len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != param) {
		t.Errorf("GET %s: invalid-params %+v, want %q named (%s)", target, p.InvalidParams, param, body)
	}
	for _, leak := range []string{"SELECT", "pgx", "SQLSTATE", "ST_"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("GET %s: the answer leaks %q: %s", target, leak, body)
		}
	}
}

func TestOGC(t *testing.T) {
	dbURL := storetest.Demo(t)
	s := storetest.Store(t, dbURL)
	pool := storetest.Pool(t, dbURL)
	h := newServer(t, s)
	ctx := context.Background()
	count := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("landing page and conformance", func(t *testing.T) {
		var landing struct{ Links []ogcLink }
		getJSON(t, h, "/ogc", &landing)
		rels := map[string]ogcLink{}
		for _, l := range landing.Links {
			rels[l.Rel] = l
		}
		if d := rels["service-desc"]; d.Type != "application/vnd.oai.openapi+json;version=3.0" || !strings.HasSuffix(d.Href, "/ogc/api") {
			t.Errorf("service-desc link %+v", d)
		}
		for _, rel := range []string{"self", "conformance", "data"} {
			if rels[rel].Href == "" {
				t.Errorf("no %s link", rel)
			}
		}
		var conf struct{ ConformsTo []string }
		getJSON(t, h, "/ogc/conformance", &conf)
		for _, c := range []string{
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
			"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
			"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
			"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
			"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
			"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
			"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
			"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
			"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
			"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
		} {
			if !slices.Contains(conf.ConformsTo, c) {
				t.Errorf("conformance lacks %s", c)
			}
		}
	})

	t.Run("collections list their CRSs", func(t *testing.T) {
		var doc struct {
			Collections []struct {
				ID         string
				CRS        []string
				StorageCRS string
				Extent     struct {
					Spatial struct{ BBox [][]float64 }
				}
				Links []ogcLink
			}
		}
		getJSON(t, h, "/ogc/collections", &doc)
		var ids []string
		for _, c := range doc.Collections {
			ids = append(ids, c.ID)
			for _, crs := range []string{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/EPSG/0/4326",
				"http://www.opengis.net/def/crs/EPSG/0/3857", "http://www.opengis.net/def/crs/EPSG/0/3405",
				"http://www.opengis.net/def/crs/EPSG/0/9212", "http://www.opengis.net/def/crs/EPSG/0/5899"} {
				if !slices.Contains(c.CRS, crs) {
					t.Errorf("%s: crs lacks %s", c.ID, crs)
				}
			}
			if c.StorageCRS != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
				t.Errorf("%s: storageCrs %q", c.ID, c.StorageCRS)
			}
			if len(c.Extent.Spatial.BBox) != 1 || len(c.Extent.Spatial.BBox[0]) != 4 {
				t.Errorf("%s: extent %v", c.ID, c.Extent.Spatial.BBox)
			}
		}
		for _, want := range []string{"admin_units", "constructions", "parcels"} {
			if !slices.Contains(ids, want) {
				t.Errorf("collections %v lack %s", ids, want)
			}
		}
		var one struct{ ID string }
		getJSON(t, h, "/ogc/collections/parcels", &one)
		if one.ID != "parcels" {
			t.Errorf("collection id %q", one.ID)
		}
	})

	t.Run("queryables", func(t *testing.T) {
		res, body := get(t, h, "GET", "/ogc/collections/parcels/queryables")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/schema+json" {
			t.Fatalf("queryables: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var q struct {
			Properties map[string]map[string]any
		}
		_ = json.Unmarshal(body, &q)
		for _, want := range []string{"main_use", "sheet_no", "official_area_m2", "address", "geometry", "id"} {
			if _, ok := q.Properties[want]; !ok {
				t.Errorf("queryables lack %s", want)
			}
		}
		for _, personal := range []string{"owner_name", "owner_id_number", "certificate_no", "land_use"} {
			if _, ok := q.Properties[personal]; ok {
				t.Errorf("queryables offer %s", personal)
			}
		}
		if q.Properties["sheet_no"]["type"] != "integer" || q.Properties["geometry"]["format"] != "geometry-multipolygon" {
			t.Errorf("types: sheet_no %v, geometry %v", q.Properties["sheet_no"], q.Properties["geometry"])
		}
	})

	t.Run("items: defaults, counts and headers", func(t *testing.T) {
		var page ogcPage
		res := getJSON(t, h, "/ogc/collections/parcels/items", &page)
		if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if crs := res.Header.Get("Content-Crs"); crs != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
			t.Errorf("Content-Crs %q", crs)
		}
		if page.Type != "FeatureCollection" || page.NumberReturned != 10 || len(page.Features) != 10 || page.TimeStamp == "" {
			t.Errorf("page: type %q, returned %d, %d features, timeStamp %q", page.Type, page.NumberReturned, len(page.Features), page.TimeStamp)
		}
		if want := count(`SELECT count(*) FROM parcels`); page.NumberMatched != want {
			t.Errorf("numberMatched %d, want %d", page.NumberMatched, want)
		}
		if page.link("self") == "" || page.link("next") == "" || page.link("prev") != "" {
			t.Errorf("links %+v: want self and next, no prev", page.Links)
		}
		for _, f := range page.Features {
			for _, k := range []string{"owner_name", "owner_id_number", "certificate_no"} {
				if _, ok := f.Properties[k]; ok {
					t.Fatalf("feature %d carries %s", f.ID, k)
				}
			}
		}
		res = getJSON(t, h, "/ogc/collections/parcels/items?crs=http://www.opengis.net/def/crs/EPSG/0/9212&limit=1", &page)
		if crs := res.Header.Get("Content-Crs"); crs != "<http://www.opengis.net/def/crs/EPSG/0/9212>" {
			t.Errorf("Content-Crs %q", crs)
		}
	})

	t.Run("EPSG:4326 answers latitude first, CRS84 longitude first", func(t *testing.T) {
		first := func(crs string) [2]float64 {
			var page ogcPage
			getJSON(t, h, "/ogc/collections/parcels/items?limit=1&sortby=id&crs="+crs, &page)
			var mp [][][][2]float64
			if err := json.Unmarshal(page.Features[0].Geometry.Coordinates, &mp); err != nil {
				t.Fatal(err)
			}
			return mp[0][0][0]
		}
		lonlat, latlon := first("CRS84"), first("EPSG:4326")
		if lonlat[0] < 100 || lonlat[1] > 20 || latlon[0] != lonlat[1] || latlon[1] != lonlat[0] {
			t.Errorf("CRS84 %v, EPSG:4326 %v: want the same point with axes swapped (lon ≈ 106.9, lat ≈ 11.5)", lonlat, latlon)
		}
		// bbox-crs=EPSG:4326 takes lat,lon too.
		var a, b ogcPage
		getJSON(t, h, "/ogc/collections/parcels/items?limit=1&bbox=106.85,11.50,106.90,11.55", &a)
		getJSON(t, h, "/ogc/collections/parcels/items?limit=1&bbox=11.50,106.85,11.55,106.90&bbox-crs=EPSG:4326", &b)
		if a.NumberMatched == 0 || a.NumberMatched != b.NumberMatched {
			t.Errorf("bbox lon/lat matched %d, lat/lon with bbox-crs EPSG:4326 %d", a.NumberMatched, b.NumberMatched)
		}
	})

	t.Run("next links reach every feature once, prev links go back", func(t *testing.T) {
		want := count(`SELECT count(*) FROM parcels WHERE ST_Intersects(geom, ST_MakeEnvelope(106.85, 11.50, 106.90, 11.55, 4326)) AND main_use <> 'CLN'`)
		target := "/ogc/collections/parcels/items?limit=37&bbox=106.85,11.50,106.90,11.55&filter=" + url.QueryEscape("main_use <> 'CLN'") + "&sortby=-official_area_m2"
		seen := map[int64]bool{}
		var pages []string
		var firstIDs []int64
		for target != "" {
			pages = append(pages, target)
			var page ogcPage
			getJSON(t, h, target, &page)
			if page.NumberMatched != want {
				t.Fatalf("numberMatched %d, want %d", page.NumberMatched, want)
			}
			for _, f := range page.Features {
				if seen[f.ID] {
					t.Fatalf("feature %d twice", f.ID)
				}
				seen[f.ID] = true
				if len(pages) == 1 {
					firstIDs = append(firstIDs, f.ID)
				}
			}
			target = ""
			if n := page.link("next"); n != "" {
				target = pathOf(t, n)
			}
		}
		if int64(len(seen)) != want || len(pages) < 3 {
			t.Fatalf("walked %d features over %d pages, want %d over several", len(seen), len(pages), want)
		}
		var second ogcPage
		getJSON(t, h, pages[1], &second)
		var back ogcPage
		getJSON(t, h, pathOf(t, second.link("prev")), &back)
		var backIDs []int64
		for _, f := range back.Features {
			backIDs = append(backIDs, f.ID)
		}
		if !slices.Equal(backIDs, firstIDs) {
			t.Errorf("prev of page 2 = %v, want page 1 %v", backIDs, firstIDs)
		}
	})

	t.Run("filters", func(t *testing.T) {
		cases := []struct {
			query string
			sql   string
		}{
			{"filter=" + url.QueryEscape("main_use IN ('ONT','ODT') AND official_area_m2 BETWEEN 200 AND 1000"),
				`main_use IN ('ONT','ODT') AND official_area_m2 BETWEEN 200 AND 1000`},
			{"filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"like","args":[{"property":"address"},"%Ấp 2%"]}`),
				`address LIKE '%Ấp 2%'`},
			{"main_use=CLN&sheet_no=3", `main_use = 'CLN' AND sheet_no = 3`},
			{"filter=" + url.QueryEscape("S_INTERSECTS(geometry, POLYGON((106.85 11.50, 106.90 11.50, 106.90 11.55, 106.85 11.50)))"),
				`ST_Intersects(geom, ST_GeomFromText('POLYGON((106.85 11.50, 106.90 11.50, 106.90 11.55, 106.85 11.50))', 4326))`},
			{"filter-crs=EPSG:4326&filter=" + url.QueryEscape("S_DWITHIN(geometry, POINT(11.53 106.88), 500, meters)"),
				`ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(106.88, 11.53), 4326)::geography, 500)`},
			{"filter=" + url.QueryEscape("legal_area_m2 IS NOT NULL AND NOT (main_use = 'CLN')"), `legal_area_m2 IS NOT NULL AND NOT (main_use = 'CLN')`},
		}
		for _, tc := range cases {
			var page ogcPage
			getJSON(t, h, "/ogc/collections/parcels/items?limit=1&"+tc.query, &page)
			if want := count(`SELECT count(*) FROM parcels WHERE ` + tc.sql); page.NumberMatched != want || want == 0 {
				t.Errorf("%s: numberMatched %d, want %d (> 0)", tc.query, page.NumberMatched, want)
			}
		}
		var hits ogcPage
		getJSON(t, h, "/ogc/collections/parcels/items?resultType=hits&main_use=ONT", &hits)
		if hits.NumberMatched != count(`SELECT count(*) FROM parcels WHERE main_use = 'ONT'`) || len(hits.Features) != 0 {
			t.Errorf("resultType=hits: %d matched, %d features", hits.NumberMatched, len(hits.Features))
		}
	})

	t.Run("datetime on administrative units", func(t *testing.T) {
		codes := func(dt string) []string {
			var page ogcPage
			getJSON(t, h, "/ogc/collections/admin_units/items?level=province&properties=code&datetime="+dt, &page)
			var out []string
			for _, f := range page.Features {
				out = append(out, f.Properties["code"].(string))
			}
			return out
		}
		if got := codes("2025-06-30"); !slices.Equal(got, []string{"70"}) {
			t.Errorf("2025-06-30: %v, want [70]", got)
		}
		if got := codes("2025-07-01T00:00:00%2B07:00"); !slices.Equal(got, []string{"75"}) {
			t.Errorf("2025-07-01T00:00+07:00: %v, want [75]", got)
		}
		if got := codes("2025-06-01/2025-08-01"); len(got) != 2 {
			t.Errorf("June to August 2025: %v, want both provinces", got)
		}
		if got := codes("../2024-01-01"); !slices.Equal(got, []string{"70"}) {
			t.Errorf("until 2024: %v, want [70]", got)
		}
	})

	t.Run("one item", func(t *testing.T) {
		var id int64
		_ = pool.QueryRow(ctx, `SELECT min(id) FROM constructions`).Scan(&id)
		var f struct {
			ID         int64
			Properties map[string]any
			Links      []ogcLink
		}
		res := getJSON(t, h, "/ogc/collections/constructions/items/"+itoa64(id)+"?crs=EPSG:5899", &f)
		if f.ID != id || len(f.Links) < 2 || res.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/5899>" {
			t.Errorf("item %d: %+v, Content-Crs %q", id, f, res.Header.Get("Content-Crs"))
		}
		wantProblem(t, h, "/ogc/collections/constructions/items/999999999", 404, "")
		wantProblem(t, h, "/ogc/collections/constructions/items/abc", 404, "")
	})

	t.Run("bad input is a 400 naming the parameter", func(t *testing.T) {
		items := "/ogc/collections/parcels/items?"
		for _, tc := range []struct {
			query, param string
		}{
			{"limit=0", "limit"}, {"limit=10001", "limit"}, {"limit=ten", "limit"}, {"limit=1&limit=2", "limit"},
			{"bbox=1,2,3", "bbox"}, {"bbox=107,11,106,12", "bbox"}, {"bbox=106,12,107,11", "bbox"}, {"bbox=200,0,201,1", "bbox"},
			{"bbox=a,b,c,d", "bbox"}, {"bbox=106.8,11.5,106.9,11.6&bbox-crs=EPSG:4326", "bbox"},
			{"bbox-crs=EPSG:6956&bbox=1,2,3,4", "bbox-crs"}, {"crs=EPSG:1234", "crs"}, {"crs=urn:nonsense", "crs"},
			{"filter=" + url.QueryEscape("main_use ="), "filter"},
			{"filter=" + url.QueryEscape("owner_name = 'Nguyễn Văn An'"), "filter"},
			{"filter=" + url.QueryEscape("certificate_no IS NOT NULL"), "filter"},
			{"filter=" + url.QueryEscape("colour = 'red'"), "filter"},
			{"filter=" + url.QueryEscape("sheet_no = 'one'"), "filter"},
			{"filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(1 2 3))"), "filter"},
			{"filter=" + url.QueryEscape("S_DWITHIN(geometry, POINT(106 11), -1)"), "filter"},
			{"filter=x&filter-lang=ecql", "filter-lang"}, {"filter-lang=cql2-text", "filter-lang"},
			{"filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"=","args":[{"property":"main_use"}]}`), "filter"},
			{"filter-crs=EPSG:9999&filter=" + url.QueryEscape("main_use = 'CLN'"), "filter-crs"},
			{"datetime=2024-01-01/2025-07-01", "datetime"}, {"datetime=yesterday", "datetime"},
			{"sortby=geometry", "sortby"}, {"sortby=owner_name", "sortby"}, {"sortby=main_use,main_use", "sortby"},
			{"properties=owner_name", "properties"}, {"properties=nothing", "properties"},
			{"cursor=not-a-cursor", "cursor"},
			{"resultType=some", "resultType"}, {"f=html", "f"}, {"foo=bar", "foo"},
			{"sheet_no=three", "sheet_no"}, {"owner_name=x", "owner_name"},
		} {
			wantProblem(t, h, items+tc.query, http.StatusBadRequest, tc.param)
		}
		wantProblem(t, h, "/ogc/collections/admin_units/items?datetime=yesterday", http.StatusBadRequest, "datetime")
		wantProblem(t, h, "/ogc/collections/admin_units/items?datetime=2025-08-01/2025-07-01", http.StatusBadRequest, "datetime")
		wantProblem(t, h, "/ogc/collections/nope/items", http.StatusNotFound, "")
		wantProblem(t, h, "/ogc/collections/nope", http.StatusNotFound, "")
		wantProblem(t, h, "/ogc/collections?x=1", http.StatusBadRequest, "x")
		// A cursor made for one sortby is refused under another.
		var page ogcPage
		getJSON(t, h, "/ogc/collections/parcels/items?limit=2&sortby=main_use", &page)
		next, _ := url.Parse(page.link("next"))
		wantProblem(t, h, "/ogc/collections/parcels/items?limit=2&cursor="+url.QueryEscape(next.Query().Get("cursor")), http.StatusBadRequest, "cursor")
	})

	t.Run("personal data follows the key's scopes", func(t *testing.T) {
		_, officer := mustKey(t, s, "Văn phòng đăng ký đất đai", []string{"parcels:read", "parcels:personal"}, nil)
		_, reader := mustKey(t, s, "Sở Xây dựng", []string{"parcels:read"}, nil)
		target := "/ogc/collections/parcels/items?limit=3&properties=owner_name,main_use&filter=" + url.QueryEscape("owner_name LIKE 'Nguyễn%'")
		code, _, body := call(t, h, "GET", target, bearer(officer))
		var page ogcPage
		_ = json.Unmarshal(body, &page)
		want := count(`SELECT count(*) FROM parcels WHERE owner_name LIKE 'Nguyễn%'`)
		if code != 200 || page.NumberMatched != want || want == 0 || len(page.Features) == 0 || page.Features[0].Properties["owner_name"] == nil {
			t.Errorf("with parcels:personal: %d, matched %d of %d: %.300s", code, page.NumberMatched, want, body)
		}
		if code, _, body := call(t, h, "GET", target, bearer(reader)); code != 400 || !strings.Contains(string(body), "owner_name") {
			t.Errorf("with parcels:read only: %d %s, want 400 naming owner_name", code, body)
		}
		var q struct{ Properties map[string]any }
		_, _, body = call(t, h, "GET", "/ogc/collections/parcels/queryables", bearer(officer))
		_ = json.Unmarshal(body, &q)
		if _, ok := q.Properties["owner_name"]; !ok {
			t.Errorf("queryables for a key with parcels:personal lack owner_name: %s", body)
		}
	})

	t.Run("a syntax error says where", func(t *testing.T) {
		_, body := get(t, h, "GET", "/ogc/collections/parcels/items?filter="+url.QueryEscape("main_use = 'CLN' AND AND"))
		if !strings.Contains(string(body), "line 1, column 22") {
			t.Errorf("body %s does not locate the error", body)
		}
	})

	t.Run("geometry round trip in VN-2000", func(t *testing.T) {
		// The first vertex of a parcel in EPSG:9212 matches PostGIS's own transform to 1 mm.
		var id int64
		var x, y float64
		if err := pool.QueryRow(ctx, `SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_Transform(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1), 9212) AS p
			FROM parcels ORDER BY id LIMIT 1) s`).Scan(&id, &x, &y); err != nil {
			t.Fatal(err)
		}
		var f struct {
			Geometry struct{ Coordinates [][][][2]float64 }
		}
		getJSON(t, h, "/ogc/collections/parcels/items/"+itoa64(id)+"?crs=EPSG:9212", &f)
		got := f.Geometry.Coordinates[0][0][0]
		if math.Abs(got[0]-x) > 0.001 || math.Abs(got[1]-y) > 0.001 {
			t.Errorf("EPSG:9212 vertex %v, want [%.3f %.3f]", got, x, y)
		}
	})
}
