package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// A parcel in VN-2000 / TM-3 106-15, with its public properties only.
const parcelPublic = `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[569600,1275700],[569620,1275700],[569620,1275720],[569600,1275720],[569600,1275700]]]]},
 "properties":{"commune_code":"25195","sheet_no":7,"parcel_no":11,"land_use":[{"code":"ONT","area":400}],"address":"Ấp 2"%s}}`

func parcelBody(extra string) string { return strings.Replace(parcelPublic, "%s", extra, 1) }

// Writing a personal field needs the personal scope, exactly as reading one does: a key with
// parcels:write but not parcels:personal can neither overwrite nor erase owner fields, on any
// of POST, PUT and PATCH; a PUT by it keeps them as stored; a personal key may change them.
func TestAuth_PersonalFieldsNeedThePersonalScopeToBeWritten(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	db := storetest.DB(t, s)
	ctx := context.Background()
	_, writer := mustKey(t, s, "Sở Xây dựng", []string{"parcels:write"}, nil)
	_, clerk := mustKey(t, s, "Văn phòng đăng ký đất đai", []string{"parcels:write", "parcels:personal"}, nil)
	vn := map[string]string{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/9212>"}

	var id int64
	if err := db.QueryRow(ctx, `INSERT INTO parcels (commune_code, sheet_no, parcel_no, land_use, address, owner_name, owner_id_number, certificate_no, geom)
		VALUES ('25195', 7, 11, '[{"code":"ONT","area":400}]', 'Ấp 1', 'Nguyễn Văn An', '079080001234', 'CS 01234',
		ST_Multi(ST_Transform(ST_MakeEnvelope(569600, 1275700, 569620, 1275720, 9212), 4326))) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	item := "/ogc/collections/parcels/items/" + itoa64(id)
	stored := func() (name, idNo, cert *string, addr string) {
		t.Helper()
		if err := db.QueryRow(ctx, `SELECT owner_name, owner_id_number, certificate_no, address FROM parcels WHERE id = $1`, id).
			Scan(&name, &idNo, &cert, &addr); err != nil {
			t.Fatal(err)
		}
		return
	}
	str := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	untouched := func(when string) {
		t.Helper()
		name, idNo, cert, _ := stored()
		if str(name) != "Nguyễn Văn An" || str(idNo) != "079080001234" || str(cert) != "CS 01234" {
			t.Errorf("%s: owner fields are now %s / %s / %s, want them as stored", when, str(name), str(idNo), str(cert))
		}
	}
	wAuth := with(vn, "Authorization", "Bearer "+writer)

	for _, tc := range []struct {
		name, method, target, body, field string
	}{
		{"PUT overwriting the owner", "PUT", item, parcelBody(`,"owner_name":"Trần Thị Bình"`), "owner_name"},
		{"PUT erasing the ID number", "PUT", item, parcelBody(`,"owner_id_number":null`), "owner_id_number"},
		{"PATCH erasing the certificate", "PATCH", item, `{"type":"Feature","properties":{"certificate_no":null}}`, "certificate_no"},
		{"PATCH overwriting two fields", "PATCH", item, `{"type":"Feature","properties":{"owner_name":"X","certificate_no":"Y"}}`, "certificate_no"},
		{"POST with an owner", "POST", "/ogc/collections/parcels/items", strings.Replace(parcelBody(`,"owner_name":"Lê Văn Cường"`), `"parcel_no":11`, `"parcel_no":12`, 1), "owner_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := wAuth
			if tc.method != "POST" {
				hdr = with(wAuth, "If-Match", "*")
			}
			code, rh, body := send(t, h, tc.method, tc.target, tc.body, hdr)
			if code != 403 || rh.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), tc.field) {
				t.Errorf("%d %s, want a 403 problem naming %s", code, body, tc.field)
			}
			untouched(tc.name)
		})
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM parcels WHERE parcel_no = 12`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused POST created %d parcels (%v)", n, err)
	}

	// A PUT of the public properties by the writer replaces them and keeps the owner fields: it
	// cannot see them, so it cannot mean to clear them.
	if code, _, body := send(t, h, "PUT", item, parcelBody(""), with(wAuth, "If-Match", "*")); code != 204 {
		t.Fatalf("PUT of public properties: %d %s", code, body)
	}
	if _, _, _, addr := stored(); addr != "Ấp 2" {
		t.Errorf("address %q after the PUT, want Ấp 2", addr)
	}
	untouched("after a PUT of public properties")

	// The refusals are in the audit log with the status the client got.
	var refused int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE layer = 'parcels' AND status = 403`).Scan(&refused); err != nil || refused != 5 {
		t.Errorf("audit rows of refused writes: %d (%v), want 5", refused, err)
	}

	// The land office's key has the personal scope: it may change and clear owner fields.
	cAuth := map[string]string{"Authorization": "Bearer " + clerk, "If-Match": "*"}
	if code, _, body := send(t, h, "PATCH", item, `{"type":"Feature","properties":{"owner_name":"Trần Thị Bình","certificate_no":null}}`, cAuth); code != 204 {
		t.Fatalf("PATCH by the personal key: %d %s", code, body)
	}
	if name, _, cert, _ := stored(); str(name) != "Trần Thị Bình" || cert != nil {
		t.Errorf("after the personal key's PATCH: owner %s, certificate %s", str(name), str(cert))
	}
	// Its PUT without owner fields means what it says: they are cleared.
	if code, _, body := send(t, h, "PUT", item, parcelBody(""), with(with(vn, "Authorization", "Bearer "+clerk), "If-Match", "*")); code != 204 {
		t.Fatalf("PUT by the personal key: %d %s", code, body)
	}
	if name, idNo, _, _ := stored(); name != nil || idNo != nil {
		t.Errorf("a personal key's PUT without owner fields left %s / %s", str(name), str(idNo))
	}
}

// The rule holds for imported layers (one jsonb column of properties) too: a replace keeps the
// personal properties the writer cannot see.
func TestAuth_PersonalFieldsOfImportedLayersAreKeptOnReplace(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	ctx := context.Background()
	db := storetest.DB(t, s)
	var id int64
	if err := db.QueryRow(ctx, `
		WITH l AS (INSERT INTO layers (id, title, storage, geometry_type, attributes, access, min_zoom)
		VALUES ('ho_tro', 'Hỗ trợ tái định cư', 'generic', 'Polygon',
		  '[{"name":"ten","type":"string","visibility":"public"},{"name":"chu_ho","type":"string","visibility":"personal"},{"name":"ghi_chu","type":"string","visibility":"restricted"}]',
		  'public', 0) RETURNING id)
		INSERT INTO layer_features (layer_id, properties, geom) SELECT l.id, '{"ten":"Lô 1","chu_ho":"Phạm Văn Dũng","ghi_chu":"đã chi trả"}',
		  ST_Transform(ST_MakeEnvelope(569600, 1275700, 569700, 1275800, 9212), 4326) FROM l RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	h := newServer(t, s)
	_, writer := mustKey(t, s, "Ban bồi thường", []string{"ho_tro:write"}, nil)
	auth := map[string]string{"Authorization": "Bearer " + writer, "If-Match": "*"}
	item := "/ogc/collections/ho_tro/items/" + itoa64(id)
	geom := `"geometry":{"type":"Polygon","coordinates":[[[106.89,11.53],[106.891,11.53],[106.891,11.531],[106.89,11.531],[106.89,11.53]]]}`

	if code, _, body := send(t, h, "PUT", item, `{"type":"Feature",`+geom+`,"properties":{"ten":"Lô 1A","chu_ho":null}}`, auth); code != 403 || !strings.Contains(string(body), "chu_ho") {
		t.Errorf("PUT clearing chu_ho: %d %s, want 403 naming it", code, body)
	}
	if code, _, body := send(t, h, "PUT", item, `{"type":"Feature",`+geom+`,"properties":{"ten":"Lô 1A"}}`, auth); code != 204 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	var props string
	if err := db.QueryRow(ctx, `SELECT properties::text FROM layer_features WHERE id = $1`, id).Scan(&props); err != nil {
		t.Fatal(err)
	}
	// ghi_chu is restricted and the writer may read it (write implies read): its PUT without it
	// clears it. chu_ho is personal: kept.
	if want := `{"ten": "Lô 1A", "chu_ho": "Phạm Văn Dũng"}`; props != want {
		t.Errorf("properties after the PUT: %s, want %s", props, want)
	}
}

// Until the import pipeline applies the write rule itself, importing into a layer with personal
// attributes needs the personal scope: an upsert or a replace would overwrite or erase owner
// fields the importer cannot see. An admin key is no exception.
func TestAuth_ImportIntoALayerWithPersonalDataNeedsThePersonalScope(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, writer := mustKey(t, s, "Sở Xây dựng", []string{"parcels:write"}, nil)
	_, admin := mustKey(t, s, "Quản trị", []string{"admin"}, nil)
	_, clerk := mustKey(t, s, "Văn phòng đăng ký", []string{"parcels:write", "parcels:personal"}, nil)
	body := `{"type":"FeatureCollection","features":[` + strings.Replace(parcelBody(""), "\n", "", -1) + `]}`
	for _, tc := range []struct {
		name, key string
		want      int
	}{{"write without personal", writer, 403}, {"admin without personal", admin, 403}, {"write with personal", clerk, 202}} {
		for _, mode := range []string{"append", "upsert", "replace"} {
			code, _, resp := send(t, h, "POST", "/api/v1/layers/parcels/imports?dry_run=true&srid=9212&mode="+mode, body,
				map[string]string{"Authorization": "Bearer " + tc.key})
			if code != tc.want || (code == 403 && !strings.Contains(string(resp), "owner_name")) {
				t.Errorf("%s, %s: %d %s, want %d", tc.name, mode, code, resp, tc.want)
			}
			if code == 202 {
				waitImport(t, h, resp, tc.key)
			}
		}
	}
	// Layers without personal attributes are imported with the write scope alone, as before.
	_, builder := mustKey(t, s, "Sở Xây dựng", []string{"constructions:write"}, nil)
	house := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"Nhà ở riêng lẻ","status":"permitted"},
	  "geometry":{"type":"Polygon","coordinates":[[[106.89,11.535],[106.8901,11.535],[106.8901,11.5351],[106.89,11.5351],[106.89,11.535]]]}}]}`
	code, _, resp := send(t, h, "POST", "/api/v1/layers/constructions/imports?dry_run=true", house, map[string]string{"Authorization": "Bearer " + builder})
	if code != 202 {
		t.Fatalf("constructions with its write scope: %d %s", code, resp)
	}
	waitImport(t, h, resp, builder)
}

// waitImport waits until the import job answered in resp is no longer running.
func waitImport(t testing.TB, h http.Handler, resp []byte, key string) {
	t.Helper()
	var job struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(resp, &job); err != nil || job.ID == 0 {
		t.Fatalf("import job %s", resp)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, body := call(t, h, "GET", "/api/v1/imports/"+itoa64(job.ID), bearer(key))
		if !strings.Contains(string(body), `"running"`) && !strings.Contains(string(body), `"queued"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d still running: %s", job.ID, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
