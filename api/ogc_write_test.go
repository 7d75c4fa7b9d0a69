package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store/storetest"
)

func send(t testing.TB, h http.Handler, method, target, body string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/geo+json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range h {
		out[a] = b
	}
	return out
}

// A house footprint of 12 m × 10 m in VN-2000 / TM-3 106-15, sent with Content-Crs.
const houseVN2000 = `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[569600,1275700],[569612,1275700],[569612,1275710],[569600,1275710],[569600,1275700]]]},
 "properties":{"permit_no":"15/GPXD-SXD","permit_date":"2026-11-20","permit_issuer":"Sở Xây dựng","kind":"Nhà ở riêng lẻ","grade":"III","storeys":3,"height_m":11.5,"total_floor_area_m2":360,"status":"permitted"}}`

// The construction department writes constructions; anyone reads them; nobody loses an update.
func TestWrite_ConstructionDepartmentWalkthrough(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, writer := mustKey(t, s, "Sở Xây dựng", []string{"constructions:write", "parcels:read"}, nil)
	_, reader := mustKey(t, s, "Sở Nông nghiệp", []string{"parcels:read"}, nil)
	vn := map[string]string{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/9212>"}

	// Reading is public; writing is not.
	if code, _, body := send(t, h, "POST", "/ogc/collections/constructions/items", houseVN2000, vn); code != 401 {
		t.Errorf("anonymous create: %d %s, want 401", code, body)
	}
	if code, _, body := send(t, h, "POST", "/ogc/collections/constructions/items", houseVN2000, with(vn, "Authorization", "Bearer "+reader)); code != 403 {
		t.Errorf("create with a read-only key: %d %s, want 403", code, body)
	}
	code, hdr, body := send(t, h, "POST", "/ogc/collections/constructions/items", houseVN2000, with(vn, "Authorization", "Bearer "+writer))
	if code != 201 || hdr.Get("ETag") != `"v1"` || !strings.Contains(hdr.Get("Location"), "/ogc/collections/constructions/items/") {
		t.Fatalf("create: %d %v %s", code, hdr, body)
	}
	var created struct{ ID int64 }
	json.Unmarshal(body, &created)
	item := "/ogc/collections/constructions/items/" + itoa64(created.ID)

	var area float64
	if err := storetest.DB(t, s).QueryRow(t.Context(), `SELECT footprint_area_m2 FROM constructions WHERE id = $1`, created.ID).Scan(&area); err != nil {
		t.Fatal(err)
	}
	if area < 119.9 || area > 120.1 {
		t.Errorf("footprint area %.1f m², want 120.0 (12 m × 10 m in VN-2000)", area)
	}

	auth := map[string]string{"Authorization": "Bearer " + writer}
	patch := `{"type":"Feature","properties":{"status":"under_construction"}}`
	if code, _, body := send(t, h, "PATCH", item, patch, auth); code != 428 {
		t.Errorf("PATCH without If-Match: %d %s, want 428", code, body)
	}
	code, hdr, body = send(t, h, "PATCH", item, patch, with(auth, "If-Match", `"v1"`))
	if code != 204 || hdr.Get("ETag") != `"v2"` {
		t.Fatalf("PATCH v1: %d %v %s", code, hdr, body)
	}
	// A second application still holding v1 is refused instead of overwriting v2.
	if code, _, body := send(t, h, "PATCH", item, `{"type":"Feature","properties":{"status":"completed"}}`, with(auth, "If-Match", `"v1"`)); code != 412 {
		t.Errorf("PATCH with a stale If-Match: %d %s, want 412", code, body)
	}
	var status string
	storetest.DB(t, s).QueryRow(t.Context(), `SELECT status FROM constructions WHERE id = $1`, created.ID).Scan(&status)
	if status != "under_construction" {
		t.Errorf("status %q after the refused write, want under_construction", status)
	}

	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		want       int
	}{
		{"unknown property", `{"type":"Feature","properties":{"colour":"red"}}`, nil, 422},
		{"computed property", `{"type":"Feature","properties":{"footprint_area_m2":1}}`, nil, 422},
		{"wrong type", `{"type":"Feature","properties":{"storeys":"three"}}`, nil, 422},
		{"bad status", `{"type":"Feature","properties":{"status":"demolished?"}}`, nil, 422},
		{"bow-tie geometry", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.9,11.5],[106.901,11.501],[106.901,11.5],[106.9,11.501],[106.9,11.5]]]},"properties":{}}`, nil, 422},
		{"point for a polygon layer", `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.9,11.5]},"properties":{}}`, nil, 422},
		{"not JSON", `{"type":`, nil, 400},
		{"SQL in a property", `{"type":"Feature","properties":{"kind":"x'); DROP TABLE constructions; --"}}`, nil, 204},
		{"garbage If-Match", `{"type":"Feature","properties":{}}`, map[string]string{"If-Match": "yesterday"}, 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdrs := with(auth, "If-Match", "*")
			for k, v := range tc.headers {
				hdrs[k] = v
			}
			code, hdr, body := send(t, h, "PATCH", item, tc.body, hdrs)
			if code != tc.want {
				t.Errorf("%d %s, want %d", code, body, tc.want)
			}
			if code >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
			}
			if strings.Contains(string(body), "SELECT") || strings.Contains(string(body), "INSERT") {
				t.Errorf("SQL text in a response: %s", body)
			}
		})
	}

	if hist := history(t, h, item); len(hist) < 2 || hist[0].Version != 1 || !strings.HasPrefix(hist[0].ChangedBy, "key:") {
		t.Errorf("history %+v", hist)
	}

	if code, _, body := send(t, h, "DELETE", item, "", with(auth, "If-Match", `"v1"`)); code != 412 {
		t.Errorf("DELETE with a stale If-Match: %d %s", code, body)
	}
	if code, _, body := send(t, h, "DELETE", item, "", with(auth, "If-Match", "*")); code != 204 {
		t.Errorf("DELETE: %d %s", code, body)
	}
	if code, _, _ := send(t, h, "DELETE", item, "", with(auth, "If-Match", "*")); code != 404 {
		t.Errorf("second DELETE: %d, want 404", code)
	}
	// Every write is in the audit log and in the change feed.
	var audited, changes int
	storetest.DB(t, s).QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE layer = 'constructions' AND $1 = ANY(feature_ids)`, created.ID).Scan(&audited)
	storetest.DB(t, s).QueryRow(t.Context(), `SELECT count(*) FROM changes WHERE layer = 'constructions' AND feature_id = $1`, created.ID).Scan(&changes)
	if audited < 5 || changes < 4 {
		t.Errorf("audit rows %d, changes %d for the feature", audited, changes)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
