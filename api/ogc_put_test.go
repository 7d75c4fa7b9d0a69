package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// PUT (OGC API – Features Part 4 replace) sets the whole feature: the new geometry, the given
// properties, and for every writable property left out its default (null where there is none),
// as a new feature would get; it needs the write scope and the
// current version in If-Match, and the history keeps what it replaced.
func TestWrite_PutReplacesTheWholeFeature(t *testing.T) {
	s := storetest.Store(t, storetest.Migrated(t))
	h := newServer(t, s)
	_, writer := mustKey(t, s, "Sở Xây dựng", []string{"constructions:write"}, nil)
	_, reader := mustKey(t, s, "Sở Nông nghiệp", []string{"constructions:read"}, nil)
	vn := map[string]string{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/9212>"}
	auth := with(vn, "Authorization", "Bearer "+writer)

	// The house as registered has a basement, so that leaving basements out of the replacement shows.
	house := strings.Replace(houseVN2000, `"storeys":3,`, `"storeys":3,"basements":1,`, 1)
	code, hdr, body := send(t, h, "POST", "/ogc/collections/constructions/items", house, auth)
	if code != 201 || hdr.Get("ETag") != `"v1"` {
		t.Fatalf("create: %d %v %s", code, hdr, body)
	}
	var created struct{ ID int64 }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 {
		t.Fatalf("create answered %s (%v), want the new id", body, err)
	}
	item := "/ogc/collections/constructions/items/" + itoa64(created.ID)

	// The same house rebuilt larger, 20 m × 10 m, now under construction; no grade, height or
	// basements are given.
	replacement := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[569600,1275700],[569620,1275700],[569620,1275710],[569600,1275710],[569600,1275700]]]},
	 "properties":{"permit_no":"15/GPXD-SXD","permit_date":"2026-11-20","permit_issuer":"Sở Xây dựng","kind":"Nhà ở riêng lẻ","storeys":4,"status":"under_construction"}}`

	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"anonymous", with(vn, "If-Match", `"v1"`), 401},
		{"read-only key", with(with(vn, "If-Match", `"v1"`), "Authorization", "Bearer "+reader), 403},
		{"no If-Match", auth, 428},
		{"stale If-Match", with(auth, "If-Match", `"v7"`), 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := send(t, h, "PUT", item, replacement, tc.headers)
			if code != tc.want || hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("PUT: %d %q %s, want %d problem", code, hdr.Get("Content-Type"), body, tc.want)
			}
		})
	}
	if code, _, body := send(t, h, "PUT", "/ogc/collections/constructions/items/999999", replacement, with(auth, "If-Match", "*")); code != 404 {
		t.Errorf("PUT of an unknown feature: %d %s, want 404", code, body)
	}
	var version int
	if err := storetest.DB(t, s).QueryRow(t.Context(), `SELECT version FROM constructions WHERE id = $1`, created.ID).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 1 {
		t.Fatalf("the refused PUTs changed the feature: version %d, want 1", version)
	}

	code, hdr, body = send(t, h, "PUT", item, replacement, with(auth, "If-Match", `"v1"`))
	if code != 204 || hdr.Get("ETag") != `"v2"` {
		t.Fatalf("PUT v1: %d %v %s, want 204 with ETag \"v2\"", code, hdr, body)
	}
	var (
		status, grade      string
		storeys, basements int
		height, area       *float64
	)
	err := storetest.DB(t, s).QueryRow(t.Context(), `SELECT status, coalesce(grade, ''), storeys, basements, height_m::float8, footprint_area_m2::float8
		FROM constructions WHERE id = $1`, created.ID).Scan(&status, &grade, &storeys, &basements, &height, &area)
	if err != nil {
		t.Fatal(err)
	}
	if status != "under_construction" || storeys != 4 {
		t.Errorf("after PUT: status %q, storeys %d; want under_construction, 4", status, storeys)
	}
	if grade != "" || height != nil || basements != 0 {
		t.Errorf("after PUT: grade %q, height %v, basements %d; want no grade, no height, 0 basements (the defaults of what the replacement left out)",
			grade, height, basements)
	}
	if area == nil || *area < 199.9 || *area > 200.1 {
		t.Errorf("footprint area after PUT %v m², want 200.0 (20 m × 10 m, computed from the new geometry)", area)
	}

	// The client that read v1 cannot replace v2 with its stale copy.
	if code, _, body := send(t, h, "PUT", item, houseVN2000, with(auth, "If-Match", `"v1"`)); code != 412 {
		t.Errorf("PUT with v1 after v2: %d %s, want 412", code, body)
	}

	// Readers see the replacement; the history keeps the house as first registered.
	code, _, body = send(t, h, "GET", item, "", nil)
	if code != 200 {
		t.Fatalf("GET after PUT: %d %s", code, body)
	}
	var f struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("GET after PUT: %v in %s", err, body)
	}
	if f.Properties["status"] != "under_construction" || f.Properties["height_m"] != nil {
		t.Errorf("GET after PUT shows %v, want status under_construction and no height", f.Properties)
	}
	hist := history(t, h, item)
	if len(hist) != 2 || hist[0].Version != 1 || hist[1].Version != 2 {
		t.Fatalf("history %+v, want versions 1 and 2", hist)
	}
	if !strings.HasPrefix(hist[1].ChangedBy, "key:") {
		t.Errorf("version 2 written by %q, want the key", hist[1].ChangedBy)
	}
	if p := hist[0].Properties; p != nil && p["status"] != "permitted" {
		t.Errorf("version 1 in the history shows status %v, want permitted", p["status"])
	}
}

// historyVersion is one entry of GET /ogc/collections/{id}/items/{fid}/history.
type historyVersion struct {
	Version    int            `json:"version"`
	ChangedBy  string         `json:"changed_by"`
	Properties map[string]any `json:"properties"`
}

// history reads the versions of the feature at item (an items/{fid} path), failing the test when
// it cannot.
func history(t *testing.T, h http.Handler, item string) []historyVersion {
	t.Helper()
	code, _, body := send(t, h, "GET", item+"/history", "", nil)
	if code != 200 {
		t.Fatalf("history: %d %s", code, body)
	}
	var hist struct {
		Versions []historyVersion `json:"versions"`
	}
	if err := json.Unmarshal(body, &hist); err != nil {
		t.Fatalf("history: %v in %s", err, body)
	}
	return hist.Versions
}
