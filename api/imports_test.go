package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

func importFixture(t testing.TB, name string) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type importAPI struct {
	st    *store.Store
	pool  *pgxpool.Pool
	h     *api.Server
	admin string
}

func newImportAPI(t *testing.T, cfg api.ImportConfig) *importAPI {
	t.Helper()
	url := storetest.Migrated(t)
	e := &importAPI{st: storetest.Store(t, url), pool: storetest.Pool(t, url)}
	if _, err := e.st.Import(context.Background(), bytes.NewReader(importFixture(t, "communes.geojson")), importer.Options{Layer: "admin_units"}); err != nil {
		t.Fatal(err)
	}
	e.h = api.New(api.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler), Imports: cfg})
	// Importing into parcels, whose owner fields are personal, needs parcels:personal too.
	_, e.admin = mustKey(t, e.st, "GIS", []string{"admin", "*:personal"}, nil)
	t.Cleanup(func() { e.h.StopImports(context.Background()) })
	return e
}

// post sends body to the import endpoint with the admin key.
func (e *importAPI) post(t testing.TB, target string, body io.Reader, headers map[string]string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", target, body)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var doc map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &doc)
	if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("status %d with Content-Type %q, want application/problem+json", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Code, doc
}

func (e *importAPI) do(t testing.TB, method, target string) (int, map[string]any) {
	t.Helper()
	code, _, body := call(t, e.h, method, target, bearer(e.admin))
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	return code, doc
}

// wait polls an import until it leaves the running state.
func (e *importAPI) wait(t testing.TB, id any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, doc := e.do(t, "GET", fmt.Sprintf("/api/v1/imports/%v", id))
		if code != 200 {
			t.Fatalf("GET import %v: %d %v", id, code, doc)
		}
		if doc["state"] != "running" {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %v still running", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func apiSnapshot(t testing.TB, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tbl := range []string{"parcels", "admin_units", "layer_features", "parcels_history", "changes", "layers"} {
		var n int64
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func sameAPISnapshot(t testing.TB, before, after map[string]int64) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows after, %d before: the import changed something", k, after[k], v)
		}
	}
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestImportAPI_Lifecycle(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{})
	code, doc := e.post(t, "/api/v1/layers/parcels/imports", bytes.NewReader(importFixture(t, "parcels.geojson")), nil)
	if code != http.StatusAccepted || doc["id"] == nil {
		t.Fatalf("POST = %d %v, want 202 with an id", code, doc)
	}
	if links, _ := doc["links"].([]any); len(links) == 0 {
		t.Errorf("202 without links: %v", doc)
	}
	done := e.wait(t, doc["id"])
	counts, _ := done["counts"].(map[string]any)
	if done["state"] != "committed" || counts["inserted"] != 5.0 || counts["warnings"] != 2.0 {
		t.Fatalf("import = %v, want committed with 5 inserted and 2 warnings", done)
	}
	if rep, _ := done["report"].([]any); len(rep) != 2 {
		t.Errorf("report = %v, want 2 entries", done["report"])
	}
	var n int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM parcels`).Scan(&n)
	if n != 5 {
		t.Errorf("%d parcels, want 5", n)
	}
	// Listed, without its report.
	code, list := e.do(t, "GET", "/api/v1/imports?layer=parcels")
	items, _ := list["imports"].([]any)
	if code != 200 || len(items) != 1 || items[0].(map[string]any)["report"] != nil {
		t.Errorf("list = %d %v", code, list)
	}
	// Gzip-compressed, as upsert: nothing changes.
	code, doc2 := e.post(t, "/api/v1/layers/parcels/imports?mode=upsert", bytes.NewReader(gzipped(t, importFixture(t, "parcels.geojson"))),
		map[string]string{"Content-Encoding": "gzip"})
	if code != http.StatusAccepted {
		t.Fatalf("gzip upsert = %d %v", code, doc2)
	}
	if d := e.wait(t, doc2["id"]); d["counts"].(map[string]any)["unchanged"] != 5.0 {
		t.Errorf("gzip upsert = %v, want 5 unchanged", d)
	}
	// Revert the first import: the parcels go.
	code, rev := e.do(t, "DELETE", fmt.Sprintf("/api/v1/imports/%v", doc["id"]))
	if code != 200 || rev["state"] != "reverted" {
		t.Fatalf("DELETE = %d %v", code, rev)
	}
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM parcels`).Scan(&n)
	if n != 0 {
		t.Errorf("%d parcels after revert, want 0", n)
	}
	if code, _ := e.do(t, "DELETE", fmt.Sprintf("/api/v1/imports/%v", doc["id"])); code != http.StatusConflict {
		t.Errorf("second DELETE = %d, want 409", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/imports/424242"); code != http.StatusNotFound {
		t.Errorf("unknown import = %d, want 404", code)
	}
}

func TestImportAPI_BadInputsChangeNothing(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{MaxBytes: 150 << 10})
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		chunked bool
		status  int    // the POST's answer
		final   string // the job's state when the POST answered 202
		want    string // in the problem detail or the record's error
	}{
		{"empty file", importFixture(t, "bad/empty.geojson"), nil, false, 400, "", "empty input"},
		{"truncated JSON", importFixture(t, "bad/truncated.geojson"), nil, false, 400, "", "truncated"},
		{"not a FeatureCollection", importFixture(t, "bad/not-a-collection.geojson"), nil, false, 400, "", "not a FeatureCollection"},
		{"100,000 nested arrays", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":` + strings.Repeat("[", 100000)), nil, false, 400, "", "nested deeper than 64 levels"},
		{"1e400", importFixture(t, "bad/number-1e400.geojson"), nil, false, 400, "", "1e400 is out of range"},
		{"NaN", importFixture(t, "bad/nan.geojson"), nil, false, 400, "", "NaN is not valid JSON"},
		{"non-UTF-8", importFixture(t, "bad/non-utf8.geojson"), nil, false, 400, "", "invalid UTF-8"},
		{"ring with 2 points", importFixture(t, "bad/ring-2-points.geojson"), nil, false, 202, "failed", "1 features rejected"},
		{"mixed geometry types", importFixture(t, "bad/mixed-geometry-types.geojson"), nil, false, 202, "failed", "1 features rejected"},
		{"CRS does not match", importFixture(t, "bad/crs-mismatch.geojson"), nil, false, 422, "", "EPSG:4326 (WGS 84) but the first coordinates (569613.7, 1275708.6)"},
		{"over the size limit", bytes.Repeat([]byte(" "), 200<<10), nil, false, 413, "", "larger than the import limit"},
		{"over the size limit, chunked", append([]byte(`{"type":"FeatureCollection","features":[`), bytes.Repeat([]byte(" "), 200<<10)...), nil, true, 413, "", "larger than the import limit"},
		{"gzip bomb", gzipped(t, append([]byte(`{"type":"FeatureCollection","features":[`), bytes.Repeat([]byte(" "), 50<<20)...)),
			map[string]string{"Content-Encoding": "gzip"}, false, 413, "", "after decompression"},
		{"not gzip", []byte("plain"), map[string]string{"Content-Encoding": "gzip"}, false, 400, "", "not valid gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := apiSnapshot(t, e.pool)
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // no length known: the limit must hold while streaming
			}
			// A bad input is refused, whatever the machine's speed; one that makes the server hang
			// fails here with its name rather than at go test's timeout.
			type answer struct {
				code int
				doc  map[string]any
			}
			answered := make(chan answer, 1)
			go func() {
				code, doc := e.post(t, "/api/v1/layers/parcels/imports", body, tt.headers)
				answered <- answer{code, doc}
			}()
			var code int
			var doc map[string]any
			select {
			case a := <-answered:
				code, doc = a.code, a.doc
			case <-time.After(2 * time.Minute):
				t.Fatal("no answer within 2 minutes: a bad input must be refused, not hang the import")
			}
			if code != tt.status {
				t.Fatalf("status = %d %v, want %d", code, doc, tt.status)
			}
			text := fmt.Sprint(doc["detail"])
			if code == http.StatusAccepted {
				final := e.wait(t, doc["id"])
				if final["state"] != tt.final {
					t.Errorf("state = %v, want %s", final["state"], tt.final)
				}
				text = fmt.Sprint(final["error"])
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("message %q, want it to contain %q", text, tt.want)
			}
			if strings.Contains(strings.ToLower(text), "select ") || strings.Contains(text, "pgx") {
				t.Errorf("message leaks internals: %q", text)
			}
			sameAPISnapshot(t, before, apiSnapshot(t, e.pool))
		})
	}
	// A byte order mark is fine.
	code, doc := e.post(t, "/api/v1/layers/parcels/imports", bytes.NewReader(importFixture(t, "bom.geojson")), nil)
	if code != 202 || e.wait(t, doc["id"])["state"] != "committed" {
		t.Errorf("BOM file: %d %v, want a committed import", code, doc)
	}
}

func TestImportAPI_Requests(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{})
	_, reader := mustKey(t, e.st, "Sở Tài nguyên", []string{"parcels:read"}, nil)
	body := func() io.Reader { return bytes.NewReader(importFixture(t, "parcels.geojson")) }
	req := func(target string, headers map[string]string) int {
		r := httptest.NewRequest("POST", target, body())
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		return rec.Code
	}
	adminH := map[string]string{"Authorization": "Bearer " + e.admin}
	tests := []struct {
		name    string
		target  string
		headers map[string]string
		want    int
	}{
		{"anonymous", "/api/v1/layers/parcels/imports", nil, 401},
		{"a key without write scope or admin", "/api/v1/layers/parcels/imports", map[string]string{"Authorization": "Bearer " + reader}, 403},
		{"unknown layer", "/api/v1/layers/wells/imports", adminH, 404},
		{"unknown parameter", "/api/v1/layers/parcels/imports?dryrun=true", adminH, 400},
		{"bad mode", "/api/v1/layers/parcels/imports?mode=merge", adminH, 400},
		{"bad srid", "/api/v1/layers/parcels/imports?srid=abc", adminH, 400},
		{"unsupported srid", "/api/v1/layers/parcels/imports?srid=3148", adminH, 400},
		{"upsert without key on a layer without one", "/api/v1/layers/constructions/imports?mode=upsert", adminH, 400},
		{"create an existing layer", "/api/v1/layers/parcels/imports?create=true", adminH, 409},
		{"unknown key attribute", "/api/v1/layers/parcels/imports?key=foo", adminH, 400},
		{"offline not a boolean", "/api/v1/layers/parcels/imports?offline=soon", adminH, 400},
		{"offline into a new layer", "/api/v1/layers/wells/imports?create=true&offline=true", adminH, 400},
		{"max_value_bytes not a number", "/api/v1/layers/parcels/imports?max_value_bytes=lots", adminH, 400},
		{"max_value_bytes of 0", "/api/v1/layers/parcels/imports?max_value_bytes=0", adminH, 400},
		{"brotli", "/api/v1/layers/parcels/imports", map[string]string{"Authorization": "Bearer " + e.admin, "Content-Encoding": "br"}, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := req(tt.target, tt.headers); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
	// Dry run, offline and create over HTTP.
	code, doc := e.post(t, "/api/v1/layers/parcels/imports?dry_run=true", body(), nil)
	if code != 202 || e.wait(t, doc["id"])["state"] != "validated" {
		t.Errorf("dry run: %d %v", code, doc)
	}
	code, doc = e.post(t, "/api/v1/layers/parcels/imports?dry_run=true&offline=true", body(), nil)
	if job := e.wait(t, doc["id"]); code != 202 || job["state"] != "validated" {
		t.Errorf("offline dry run: %d %v", code, job)
	}
	// The bound on attribute values is a parameter: the fixture's addresses are longer than 10 bytes.
	code, doc = e.post(t, "/api/v1/layers/parcels/imports?max_value_bytes=10", body(), nil)
	if job := e.wait(t, doc["id"]); code != 202 || job["state"] != "failed" || !strings.Contains(fmt.Sprint(job["report"]), "value_too_large") {
		t.Errorf("max_value_bytes=10: %d %v, want the features with longer values rejected", code, job)
	}
	roads := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"Tên":"ĐT741","Làn":4},"geometry":{"type":"LineString","coordinates":[[106.9,11.5],[106.91,11.51]]}}]}`
	code, doc = e.post(t, "/api/v1/layers/roads/imports?create=true&title="+strings.ReplaceAll("Đường giao thông", " ", "%20"), strings.NewReader(roads), nil)
	if code != 202 || e.wait(t, doc["id"])["state"] != "committed" {
		t.Fatalf("create: %d %v", code, doc)
	}
	code, layer := e.do(t, "GET", "/api/v1/layers/roads")
	if code != 200 || layer["title"] != "Đường giao thông" {
		t.Errorf("GET /api/v1/layers/roads = %d %v", code, layer)
	}
}

func TestImportAPI_CancelAndBusy(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{Jobs: 1})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	before := apiSnapshot(t, e.pool)
	pr, pw := io.Pipe()
	type answer struct {
		code int
		doc  map[string]any
	}
	answers := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/layers/parcels/imports", pr)
		req.Header.Set("Authorization", "Bearer "+e.admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answers <- answer{code: -1}
			return
		}
		defer res.Body.Close()
		var doc map[string]any
		json.NewDecoder(res.Body).Decode(&doc)
		answers <- answer{res.StatusCode, doc}
	}()
	pw.Write([]byte(`{"type":"FeatureCollection","features":[`))
	// Wait for the job to show up as running.
	var id any
	for deadline := time.Now().Add(10 * time.Second); id == nil; {
		_, list := e.do(t, "GET", "/api/v1/imports?state=running")
		if items, _ := list["imports"].([]any); len(items) == 1 {
			id = items[0].(map[string]any)["id"]
			if items[0].(map[string]any)["progress"] == nil {
				t.Errorf("a running import without progress: %v", items[0])
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload never showed up as a running import")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// One job at a time: a second upload, by another key, is refused (by the same key it is
	// refused with 429, see TestImportAPI_SlowUploads).
	_, other := mustKey(t, e.st, "Sở Xây dựng", []string{"admin", "parcels:personal"}, nil)
	second := httptest.NewRequest("POST", "/api/v1/layers/parcels/imports", bytes.NewReader(importFixture(t, "parcels.geojson")))
	second.Header.Set("Authorization", "Bearer "+other)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, second)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second upload = %d %s, want 503 with Retry-After", rec.Code, rec.Body)
	}
	// Cancel it while the body is still arriving. The server drops the upload; the client
	// notices a little later and gives up.
	go func() {
		time.Sleep(300 * time.Millisecond)
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}()
	code, doc := e.do(t, "DELETE", fmt.Sprintf("/api/v1/imports/%v", id))
	switch {
	case code == 200 && doc["state"] == "cancelled":
	case code == 202 && doc["state"] == "cancelling": // a slow machine: the read took long to stop
		if final := e.wait(t, id); final["state"] != "cancelled" {
			t.Errorf("after cancelling: %v", final)
		}
	default:
		t.Errorf("DELETE of a running import = %d %v, want 200 cancelled", code, doc)
	}
	select {
	case a := <-answers:
		if a.code != http.StatusConflict && a.code != -1 {
			t.Errorf("the cancelled upload was answered %d %v, want 409", a.code, a.doc)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the cancelled upload got no answer within 60 s")
	}
	sameAPISnapshot(t, before, apiSnapshot(t, e.pool))
}

// A layer created from a file holds at most importer.MaxAttributes attributes: a file with more
// is refused before anything is written (PostgreSQL's column limit would otherwise make every
// tile of the layer fail), and a layer at the limit serves its tiles.
func TestImportAPI_AttributeLimit(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{})
	h := api.New(api.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler),
		Tiles: tiles.New(e.st, tiles.Options{Logger: slog.New(slog.DiscardHandler)})})
	file := func(n int) io.Reader {
		var b strings.Builder
		b.WriteString(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"Trường %d":%d`, i, i)
		}
		b.WriteString(`},"geometry":{"type":"Point","coordinates":[106.9,11.5]}}]}`)
		return strings.NewReader(b.String())
	}
	before := apiSnapshot(t, e.pool)
	code, doc := e.post(t, "/api/v1/layers/wide/imports?create=true", file(2000), nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(doc["detail"]), fmt.Sprintf("a layer holds at most %d attributes", importer.MaxAttributes)) {
		t.Errorf("2,000 properties: %d %v, want 422 saying a layer holds at most %d attributes", code, doc, importer.MaxAttributes)
	}
	sameAPISnapshot(t, before, apiSnapshot(t, e.pool))

	code, doc = e.post(t, "/api/v1/layers/wide/imports?create=true", file(importer.MaxAttributes), nil)
	if code != 202 || e.wait(t, doc["id"])["state"] != "committed" {
		t.Fatalf("%d properties: %d %v, want a committed import", importer.MaxAttributes, code, doc)
	}
	if _, err := e.st.LoadCatalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{106.9, 11.5}, 16)
	target := fmt.Sprintf("/tiles/wide/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)
	code, _, body := call(t, h, "GET", target, nil)
	if code != 200 || len(body) == 0 {
		t.Errorf("GET %s of a layer with %d attributes = %d (%d bytes), want a tile", target, importer.MaxAttributes, code, len(body))
	}
}

// Property names that gisd uses itself are renamed in a layer created from a file (and the
// report says so), so that "geometry" in a filter still means the shape; a property name with
// a control character is refused, the feature rejected with the name escaped in the report.
func TestImportAPI_PropertyNames(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{})
	wells := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"id":"W1","geometry":"giếng khoan","version":3,"Tên":"Giếng 1"},"geometry":{"type":"Point","coordinates":[106.9,11.5]}},
		{"type":"Feature","properties":{"id":"W2","geometry":"giếng đào","version":1,"Tên":"Giếng 2"},"geometry":{"type":"Point","coordinates":[107.5,12.0]}}]}`
	code, doc := e.post(t, "/api/v1/layers/wells/imports?create=true", strings.NewReader(wells), nil)
	job := e.wait(t, doc["id"])
	if code != 202 || job["state"] != "committed" {
		t.Fatalf("create: %d %v", code, job)
	}
	report := fmt.Sprint(job["report"])
	for _, name := range []string{"id", "geometry", "version"} {
		if !strings.Contains(report, fmt.Sprintf("field %q was imported as attribute f_%s", name, name)) {
			t.Errorf("report %s: want %s renamed to f_%s", report, name, name)
		}
	}
	_, layer := e.do(t, "GET", "/api/v1/layers/wells")
	got := ""
	for _, a := range layer["attributes"].([]any) {
		got += a.(map[string]any)["name"].(string) + " "
	}
	if got != "f_id f_geometry f_version ten " {
		t.Errorf("attributes %q, want f_id f_geometry f_version ten", got)
	}
	filter := "S_INTERSECTS(geometry,POLYGON((106.8 11.4,107 11.4,107 11.6,106.8 11.6,106.8 11.4)))"
	code, items := e.do(t, "GET", "/ogc/collections/wells/items?filter-lang=cql2-text&filter="+strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", ",", "%2C").Replace(filter))
	if code != 200 || items["numberMatched"] != float64(1) {
		t.Errorf("spatial filter on geometry: %d %v, want the one well inside", code, items)
	}
	code, items = e.do(t, "GET", "/ogc/collections/wells/items?filter-lang=cql2-text&filter=f_geometry%3D%27gi%E1%BA%BFng%20%C4%91%C3%A0o%27")
	if code != 200 || items["numberMatched"] != float64(1) {
		t.Errorf("filter on the renamed attribute: %d %v, want one well", code, items)
	}

	// Control characters in a property name: the feature is rejected, the name escaped.
	for _, tc := range []struct{ layer, query, body, want string }{
		{"springs", "?create=true", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"Ghi\u0000chú":"x"},"geometry":{"type":"Point","coordinates":[106.9,11.5]}}]}`,
			`the property name "Ghi\u0000chú" contains the control character U+0000`},
		{"parcels", "", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"MaXa":"25216","So\tTo":1},"geometry":{"type":"Polygon","coordinates":[[[106.9,11.5],[106.901,11.5],[106.901,11.501],[106.9,11.5]]]}}]}`,
			`the property name "So\u0009To" contains the control character U+0009`},
	} {
		before := apiSnapshot(t, e.pool)
		code, doc := e.post(t, "/api/v1/layers/"+tc.layer+"/imports"+tc.query, strings.NewReader(tc.body), nil)
		job := e.wait(t, doc["id"])
		entries, _ := job["report"].([]any)
		if code != 202 || job["state"] != "failed" || len(entries) != 1 || entries[0].(map[string]any)["code"] != "bad_field_name" ||
			!strings.Contains(fmt.Sprint(entries[0].(map[string]any)["reason"]), tc.want) {
			t.Errorf("%s: %d %v, want the feature rejected: %s", tc.layer, code, job, tc.want)
		}
		sameAPISnapshot(t, before, apiSnapshot(t, e.pool))
	}
}

// rawUpload starts an import over a raw connection, sending the headers and the first bytes
// of a body it announces as larger, and returns the connection for the test to go on with.
func rawUpload(t *testing.T, srv *httptest.Server, key, first string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /api/v1/layers/parcels/imports HTTP/1.1\r\nHost: gisd\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n%s", key, first)
	return conn
}

// answer reads the status line the server sends on conn, within a deadline.
func answer(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to a stalled upload within 20 s: %v", err)
	}
	return strings.TrimSpace(line)
}

// A slow or stalled upload cannot starve other imports: one key runs one import at a time
// (429 beyond), and an upload that stops, or trickles slower than the minimum rate, is aborted
// after the stall timeout and frees its slot.
func TestImportAPI_SlowUploads(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{Jobs: 2, StallTimeout: 500 * time.Millisecond, MinRate: 200})
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close) // after the raw connections close (cleanups run last first)
	_, other := mustKey(t, e.st, "Sở Xây dựng", []string{"admin", "parcels:personal"}, nil)
	runningUploads := func() int {
		_, list := e.do(t, "GET", "/api/v1/imports?state=running")
		items, _ := list["imports"].([]any)
		return len(items)
	}

	// A client that sends the start of its file, then nothing.
	stalled := rawUpload(t, srv, e.admin, `{"type":"FeatureCollection","features":[`)
	for deadline := time.Now().Add(10 * time.Second); runningUploads() != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stalled upload never showed up as a running import")
		}
	}
	// The same key may not start a second import meanwhile; another key may (it waits for the
	// layer, which the stalled import holds until it is aborted).
	postAs := func(key, what string, want int) {
		t.Helper()
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			req := httptest.NewRequest("POST", "/api/v1/layers/parcels/imports?dry_run=true", bytes.NewReader(importFixture(t, "parcels.geojson")))
			req.Header.Set("Authorization", "Bearer "+key)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			done <- rec
		}()
		select {
		case rec := <-done:
			if rec.Code != want {
				t.Errorf("%s = %d %s, want %d", what, rec.Code, rec.Body, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no answer within 20 s, held up by the stalled upload", what)
		}
	}
	postAs(e.admin, "a second import by the same key", http.StatusTooManyRequests)
	postAs(other, "an import by another key", http.StatusAccepted)
	// The stalled upload is aborted and answered; its import failed, nothing written.
	if line := answer(t, stalled); !strings.Contains(line, "408") {
		t.Errorf("the stalled upload was answered %q, want 408", line)
	}
	_, list := e.do(t, "GET", "/api/v1/imports?layer=parcels&state=failed")
	if items, _ := list["imports"].([]any); len(items) != 1 || !strings.Contains(fmt.Sprint(items[0]), "the upload stalled: no data for 500ms") {
		t.Errorf("failed imports %v, want the stalled one, saying why", list)
	}
	// Its slot is free again: the key imports.
	code, doc := e.post(t, "/api/v1/layers/parcels/imports", bytes.NewReader(importFixture(t, "parcels.geojson")), nil)
	if code != 202 || e.wait(t, doc["id"])["state"] != "committed" {
		t.Errorf("an import after the stalled one = %d %v, want a committed import", code, doc)
	}

	// A client that trickles a byte every 50 ms (20 bytes a second, under the 200 required).
	trickle := rawUpload(t, srv, e.admin, `{`)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := trickle.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	if line := answer(t, trickle); !strings.Contains(line, "408") {
		t.Errorf("the trickling upload was answered %q, want 408", line)
	}
}

// An import whose instance died (its record still says running, its lease has run out, a
// backend may still hold its locks) can be cancelled; a running import cannot be reverted.
func TestImportAPI_CancelADeadImport(t *testing.T) {
	e := newImportAPI(t, api.ImportConfig{})
	ctx := context.Background()
	var id int64
	if err := e.pool.QueryRow(ctx, `INSERT INTO imports (layer_id, mode, state, actor, lease_until)
		VALUES ('parcels', 'append', 'running', 'key:1', now() - interval '1 second') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, e.pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The dead instance's backend, still holding the import's lock (store's lockImportJob).
	if _, err := conn.Exec(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_xact_lock(7318006, $1::int)`, id); err != nil {
		t.Fatal(err)
	}
	code, doc := e.do(t, "DELETE", fmt.Sprintf("/api/v1/imports/%d", id))
	if code != http.StatusOK || doc["state"] != "cancelled" || doc["finished_at"] == nil {
		t.Fatalf("DELETE of a dead import = %d %v, want 200 cancelled", code, doc)
	}
	if _, err := conn.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("the dead import's backend still runs")
	}
	// Cancelled is final: a second DELETE has nothing to revert.
	if code, doc := e.do(t, "DELETE", fmt.Sprintf("/api/v1/imports/%d", id)); code != http.StatusConflict {
		t.Errorf("second DELETE = %d %v, want 409", code, doc)
	}
}
