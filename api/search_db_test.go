package api_test

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/web"
)

type searchDoc struct {
	Interpretation string `json:"interpretation"`
	Results        []struct {
		Type        string    `json:"type"`
		Code        string    `json:"code"`
		Level       string    `json:"level"`
		Name        string    `json:"name"`
		ValidFrom   *string   `json:"valid_from"`
		ValidTo     *string   `json:"valid_to"`
		CommuneCode string    `json:"commune_code"`
		CommuneName string    `json:"commune_name"`
		SheetNo     int       `json:"sheet_no"`
		ParcelNo    int       `json:"parcel_no"`
		Key         string    `json:"key"`
		Parcels     int       `json:"parcels"`
		SRID        int       `json:"srid"`
		Easting     *float64  `json:"easting"`
		Northing    *float64  `json:"northing"`
		Swapped     bool      `json:"swapped"`
		BBox        []float64 `json:"bbox"`
		Center      []float64 `json:"center"`
	} `json:"results"`
}

func TestSearch_DemoProvince(t *testing.T) {
	st := storetest.Store(t, storetest.Demo(t))
	h := newServer(t, st)
	search := func(t *testing.T, q string, extra ...string) searchDoc {
		t.Helper()
		target := "/api/v1/search?q=" + url.QueryEscape(q) + strings.Join(extra, "")
		res, body := get(t, h, "GET", target)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, res.StatusCode, body)
		}
		var d searchDoc
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("name without diacritics", func(t *testing.T) {
		// Precomposed, decomposed (NFD, as some keyboards and macOS file names send it), capitals.
		for _, q := range []string{"dong xoai", "Đồng Xoài", "\u0110o\u0302\u0300ng Xoa\u0300i", "DONG XOAI", "xoai"} {
			d := search(t, q, "&date=2025-01-01")
			if d.Interpretation != "name" || len(d.Results) == 0 {
				t.Fatalf("%q: %+v", q, d)
			}
			first := d.Results[0]
			// Before the reform the city of Đồng Xoài (district 689) is the unit valid on the date.
			if first.Code != "689" || first.Level != "district" || first.Name != "Thành phố Đồng Xoài" {
				t.Errorf("%q: first result %s %s %q, want district 689 Thành phố Đồng Xoài", q, first.Level, first.Code, first.Name)
			}
			if len(first.BBox) != 4 || !(first.BBox[0] < first.Center[0] && first.Center[0] < first.BBox[2]) {
				t.Errorf("%q: bbox %v and centre %v do not agree", q, first.BBox, first.Center)
			}
		}
	})
	t.Run("valid units first", func(t *testing.T) {
		d := search(t, "dong xoai", "&date=2025-07-01")
		if len(d.Results) < 2 {
			t.Fatalf("want the ward and the former city, got %+v", d.Results)
		}
		if r := d.Results[0]; r.ValidFrom == nil || *r.ValidFrom != "2025-07-01" {
			t.Errorf("on 2025-07-01 the first result is %s %q valid from %v, want a unit created by the reform", r.Code, r.Name, r.ValidFrom)
		}
	})
	t.Run("code", func(t *testing.T) {
		d := search(t, "689")
		if d.Interpretation != "code" || len(d.Results) != 1 || d.Results[0].Code != "689" {
			t.Fatalf("got %+v", d)
		}
	})
	t.Run("like wildcards are literal", func(t *testing.T) {
		if d := search(t, "%%"); len(d.Results) != 0 {
			t.Errorf("%%%% matched %d units", len(d.Results))
		}
	})

	var commune string
	var sheet, parcel int
	var lon, lat float64
	if err := storetest.DB(t, st).QueryRow(t.Context(), `SELECT commune_code, sheet_no, parcel_no,
			ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
		FROM parcels ORDER BY id LIMIT 1`).Scan(&commune, &sheet, &parcel, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	key := commune + "/" + itoa(sheet) + "/" + itoa(parcel)
	t.Run("cadastral key", func(t *testing.T) {
		for _, q := range []string{commune + " " + itoa(sheet) + " " + itoa(parcel), key,
			"thửa " + itoa(parcel) + " tờ " + itoa(sheet) + " xã " + commune} {
			d := search(t, q)
			if d.Interpretation != "parcel" || len(d.Results) != 1 || d.Results[0].Key != key || d.Results[0].CommuneName == "" {
				t.Errorf("%q: got %+v, want parcel %s with its commune's name", q, d, key)
			}
		}
		d := search(t, commune+" "+itoa(sheet))
		if d.Interpretation != "sheet" || len(d.Results) != 1 || d.Results[0].Parcels < 1 {
			t.Errorf("sheet: got %+v", d)
		}
		d = search(t, commune+" 9999 99999")
		if d.Interpretation != "parcel" || len(d.Results) != 0 {
			t.Errorf("a parcel that does not exist: got %+v, want no result", d)
		}
	})
	t.Run("VN-2000 coordinates", func(t *testing.T) {
		x, y, err := geo.ToVN2000TM3(lon, lat, 9212)
		if err != nil {
			t.Fatal(err)
		}
		// As a land document prints them: X (northing) first.
		d := search(t, "X = "+ftoa(y)+", Y = "+ftoa(x), "&srid=9212")
		if d.Interpretation != "coordinates" || len(d.Results) != 1 {
			t.Fatalf("got %+v", d)
		}
		r := d.Results[0]
		if r.SRID != 9212 || !r.Swapped || math.Abs(r.Center[0]-lon) > 1e-6 || math.Abs(r.Center[1]-lat) > 1e-6 {
			t.Errorf("got %+v, want the point (%v, %v) read as northing first", r, lon, lat)
		}
	})

	t.Run("problems", func(t *testing.T) {
		for _, target := range []string{
			"/api/v1/search",
			"/api/v1/search?q=",
			"/api/v1/search?q=1+2+3+4",
			"/api/v1/search?q=2.35,48.85",
			"/api/v1/search?q=dong&date=yesterday",
			"/api/v1/search?q=dong&srid=4326",
			"/api/v1/search?q=dong&limit=0",
			"/api/v1/admin-units/labels?date=2025-13-01",
		} {
			res, body := get(t, h, "GET", target)
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s: %d %s %s, want a 400 problem", target, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
	})
}

func TestLandUseCodesAndLabels(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Demo(t)))
	res, body := get(t, h, "GET", "/api/v1/land-use-codes")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("land-use-codes: %d %s", res.StatusCode, body)
	}
	var codes struct {
		Groups []struct{ Code, Name string } `json:"groups"`
		Codes  []struct {
			Code, Name, Group string
			Legacy            bool
		} `json:"codes"`
	}
	if err := json.Unmarshal(body, &codes); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range codes.Codes {
		names[c.Code] = c.Name
	}
	if len(codes.Groups) != 3 || names["ONT"] != "Đất ở tại nông thôn" || names["CLN"] != "Đất trồng cây lâu năm" {
		t.Errorf("got %d groups, ONT %q, CLN %q", len(codes.Groups), names["ONT"], names["CLN"])
	}

	levels := func(date string) map[string]int {
		res, body := get(t, h, "GET", "/api/v1/admin-units/labels?date="+date)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("labels on %s: %d %s", date, res.StatusCode, body)
		}
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Geometry struct {
					Coordinates []float64 `json:"coordinates"`
				} `json:"geometry"`
				Properties struct{ Level, Name string } `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, f := range fc.Features {
			n[f.Properties.Level]++
			c := f.Geometry.Coordinates
			if f.Properties.Name == "" || len(c) != 2 || c[0] < 106 || c[0] > 108 || c[1] < 11 || c[1] > 12.5 {
				t.Errorf("label %+v", f)
			}
		}
		return n
	}
	before, after := levels("2025-06-30"), levels("2025-07-01")
	if before["province"] != 1 || before["district"] != 11 || before["commune"] == 0 {
		t.Errorf("labels before the reform: %v, want 1 province, 11 districts and communes", before)
	}
	if after["district"] != 0 || after["commune"] == 0 {
		t.Errorf("labels after the reform: %v, want no district", after)
	}
}

func TestWebPages(t *testing.T) {
	h := newServer(t, storetest.Store(t, storetest.Migrated(t)))
	res, body := get(t, h, "GET", "/")
	if web.Built() {
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "<script type=\"module\"") {
			t.Errorf("GET /: %d, want the map page", res.StatusCode)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self';") {
			t.Errorf("CSP %q does not keep the page to its server", csp)
		}
		res, _ = get(t, h, "GET", "/import")
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /import: %d", res.StatusCode)
		}
	} else if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "run make web") {
		t.Errorf("GET / without a bundle: %d %s, want 503 saying to run make web", res.StatusCode, body)
	}
	for _, p := range []string{"/assets/nope.js", "/assets/../web.go", "/assets/"} {
		if res, _ := get(t, h, "GET", p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	res, body = get(t, h, "GET", "/api/v1/map-config")
	var cfg struct {
		Bounds []float64 `json:"bounds"`
		Zone   struct {
			SRID  int    `json:"srid"`
			Proj4 string `json:"proj4"`
		} `json:"zone"`
		Zones   []struct{ SRID int } `json:"zones"`
		Basemap any                  `json:"basemap"`
	}
	if err := json.Unmarshal(body, &cfg); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("map-config: %d %s", res.StatusCode, body)
	}
	if cfg.Zone.SRID != 9212 || !strings.Contains(cfg.Zone.Proj4, "+lon_0=106.25") || len(cfg.Zones) != 18 ||
		cfg.Basemap != nil || len(cfg.Bounds) != 4 {
		t.Errorf("map-config: %s", body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

func TestWebPages_Basemap(t *testing.T) {
	const tmpl = "https://tiles.example.vn/osm/{z}/{x}/{y}.png"
	h := api.New(api.Config{Store: storetest.Store(t, storetest.Migrated(t)), Logger: slog.New(slog.DiscardHandler), BasemapURL: tmpl})
	res, body := get(t, h, "GET", "/api/v1/map-config")
	var cfg struct {
		Basemap struct{ URL string } `json:"basemap"`
	}
	if err := json.Unmarshal(body, &cfg); err != nil || res.StatusCode != http.StatusOK || cfg.Basemap.URL != tmpl {
		t.Errorf("map-config with a basemap: %d %s", res.StatusCode, body)
	}
	if web.Built() {
		res, _ = get(t, h, "GET", "/")
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: blob: https://tiles.example.vn;") {
			t.Errorf("CSP %q does not allow the basemap's origin for images", csp)
		}
	}
	if res, _ := get(t, h, "HEAD", "/"); res.StatusCode == http.StatusMethodNotAllowed || res.StatusCode == http.StatusNotFound {
		t.Errorf("HEAD /: %d", res.StatusCode)
	}
}
