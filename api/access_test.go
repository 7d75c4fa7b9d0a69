package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// accessEnv is the demo province served with tiles, plus a restricted imported layer.
func accessEnv(t *testing.T) (*store.Store, http.Handler) {
	t.Helper()
	s := storetest.Store(t, storetest.Demo(t))
	ctx := context.Background()
	_, err := storetest.DB(t, s).Exec(ctx, `
		INSERT INTO layers (id, title, storage, geometry_type, attributes, access, min_zoom)
		VALUES ('quy_hoach_mat', 'Quy hoạch (mật)', 'generic', 'Polygon',
		  '[{"name":"ten","type":"string","visibility":"public"},{"name":"ghi_chu","type":"string","visibility":"restricted"}]',
		  'restricted', 0);
		INSERT INTO layer_features (layer_id, properties, geom) VALUES ('quy_hoach_mat', '{"ten":"Khu A","ghi_chu":"nội bộ"}',
		  ST_Transform(ST_MakeEnvelope(569600, 1275700, 569800, 1275900, 9212), 4326))`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	svc := tiles.New(s, tiles.Options{CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	return s, api.New(api.Config{Store: s, Logger: slog.New(slog.DiscardHandler), Tiles: svc})
}

// A restricted layer does not exist for callers without its scope, on every surface.
func TestAccess_RestrictedLayerOnEverySurface(t *testing.T) {
	s, h := accessEnv(t)
	_, reader := mustKey(t, s, "Ban Quản lý", []string{"quy_hoach_mat:read"}, nil)
	_, other := mustKey(t, s, "Sở Nông nghiệp", []string{"parcels:read"}, nil)
	surfaces := []struct {
		path      string
		hiddenIs  int // status for a caller who may not read the layer
		mentioned bool
	}{
		{"/api/v1/layers", 200, true},
		{"/api/v1/layers/quy_hoach_mat", 404, false},
		{"/ogc/collections", 200, true},
		{"/ogc/api", 200, true},
		{"/ogc/collections/quy_hoach_mat", 404, false},
		{"/ogc/collections/quy_hoach_mat/items", 404, false},
		{"/ogc/collections/quy_hoach_mat/queryables", 404, false},
		{"/tiles/quy_hoach_mat.json", 404, false},
		{tilePathAt("quy_hoach_mat", 106.8909, 11.5359, 14), 404, false},
		{"/api/v1/layers/quy_hoach_mat/nearby?lon=106.89&lat=11.535&radius_m=500", 404, false},
		{"/api/v1/changes?layers=quy_hoach_mat", 400, false},
	}
	for _, sf := range surfaces {
		for _, who := range []struct {
			name    string
			headers map[string]string
			allowed bool
		}{{"anonymous", nil, false}, {"key without scope", bearer(other), false}, {"key with read", bearer(reader), true}} {
			code, _, body := call(t, h, "GET", sf.path, who.headers)
			switch {
			case who.allowed && code != 200:
				t.Errorf("%s %s: %d, want 200 (%.200s)", who.name, sf.path, code, body)
			case !who.allowed && code != sf.hiddenIs:
				t.Errorf("%s %s: %d, want %d", who.name, sf.path, code, sf.hiddenIs)
			case !who.allowed && sf.mentioned && strings.Contains(string(body), "quy_hoach_mat"):
				t.Errorf("%s %s mentions the restricted layer", who.name, sf.path)
			case who.allowed && sf.mentioned && !strings.Contains(string(body), "quy_hoach_mat"):
				t.Errorf("%s %s does not list the layer it may read", who.name, sf.path)
			}
		}
	}
	// The restricted attribute is for the key with read scope, never for tiles.
	code, _, body := call(t, h, "GET", "/ogc/collections/quy_hoach_mat/items", bearer(reader))
	if code != 200 || !strings.Contains(string(body), "nội bộ") {
		t.Errorf("reader's items lack the restricted attribute: %d %.300s", code, body)
	}
}

// Owner names, ID and certificate numbers reach only keys with the personal scope, and each such
// read is in the audit log.
func TestAccess_PersonalDataNeedsScopeAndIsAudited(t *testing.T) {
	s, h := accessEnv(t)
	ctx := context.Background()
	_, reader := mustKey(t, s, "Sở Xây dựng", []string{"parcels:read"}, nil)
	taxKey, tax := mustKey(t, s, "Chi cục Thuế", []string{"parcels:read", "parcels:personal"}, nil)
	var commune, owner string
	var sheet, num int
	var id int64
	if err := storetest.DB(t, s).QueryRow(ctx, `SELECT id, commune_code, sheet_no, parcel_no, owner_name FROM parcels
		WHERE owner_name IS NOT NULL ORDER BY id LIMIT 1`).Scan(&id, &commune, &sheet, &num, &owner); err != nil {
		t.Fatal(err)
	}
	byKey := "/api/v1/parcels/" + commune + "/" + itoa64(int64(sheet)) + "/" + itoa64(int64(num))
	item := "/ogc/collections/parcels/items/" + itoa64(id)
	for _, tc := range []struct {
		name    string
		path    string
		headers map[string]string
		want    int
	}{
		{"anonymous by key", byKey, nil, 200},
		{"reader by key", byKey, bearer(reader), 200},
		{"anonymous item", item, nil, 200},
		{"reader items", "/ogc/collections/parcels/items?limit=5", bearer(reader), 200},
		{"reader changes", "/api/v1/changes?layers=parcels&limit=5", bearer(reader), 200},
		{"reader history", item + "/history", bearer(reader), 200},
		{"properties=owner_name", "/ogc/collections/parcels/items?properties=owner_name", bearer(reader), 400},
		{"filter on owner_name", "/ogc/collections/parcels/items?filter=owner_name%20IS%20NOT%20NULL", bearer(reader), 400},
		{"sortby=owner_id_number", "/ogc/collections/parcels/items?sortby=owner_id_number", bearer(reader), 400},
		{"filter in JSON", "/ogc/collections/parcels/items?filter-lang=cql2-json&filter=" +
			`%7B%22op%22%3A%22isNull%22%2C%22args%22%3A%5B%7B%22property%22%3A%22certificate_no%22%7D%5D%7D`, nil, 400},
		{"tiles", "/tiles/parcels.json", bearer(tax), 200},
	} {
		code, _, body := call(t, h, "GET", tc.path, tc.headers)
		if code != tc.want {
			t.Errorf("%s: %d, want %d (%.200s)", tc.name, code, tc.want, body)
		}
		for _, personal := range []string{"owner_name", "owner_id_number", "certificate_no", owner} {
			if code == 200 && strings.Contains(string(body), personal) {
				t.Errorf("%s: response contains personal data %q", tc.name, personal)
			}
		}
	}
	var audited int
	count := func() int {
		storetest.DB(t, s).QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE personal AND key_id = $1`, taxKey.ID).Scan(&audited)
		return audited
	}
	before := count()
	for _, path := range []string{byKey, item, item + "/history", "/ogc/collections/parcels/items?limit=3&properties=owner_name,sheet_no"} {
		code, _, body := call(t, h, "GET", path, bearer(tax))
		if code != 200 || !strings.Contains(string(body), "owner_name") {
			t.Errorf("tax office %s: %d, want its personal fields (%.200s)", path, code, body)
		}
	}
	if got := count() - before; got != 4 {
		t.Errorf("%d personal reads audited, want 4", got)
	}
	var parcel struct {
		Owner struct {
			Name string `json:"owner_name"`
		} `json:"owner"`
	}
	_, _, body := call(t, h, "GET", byKey, bearer(tax))
	json.Unmarshal(body, &parcel)
	if parcel.Owner.Name != owner {
		t.Errorf("owner %q, want %q", parcel.Owner.Name, owner)
	}
	// Tiles never carry personal fields, whoever asks: not even the tile holding this parcel,
	// fetched with the key that may read its owner.
	var lon, lat float64
	if err := storetest.DB(t, s).QueryRow(ctx, `SELECT ST_X(c), ST_Y(c) FROM parcels, ST_PointOnSurface(geom) AS c WHERE id = $1`, id).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	tl := maptile.At(orb.Point{lon, lat}, 16)
	rec := fetch(t, h, fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y), "Authorization", "Bearer "+tax)
	found := false
	for _, l := range decode(t, rec) { // decode fails the test unless the status is 200
		for _, f := range l.Features {
			found = found || fmt.Sprint(f.ID) == fmt.Sprint(id)
			for _, personal := range []string{"owner_name", "owner_id_number", "certificate_no"} {
				if _, ok := f.Properties[personal]; ok {
					t.Fatalf("a tile carries %s", personal)
				}
			}
		}
	}
	if !found {
		t.Errorf("parcel %d is not in its tile %v", id, tl)
	}
}

// What a parcel was on a date: the owner before the 2024 sale, through the domain query.
func TestAccess_ParcelAsOfDate(t *testing.T) {
	s, h := accessEnv(t)
	var commune string
	var sheet, num int
	var before, now string
	err := storetest.DB(t, s).QueryRow(context.Background(), `SELECT p.commune_code, p.sheet_no, p.parcel_no, h.owner_name, p.owner_name
		FROM parcels p JOIN parcels_history h ON h.id = p.id AND h.version = 1
		WHERE p.owner_name IS DISTINCT FROM h.owner_name ORDER BY p.id LIMIT 1`).Scan(&commune, &sheet, &num, &before, &now)
	if err != nil {
		t.Fatal(err)
	}
	_, tax := mustKey(t, s, "Chi cục Thuế", []string{"parcels:read", "parcels:personal"}, nil)
	owner := func(query string) string {
		code, _, body := call(t, h, "GET", "/api/v1/parcels/"+commune+"/"+itoa64(int64(sheet))+"/"+itoa64(int64(num))+query, bearer(tax))
		if code != 200 {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var p struct {
			Version int `json:"version"`
			Owner   struct {
				Name string `json:"owner_name"`
			} `json:"owner"`
		}
		json.Unmarshal(body, &p)
		return p.Owner.Name
	}
	if got := owner("?date=2024-01-01"); got != before {
		t.Errorf("owner on 2024-01-01: %q, want %q", got, before)
	}
	if got := owner(""); got != now {
		t.Errorf("owner today: %q, want %q", got, now)
	}
	if code, _, _ := call(t, h, "GET", "/api/v1/parcels/"+commune+"/1/1?date=2024-13-01", nil); code != 400 {
		t.Errorf("a malformed date: %d, want 400", code)
	}
}

func tilePathAt(layers string, lon, lat float64, z maptile.Zoom) string {
	tl := maptile.At(orb.Point{lon, lat}, z)
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, tl.Z, tl.X, tl.Y)
}

// The application that owns a layer imports into it with its write scope; it may not create
// layers or touch other applications' imports.
func TestAccess_ImportNeedsWriteScope(t *testing.T) {
	s, h := accessEnv(t)
	_, writer := mustKey(t, s, "Sở Xây dựng", []string{"constructions:write"}, nil)
	_, reader := mustKey(t, s, "Sở Nông nghiệp", []string{"parcels:read"}, nil)
	body := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"Nhà ở riêng lẻ","status":"permitted"},
	  "geometry":{"type":"Polygon","coordinates":[[[106.89,11.535],[106.8901,11.535],[106.8901,11.5351],[106.89,11.5351],[106.89,11.535]]]}}]}`
	for _, tc := range []struct {
		name, target string
		headers      map[string]string
		want         int
	}{
		{"anonymous", "/api/v1/layers/constructions/imports", nil, 401},
		{"reader", "/api/v1/layers/constructions/imports", bearer(reader), 403},
		{"writer into another layer", "/api/v1/layers/parcels/imports", bearer(writer), 403},
		{"writer creating a layer", "/api/v1/layers/moi/imports?create=true&title=x", bearer(writer), 403},
		{"writer into its layer", "/api/v1/layers/constructions/imports", bearer(writer), 202},
	} {
		code, _, resp := send(t, h, "POST", tc.target, body, tc.headers)
		if code != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.name, code, tc.want, resp)
		}
		if code == 202 {
			var job struct {
				ID int64 `json:"id"`
			}
			json.Unmarshal(resp, &job)
			path := "/api/v1/imports/" + itoa64(job.ID)
			if c, _, b := call(t, h, "GET", path, bearer(writer)); c != 200 {
				t.Errorf("the writer reading its own import: %d %s", c, b)
			}
			if c, _, _ := call(t, h, "GET", path, bearer(reader)); c != 403 {
				t.Errorf("another key reading the import: %d, want 403", c)
			}
		}
	}
}
