package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
	"github.com/dongnai-gis/gisd/tiles"
)

// countingSource is the store as the tile service sees it, counting tile renders (one
// statement each) and optionally holding them until gate is closed.
type countingSource struct {
	*store.Store
	calls atomic.Int64
	gate  chan struct{}
}

func (c *countingSource) RenderTile(ctx context.Context, q store.TileQuery) ([]byte, error) {
	c.calls.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.Store.RenderTile(ctx, q)
}

type tileEnv struct {
	url  string
	st   *store.Store
	src  *countingSource
	svc  *tiles.Service
	h    http.Handler
	lon  float64 // a point inside parcel pid
	lat  float64
	pid  int64
	z16  maptile.Tile // the z16 tile holding that point
	opts tiles.Options
}

// newTileEnv serves tiles from a fresh copy of the demo province.
func newTileEnv(t *testing.T, opts tiles.Options) *tileEnv {
	t.Helper()
	e := &tileEnv{url: storetest.Demo(t), opts: opts}
	e.st = storetest.Store(t, e.url)
	e.src = &countingSource{Store: e.st}
	if e.opts.CacheBytes == 0 {
		e.opts.CacheBytes = 64 << 20
	}
	if e.opts.CacheBytes < 0 {
		e.opts.CacheBytes = 0
	}
	e.opts.Logger = slog.New(slog.DiscardHandler)
	e.svc = tiles.New(e.src, e.opts)
	e.st.Subscribe(e.svc)
	e.h = api.New(api.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler), Tiles: e.svc})
	// A parcel with a construction on it, so that a z16 tile holds all three layers.
	err := storetest.Pool(t, e.url).QueryRow(context.Background(), `
		SELECT p.id, ST_X(c), ST_Y(c) FROM parcels p
		CROSS JOIN LATERAL (SELECT ST_PointOnSurface(p.geom) AS c) x
		WHERE EXISTS (SELECT 1 FROM constructions k WHERE k.geom && p.geom)
		ORDER BY p.id LIMIT 1`).Scan(&e.pid, &e.lon, &e.lat)
	if err != nil {
		t.Fatalf("find a parcel: %v", err)
	}
	e.z16 = maptile.At(orb.Point{e.lon, e.lat}, 16)
	return e
}

func (e *tileEnv) tilePath(layers string, z maptile.Zoom) string {
	tl := maptile.At(orb.Point{e.lon, e.lat}, z)
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, tl.Z, tl.X, tl.Y)
}

func fetch(t testing.TB, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decode reads an MVT response, gzip or not as its Content-Encoding says.
func decode(t testing.TB, rec *httptest.ResponseRecorder) mvt.Layers {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
	}
	var ls mvt.Layers
	var err error
	if rec.Header().Get("Content-Encoding") == "gzip" {
		ls, err = mvt.UnmarshalGzipped(rec.Body.Bytes())
	} else {
		ls, err = mvt.Unmarshal(rec.Body.Bytes())
	}
	if err != nil {
		t.Fatalf("decode MVT: %v", err)
	}
	return ls
}

func layerNames(ls mvt.Layers) []string {
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	return names
}

func findLayer(ls mvt.Layers, name string) *mvt.Layer {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func TestTiles_CompositeTile(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	path := e.tilePath("admin_units,parcels,constructions", 16)

	rec := fetch(t, e.h, path, "Accept-Encoding", "gzip")
	if got := rec.Header().Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding %q, want gzip", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/vnd.mapbox-vector-tile" {
		t.Errorf("Content-Type %q", got)
	}
	if got := rec.Header().Get("X-Cache"); got != "MISS" {
		t.Errorf("X-Cache %q, want MISS", got)
	}
	ls := decode(t, rec)
	if got, want := layerNames(ls), []string{"admin_units", "parcels", "constructions"}; !slices.Equal(got, want) {
		t.Fatalf("layers %v, want %v", got, want)
	}
	if n := e.src.calls.Load(); n != 1 {
		t.Errorf("tile statements for a three-layer tile = %d, want 1", n)
	}

	parcels := findLayer(ls, "parcels")
	if parcels.Extent != 4096 || parcels.Version != 2 {
		t.Errorf("parcels layer: extent %v version %d, want 4096 and 2", parcels.Extent, parcels.Version)
	}
	var found bool
	public := []string{"commune_code", "sheet_no", "parcel_no", "main_use", "land_use", "official_area_m2", "legal_area_m2", "address"}
	for _, f := range parcels.Features {
		if f.ID == nil {
			t.Fatal("a parcel without feature id")
		}
		for _, personal := range []string{"owner_name", "owner_id_number", "certificate_no"} {
			if _, ok := f.Properties[personal]; ok {
				t.Fatalf("parcel %v carries personal field %s", f.ID, personal)
			}
		}
		if fmt.Sprint(f.ID) != fmt.Sprint(e.pid) {
			continue
		}
		found = true
		for _, k := range public {
			if _, ok := f.Properties[k]; !ok && k != "legal_area_m2" { // legal area may be null
				t.Errorf("parcel %d lacks public field %s (has %v)", e.pid, k, f.Properties)
			}
		}
		if lu, _ := f.Properties["land_use"].(string); lu == "" || strings.ContainsAny(lu, "[{") {
			t.Errorf("land_use %q, want codes like ONT+CLN", f.Properties["land_use"])
		}
		if _, ok := f.Properties["sheet_no"].(float64); !ok {
			t.Errorf("sheet_no is %T, want a number", f.Properties["sheet_no"])
		}
	}
	if !found {
		t.Errorf("parcel %d is not in tile %s", e.pid, path)
	}

	// Identity when the client does not take gzip; the same tile.
	plain := fetch(t, e.h, path)
	if plain.Header().Get("Content-Encoding") != "" {
		t.Errorf("Content-Encoding %q without Accept-Encoding", plain.Header().Get("Content-Encoding"))
	}
	if got := plain.Header().Get("X-Cache"); got != "HIT" {
		t.Errorf("second fetch: X-Cache %q, want HIT", got)
	}
	if got := decode(t, plain); len(got) != 3 || len(findLayer(got, "parcels").Features) != len(parcels.Features) {
		t.Errorf("identity tile differs from the gzip one")
	}
	if refused := fetch(t, e.h, path, "Accept-Encoding", "gzip;q=0, br"); refused.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got Content-Encoding %q", refused.Header().Get("Content-Encoding"))
	}
	if n := e.src.calls.Load(); n != 1 {
		t.Errorf("statements after cache hits = %d, want 1", n)
	}
}

func TestTiles_ETag(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	path := e.tilePath("parcels", 16)
	first := fetch(t, e.h, path, "Accept-Encoding", "gzip")
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "no-cache" || first.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v: want ETag, Cache-Control no-cache, Vary Accept-Encoding", first.Header())
	}
	for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
		rec := fetch(t, e.h, path, "If-None-Match", inm)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: status %d, body %d bytes, etag %q; want 304, empty, same etag", inm, rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
		}
	}
	if rec := fetch(t, e.h, path, "If-None-Match", `W/"stale"`); rec.Code != http.StatusOK {
		t.Errorf("stale If-None-Match: %d, want 200", rec.Code)
	}
	// Tiles of other instances carry the same ETag: it is derived from the content.
	other := tiles.New(e.st, tiles.Options{CacheBytes: 1 << 20})
	h2 := api.New(api.Config{Store: e.st, Logger: slog.New(slog.DiscardHandler), Tiles: other, TileCacheControl: "public, max-age=60"})
	rec := fetch(t, h2, path)
	if rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("second instance: ETag %q Cache-Control %q; want %q and the configured one", rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"), etag)
	}
}

func TestTiles_Empty(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	for _, tc := range []struct {
		name, path string
		statements int64
	}{
		{"no data there", "/tiles/admin_units,parcels/16/0/0.mvt", 1},
		{"no layer at this zoom", e.tilePath("parcels,constructions", 12), 0},
	} {
		before := e.src.calls.Load()
		rec := fetch(t, e.h, tc.path, "Accept-Encoding", "gzip")
		if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
			t.Errorf("%s: %d with %d bytes, want 204 and no body", tc.name, rec.Code, rec.Body.Len())
		}
		if got := e.src.calls.Load() - before; got != tc.statements {
			t.Errorf("%s: %d statements, want %d", tc.name, got, tc.statements)
		}
	}
}

func TestTiles_BadRequests(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	for _, tc := range []struct {
		path  string
		want  int
		param string
	}{
		{"/tiles/parcels/23/0/0.mvt", 400, "z"},
		{"/tiles/parcels/-1/0/0.mvt", 400, "z"},
		{"/tiles/parcels/z/0/0.mvt", 400, "z"},
		{"/tiles/parcels/1.5/0/0.mvt", 400, "z"},
		{"/tiles/parcels/99999999999999999999/0/0.mvt", 400, "z"},
		{"/tiles/parcels/2/4/0.mvt", 400, "x"},
		{"/tiles/parcels/2/+1/0.mvt", 400, "x"},
		{"/tiles/parcels/2/0x1/0.mvt", 400, "x"},
		{"/tiles/parcels/2/0/4.mvt", 400, "y"},
		{"/tiles/parcels/2/0/.mvt", 400, "y"},
		{"/tiles/parcels/2/0/1e1.mvt", 400, "y"},
		{"/tiles/nope/2/0/0.mvt", 404, "layers"},
		{"/tiles/parcels,nope/2/0/0.mvt", 404, "layers"},
		{"/tiles/PARCELS/2/0/0.mvt", 404, "layers"},
		{"/tiles/parcels,/2/0/0.mvt", 400, "layers"},
		{"/tiles/parcels,parcels/2/0/0.mvt", 400, "layers"},
		{"/tiles/parcels/2/0/0.png", 404, ""},
		{"/tiles/parcels/2/0/0.pbf", 404, ""},
		{"/tiles/parcels/2/0/0", 404, ""},
		{"/tiles/parcels/2/0.mvt", 404, ""},
		{"/tiles/parcels/2/0/0/0.mvt", 404, ""},
		{"/tiles/parcels/2/0/0.mvt/", 404, ""},
		{"/tiles/", 404, ""},
		{"/tiles/nope.json", 404, "layers"},
		{"/tiles/parcels.xml", 404, ""},
		{"/tiles/parcels", 404, ""},
		{"/tiles/parcels/2/0/0.mvt?date=2025-13-01", 400, "date"},
		{"/tiles/parcels/2/0/0.mvt?date=2025-7-1", 400, "date"},
		{"/tiles/admin_units/2/0/0.mvt?date=yesterday", 400, "date"},
		{"/tiles/admin_units/2/0/0.mvt?date=", 400, "date"},
		{"/tiles/admin_units/2/0/0.mvt?date=2025-07-01&date=2025-07-02", 400, "date"},
		{"/tiles/admin_units.json?date=2025-02-30", 400, "date"},
		{"/tiles/parcels/14/0/0.mvt?filter=owner_name%3D%27x%27", 400, "filter"},
		{"/tiles/parcels/14/0/0.mvt?filter=nope%3D1", 400, "filter"},
		{"/tiles/parcels/14/0/0.mvt?filter=main_use%20%3D", 400, "filter"},
		{"/tiles/parcels/14/0/0.mvt?filter=", 400, "filter"},
		{"/tiles/parcels/14/0/0.mvt?filter-lang=cql2-json", 400, "filter-lang"},
		{"/tiles/parcels/14/0/0.mvt?filter=main_use%3D%27ONT%27&filter-lang=sql", 400, "filter-lang"},
		{"/tiles/parcels/14/0/0.mvt?filter=main_use%3D%27ONT%27&filter-crs=EPSG:1", 400, "filter-crs"},
		{"/tiles/admin_units,parcels/14/0/0.mvt?filter=main_use%3D%27ONT%27", 400, "filter"},
	} {
		rec := fetch(t, e.h, tc.path)
		if rec.Code != tc.want {
			t.Errorf("GET %s: %d, want %d (%s)", tc.path, rec.Code, tc.want, rec.Body)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("GET %s: Content-Type %q, want application/problem+json", tc.path, ct)
		}
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.want || p.Detail == "" {
			t.Errorf("GET %s: problem %s (%v)", tc.path, rec.Body, err)
		}
		if tc.param != "" && (len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != tc.param) {
			t.Errorf("GET %s: invalid-params %+v, want %s", tc.path, p.InvalidParams, tc.param)
		}
	}
	if n := e.src.calls.Load(); n != 0 {
		t.Errorf("bad requests ran %d statements", n)
	}
}

func TestTiles_AdminUnitsByDate(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	path := e.tilePath("admin_units", 9)
	levels := func(date string) map[string]int {
		t.Helper()
		p := path
		if date != "" {
			p += "?date=" + date
		}
		ls := decode(t, fetch(t, e.h, p))
		out := map[string]int{}
		if l := findLayer(ls, "admin_units"); l != nil {
			for _, f := range l.Features {
				out[fmt.Sprint(f.Properties["level"])]++
			}
		}
		return out
	}
	before, after, today := levels("2025-06-30"), levels("2025-07-01"), levels("")
	if before["district"] == 0 {
		t.Errorf("2025-06-30: levels %v, want districts (before the reform)", before)
	}
	if after["district"] != 0 || after["commune"] == 0 {
		t.Errorf("2025-07-01: levels %v, want communes and no district (after the reform)", after)
	}
	if today["district"] != 0 {
		t.Errorf("today: levels %v, want the units valid today (no district)", today)
	}
}

// Up to z12 tiles are generalized: lines and polygons simplified to a pixel, and features
// smaller than a pixel left out. Each step has a case that only it explains, compared with the
// same tile rendered by store with no generalization, so the test fails if either is lost.
func TestTiles_LowZoomIsGeneralized(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	units, ok := e.st.Catalog().Layer("admin_units")
	if !ok {
		t.Fatal("no admin_units layer")
	}
	count := func(ls mvt.Layers) (features, vertices int) {
		for _, l := range ls {
			features += len(l.Features)
			for _, f := range l.Features {
				vertices += len(points(f.Geometry))
			}
		}
		return features, vertices
	}
	var served, plain [13][2]int
	for z := maptile.Zoom(0); z <= 12; z++ {
		rec := fetch(t, e.h, e.tilePath("admin_units,parcels,constructions", z)+"?date=2025-08-01", "Accept-Encoding", "gzip")
		ls := decode(t, rec)
		if got := layerNames(ls); !slices.Equal(got, []string{"admin_units"}) {
			t.Errorf("z%d: layers %v, want admin_units only (parcels from z13, constructions from z15)", z, got)
		}
		served[z][0], served[z][1] = count(ls)
		tl := maptile.At(orb.Point{e.lon, e.lat}, z)
		b, err := e.st.RenderTile(context.Background(), store.TileQuery{Tile: geo.TileID{Z: uint32(tl.Z), X: tl.X, Y: tl.Y},
			Layers: []*store.Layer{units}, Extent: tiles.Extent, Buffer: tiles.Buffer, Date: "2025-08-01"})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := mvt.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		plain[z][0], plain[z][1] = count(ref)
		t.Logf("z%d: %d features, %d vertices; without generalization %d, %d", z, served[z][0], served[z][1], plain[z][0], plain[z][1])
		if served[z][0] > plain[z][0] || served[z][1] > plain[z][1] {
			t.Errorf("z%d: generalized tile has more than the plain one", z)
		}
	}
	// The demo's units are simple polygons, so simplifying at a pixel shows at the lowest zooms:
	// from z2 to z4 every unit is drawn, with fewer vertices.
	for z := 2; z <= 4; z++ {
		if served[z][0] != plain[z][0] || served[z][1] >= plain[z][1] {
			t.Errorf("z%d: %d features with %d vertices, without generalization %d with %d; want the same features with fewer vertices",
				z, served[z][0], served[z][1], plain[z][0], plain[z][1])
		}
	}

	// A stroke 0.6 pixel long in each direction at z10 across the middle of a pixel, so that its
	// ends round to different grid points: snapped to the grid it is still drawn, one pixel
	// long, and simplification keeps a two-point line whole; only the size filter leaves it out.
	// (A polygon that small vanishes anyway when it is simplified and snapped: there the filter
	// only saves work.) From z13, where it is five pixels long and nothing is filtered, it shows.
	ctx := context.Background()
	tl10 := maptile.At(orb.Point{e.lon, e.lat}, 10)
	z10 := geo.TileID{Z: 10, X: tl10.X, Y: tl10.Y}
	mb := z10.MercatorBound()
	unit := (mb.Max[0] - mb.Min[0]) / tiles.Extent
	x, y := mb.Min[0]+2048.5*unit, mb.Min[1]+2048.5*unit
	db := storetest.Pool(t, e.url)
	if _, err := db.Exec(ctx, `INSERT INTO layers (id, title, storage, geometry_type, attributes, access, min_zoom, max_zoom)
		VALUES ('specks', 'Specks', 'generic', 'LineString', '[]', 'public', 0, 22)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO layer_features (layer_id, properties, geom)
		VALUES ('specks', '{}', ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($3, $4)), 3857), 4326))`,
		x-0.3*unit, y-0.3*unit, x+0.3*unit, y+0.3*unit); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.LoadCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	specks, _ := e.st.Catalog().Layer("specks")
	b, err := e.st.RenderTile(ctx, store.TileQuery{Tile: z10, Layers: []*store.Layer{specks}, Extent: tiles.Extent, Buffer: tiles.Buffer})
	if err != nil {
		t.Fatal(err)
	}
	if ref, err := mvt.Unmarshal(b); err != nil || len(ref) != 1 || len(ref[0].Features) != 1 {
		t.Fatalf("without generalization the stroke should be drawn: %v %v", ref, err)
	}
	tilePath := func(tl geo.TileID) string { return fmt.Sprintf("/tiles/specks/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y) }
	if rec := fetch(t, e.h, tilePath(z10)); rec.Code != http.StatusNoContent {
		t.Errorf("z10: the stroke shorter than a pixel is drawn (status %d, want 204)", rec.Code)
	}
	z13 := geo.TileID{Z: 13, X: z10.X*8 + 4, Y: z10.Y*8 + 3} // the z13 tile holding the stroke
	if l := findLayer(decode(t, fetch(t, e.h, tilePath(z13))), "specks"); l == nil || len(l.Features) != 1 {
		t.Errorf("z13: specks layer %v, want the stroke", l)
	}
	if ls := decode(t, fetch(t, e.h, e.tilePath("admin_units,parcels,constructions", 14))); !slices.Equal(layerNames(ls), []string{"admin_units", "parcels"}) {
		t.Errorf("z14: layers %v, want admin_units and parcels", layerNames(ls))
	}
}

// probe is a change subscriber registered after the tile service: when it hears of a change or
// a reset, the service has already handled it, so a test can wait for the event itself instead
// of polling.
type probe struct {
	changes chan store.ChangeEvent
	resets  chan struct{}
}

func newProbe() *probe {
	return &probe{changes: make(chan store.ChangeEvent, 64), resets: make(chan struct{}, 64)}
}

func (p *probe) Changed(ev store.ChangeEvent) { p.changes <- ev }
func (p *probe) Reset()                       { p.resets <- struct{}{} }

// await returns the next value of ch, failing the test after 10 s.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
		panic("unreachable")
	}
}

// newListeningTileEnv is newTileEnv with the store's change listener running until the test
// ends, and a probe subscribed after the tile service. It returns once the first LISTEN is in
// place and the start-up reset is done.
func newListeningTileEnv(t *testing.T) (*tileEnv, *probe) {
	t.Helper()
	e, p := newTileEnv(t, tiles.Options{}), newProbe()
	e.st.Subscribe(p)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); _ = e.st.Listen(ctx, listening) }()
	t.Cleanup(func() { cancel(); <-done })
	await(t, listening, "listener start")
	await(t, p.resets, "start-up reset")
	return e, p
}

// xcache fetches path and returns its X-Cache header.
func (e *tileEnv) xcache(t *testing.T, path string) string {
	t.Helper()
	rec := fetch(t, e.h, path, "Accept-Encoding", "gzip")
	if rec.Code != http.StatusOK && rec.Code != http.StatusNoContent {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Header().Get("X-Cache")
}

// cached fetches each path, expecting a cache hit.
func (e *tileEnv) cached(t *testing.T, when string, paths ...string) {
	t.Helper()
	for _, path := range paths {
		if got := e.xcache(t, path); got != "HIT" {
			t.Errorf("%s %s: X-Cache %q, want HIT", path, when, got)
		}
	}
}

// address is the address parcel e.pid shows in its z16 tile.
func (e *tileEnv) address(t *testing.T) string {
	t.Helper()
	ls := decode(t, fetch(t, e.h, e.tilePath("parcels", 16), "Accept-Encoding", "gzip"))
	for _, f := range findLayer(ls, "parcels").Features {
		if fmt.Sprint(f.ID) == fmt.Sprint(e.pid) {
			return fmt.Sprint(f.Properties["address"])
		}
	}
	t.Fatalf("parcel %d not in its tile", e.pid)
	return ""
}

// setAddress changes parcel e.pid's address over another application's connection, and waits
// until the change has reached the tile service.
func (e *tileEnv) setAddress(t *testing.T, p *probe, address string) {
	t.Helper()
	if _, err := storetest.Pool(t, e.url).Exec(context.Background(), `UPDATE parcels SET address = $1 WHERE id = $2`, address, e.pid); err != nil {
		t.Fatal(err)
	}
	if ev := await(t, p.changes, "change notification"); ev.Layer != "parcels" {
		t.Fatalf("change event %+v, want parcels", ev)
	}
}

// A change typed straight into the database reaches the cache through NOTIFY: the next fetch of
// the changed tile shows it, and only that tile was dropped — a neighbour of the same layer and
// another layer's tile at the same place stay cached.
func TestTiles_ChangeInSQLInvalidates(t *testing.T) {
	e, p := newListeningTileEnv(t)

	changed := e.tilePath("parcels", 16)
	neighbour := fmt.Sprintf("/tiles/parcels/16/%d/%d.mvt", e.z16.X+3, e.z16.Y)
	constructions := e.tilePath("constructions", 16)
	old := e.address(t) // renders the changed tile
	e.xcache(t, neighbour)
	e.xcache(t, constructions)
	e.cached(t, "fetched again", changed, neighbour, constructions)

	want := "Số 1 đường Đã Đổi, phường Tân Phú"
	e.setAddress(t, p, want)
	if got := e.address(t); got != want {
		t.Errorf("after the change the tile shows %q (was %q), want %q", got, old, want)
	}
	e.cached(t, "after a change elsewhere (only touched tiles are dropped)", neighbour, constructions)
	if st := e.svc.Stats(); st.Invalidations != 1 {
		t.Errorf("stats %+v: want exactly one invalidation", st)
	}
}

// When the listener loses its connection it reconnects; since notifications sent meanwhile are
// lost, the cache is dropped, and changes reach it again over the new connection.
func TestTiles_ListenerReconnects(t *testing.T) {
	e, p := newListeningTileEnv(t)
	path := e.tilePath("parcels", 16)
	e.xcache(t, path)
	if got := e.xcache(t, path); got != "HIT" {
		t.Fatalf("second fetch: X-Cache %q, want HIT", got)
	}

	// Terminate the listener's backend, and only it: the one connection of this test's
	// database whose last statement was the LISTEN.
	db := storetest.Pool(t, e.url)
	var terminated int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&terminated); err != nil {
		t.Fatal(err)
	}
	if terminated != 1 {
		t.Fatalf("terminated %d listener backends, want 1", terminated)
	}
	await(t, p.resets, "reset after the reconnection")
	if got := e.xcache(t, path); got != "MISS" {
		t.Errorf("after the reconnection: X-Cache %q, want MISS (the cache is dropped: changes may have been missed)", got)
	}

	want := "Số 2 đường Nối Lại, phường Tân Phú"
	e.setAddress(t, p, want)
	if got := e.address(t); got != want {
		t.Errorf("a change after the reconnection: the tile shows %q, want %q", got, want)
	}
}

func TestTiles_Singleflight(t *testing.T) {
	const n = 16
	e := newTileEnv(t, tiles.Options{})
	e.src.gate = make(chan struct{})
	path := e.tilePath("admin_units,parcels,constructions", 16)
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := fetch(t, e.h, path, "Accept-Encoding", "gzip")
			codes <- fmt.Sprint(rec.Code, " ", rec.Header().Get("X-Cache"))
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := e.svc.Stats(); st.Misses+st.Shared < n; st = e.svc.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("requests did not all arrive: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	close(e.src.gate)
	wg.Wait()
	close(codes)
	got := map[string]int{}
	for c := range codes {
		got[c]++
	}
	if e.src.calls.Load() != 1 || got["200 MISS"] != 1 || got["200 SHARED"] != n-1 {
		t.Errorf("%d concurrent misses: %d statements, responses %v; want 1 statement, 1 MISS, %d SHARED", n, e.src.calls.Load(), got, n-1)
	}
}

func TestTiles_Timeout(t *testing.T) {
	e := newTileEnv(t, tiles.Options{Timeout: time.Nanosecond})
	rec := fetch(t, e.h, e.tilePath("parcels", 16))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("timed-out tile: %d %s, want 503 problem", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "context") || strings.Contains(rec.Body.String(), "store:") {
		t.Errorf("the problem leaks internals: %s", rec.Body)
	}
}

func TestTiles_ClientGone(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	e.src.gate = make(chan struct{}) // the statement waits until the client has gone
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", e.tilePath("parcels", 16), nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	go func() {
		for e.svc.Stats().Misses == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("client gone: status %d, want 499 (nobody reads it)", rec.Code)
	}
}

func TestTiles_TileJSON(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	rec := fetch(t, e.h, "/tiles/admin_units,parcels,constructions.json?date=2025-06-30")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var tj struct {
		TileJSON     string     `json:"tilejson"`
		Tiles        []string   `json:"tiles"`
		Bounds       []float64  `json:"bounds"`
		Center       []float64  `json:"center"`
		MinZoom      *int       `json:"minzoom"`
		MaxZoom      *int       `json:"maxzoom"`
		VectorLayers []struct { //nolint:govet
			ID      string            `json:"id"`
			MinZoom int               `json:"minzoom"`
			MaxZoom int               `json:"maxzoom"`
			Fields  map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || *tj.MinZoom != 0 || *tj.MaxZoom != 22 {
		t.Errorf("tilejson %q tiles %v zoom %d-%d", tj.TileJSON, tj.Tiles, *tj.MinZoom, *tj.MaxZoom)
	}
	if want := "http://example.com/tiles/admin_units,parcels,constructions/{z}/{x}/{y}.mvt?date=2025-06-30"; tj.Tiles[0] != want {
		t.Errorf("tiles[0] = %q, want %q", tj.Tiles[0], want)
	}
	// The demo province lies around 106.4–107.5 E, 11.3–12.3 N.
	if len(tj.Bounds) != 4 || tj.Bounds[0] < 105 || tj.Bounds[2] > 108.5 || tj.Bounds[1] < 10 || tj.Bounds[3] > 13 {
		t.Errorf("bounds %v, want the province", tj.Bounds)
	}
	if len(tj.Center) != 3 || tj.Center[0] < tj.Bounds[0] || tj.Center[0] > tj.Bounds[2] || tj.Center[2] < 7 || tj.Center[2] > 10 {
		t.Errorf("center %v, want inside the bounds at a province-wide zoom", tj.Center)
	}
	zooms := map[string][2]int{"admin_units": {0, 22}, "parcels": {13, 22}, "constructions": {15, 22}}
	if len(tj.VectorLayers) != 3 {
		t.Fatalf("vector_layers %+v", tj.VectorLayers)
	}
	for _, vl := range tj.VectorLayers {
		if z := zooms[vl.ID]; vl.MinZoom != z[0] || vl.MaxZoom != z[1] {
			t.Errorf("%s: zooms %d-%d, want %v", vl.ID, vl.MinZoom, vl.MaxZoom, z)
		}
		if vl.ID == "parcels" {
			if vl.Fields["commune_code"] != "String" || vl.Fields["official_area_m2"] != "Number" || vl.Fields["land_use"] != "String" {
				t.Errorf("parcels fields %v", vl.Fields)
			}
			for _, personal := range []string{"owner_name", "owner_id_number", "certificate_no"} {
				if _, ok := vl.Fields[personal]; ok {
					t.Errorf("TileJSON lists personal field %s", personal)
				}
			}
		}
	}
}

// GDAL's MVT driver, what QGIS uses, reads our tiles.
func TestTiles_OGRInfo(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("GISD_REQUIRE_DB") == "1" {
			t.Fatal("ogrinfo is not installed (apt-get install gdal-bin; `make test-deps` does it)")
		}
		t.Skip("ogrinfo is not installed (apt-get install gdal-bin): skipping the GDAL check")
	}
	e := newTileEnv(t, tiles.Options{})
	rec := fetch(t, e.h, e.tilePath("admin_units,parcels,constructions", 16), "Accept-Encoding", "gzip")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	dir := t.TempDir()
	// GDAL georeferences a single tile from a {z}/{x}/{y}.pbf path.
	file := filepath.Join(dir, fmt.Sprint(e.z16.Z), fmt.Sprint(e.z16.X), fmt.Sprint(e.z16.Y)+".pbf")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, rec.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-al", "-so", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"Layer name: admin_units", "Layer name: parcels", "Layer name: constructions",
		"commune_code: String", "official_area_m2: Real", "Feature Count:"} {
		if !strings.Contains(text, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "owner_name") {
		t.Errorf("ogrinfo shows a personal field:\n%s", text)
	}
}

// An imported (generic) layer that needs a key: hidden from anonymous callers, served to a key
// that may read it, privately, with its public attributes only.
func TestTiles_GenericRestrictedLayer(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	ctx := context.Background()
	db := storetest.Pool(t, e.url)
	if _, err := db.Exec(ctx, `INSERT INTO layers (id, title, storage, geometry_type, attributes, access, min_zoom, max_zoom)
		VALUES ('wells', 'Giếng khoan', 'generic', 'Point', '[
		  {"name": "depth", "type": "number", "visibility": "public"},
		  {"name": "drilled", "type": "date", "visibility": "public"},
		  {"name": "licensed", "type": "boolean", "visibility": "public"},
		  {"name": "owner", "type": "string", "visibility": "personal"},
		  {"name": "note", "type": "string", "visibility": "restricted"}]', 'restricted', 10, 22)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO layer_features (layer_id, properties, geom) VALUES
		('wells', '{"depth": 42.5, "drilled": "2020-01-02", "licensed": true, "owner": "Nguyễn Văn A", "note": "nội bộ"}',
		 ST_SetSRID(ST_MakePoint($1, $2), 4326))`, e.lon, e.lat); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.LoadCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	path := e.tilePath("wells", 16)
	if rec := fetch(t, e.h, path); rec.Code != http.StatusNotFound {
		t.Errorf("anonymous: %d, want 404 (a layer it may not read looks unknown)", rec.Code)
	}
	_, token, err := e.st.CreateKey(ctx, store.NewKey{Name: "tiles test", Scopes: []string{"wells:read"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := fetch(t, e.h, path, "Authorization", "Bearer "+token)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store (only keys with the scope may have it)", cc)
	}
	l := findLayer(decode(t, rec), "wells")
	if l == nil || len(l.Features) != 1 {
		t.Fatalf("wells layer %+v, want one feature", l)
	}
	p := l.Features[0].Properties
	if p["depth"] != 42.5 || p["drilled"] != "2020-01-02" || p["licensed"] != true {
		t.Errorf("properties %v, want depth 42.5, drilled 2020-01-02, licensed true", p)
	}
	for _, hidden := range []string{"owner", "note"} {
		if _, ok := p[hidden]; ok {
			t.Errorf("tile carries non-public attribute %s", hidden)
		}
	}
	if _, ok := l.Features[0].Geometry.(orb.Point); !ok {
		t.Errorf("geometry %T, want a point", l.Features[0].Geometry)
	}
}

// fakeTiles is a tile source without a database: the built-in catalog, and every tile the same
// small payload. It lets the HTTP layer be fuzzed and benchmarked alone.
type fakeTiles struct{ cat *store.Catalog }

func newFakeTiles() *fakeTiles {
	pub := func(name string) store.Attribute {
		return store.Attribute{Name: name, Type: "string", Visibility: store.VisibilityPublic}
	}
	return &fakeTiles{cat: store.NewCatalog(
		&store.Layer{ID: "admin_units", Storage: store.StorageTable, TableName: "admin_units", GeometryType: "MultiPolygon",
			Access: "public", MaxZoom: 22, Attributes: []store.Attribute{pub("code"), pub("valid_from"), pub("valid_to")},
			Temporal: &store.Temporal{Start: "valid_from", End: "valid_to"}},
		&store.Layer{ID: "parcels", Storage: store.StorageTable, TableName: "parcels", GeometryType: "MultiPolygon",
			Access: "public", MinZoom: 13, MaxZoom: 22, Attributes: []store.Attribute{pub("commune_code")}},
	)}
}

func (f *fakeTiles) Catalog() *store.Catalog { return f.cat }
func (f *fakeTiles) RenderTile(context.Context, store.TileQuery) ([]byte, error) {
	return []byte("\x1a\x00"), nil
}
func (f *fakeTiles) LayerStats(context.Context, *store.Catalog) ([]store.LayerStat, error) {
	return nil, nil
}

func fakeTileServer(cacheBytes int64) http.Handler {
	svc := tiles.New(newFakeTiles(), tiles.Options{CacheBytes: cacheBytes})
	return api.New(api.Config{Logger: slog.New(slog.DiscardHandler), Tiles: svc})
}

// FuzzTilePath: whatever the path and query, the tile routes answer 200, 204, 400 or 404 —
// never a 5xx — and every error is a problem.
func FuzzTilePath(f *testing.F) {
	for _, s := range []string{"admin_units/0/0/0.mvt", "parcels/16/52225/30700.mvt?date=2025-07-01",
		"admin_units,parcels.json", "parcels/23/0/0.mvt", "parcels/2/4/0.mvt", "nope/1/0/0.mvt", "parcels/1/0/0.png",
		"a/b/c/d/e", "parcels/01/00/00.mvt", "admin_units/1/1/1.mvt?date=2025-02-29", "%2e%2e/1/0/0.mvt",
		"parcels/14/13056/7675.mvt?filter=commune_code%3D%2725190%27", "parcels.json?filter=x%3D&filter-lang=cql2-json"} {
		f.Add(s)
	}
	h := fakeTileServer(1 << 20)
	f.Fuzz(func(t *testing.T, s string) {
		req, err := http.NewRequest("GET", "http://gisd.test/tiles/"+s, nil)
		if err != nil {
			return // not a URL a client could send
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNoContent:
		case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%q: %d with Content-Type %q", s, rec.Code, ct)
			}
		default:
			t.Errorf("%q: status %d (%s)", s, rec.Code, rec.Body)
		}
	})
}

// BenchmarkTiles_HTTPHit is the warm path through Gin: routing, parsing, a cache hit, writing.
func BenchmarkTiles_HTTPHit(b *testing.B) {
	h := fakeTileServer(64 << 20)
	path := "/tiles/admin_units,parcels/16/52225/30700.mvt"
	if rec := fetch(b, h, path); rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				panic(rec.Code)
			}
		}
	})
}

// A parcel with several purposes shows their codes joined by "+", in order.
func TestTiles_LandUseCodes(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	var id int64
	var lon, lat float64
	var want string
	err := storetest.Pool(t, e.url).QueryRow(context.Background(), `
		SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)),
		       (SELECT string_agg(x ->> 'code', '+' ORDER BY n) FROM jsonb_array_elements(land_use) WITH ORDINALITY AS a(x, n))
		FROM parcels WHERE jsonb_array_length(land_use) > 1 ORDER BY id LIMIT 1`).Scan(&id, &lon, &lat, &want)
	if err != nil {
		t.Fatal(err)
	}
	tl := maptile.At(orb.Point{lon, lat}, 17)
	ls := decode(t, fetch(t, e.h, fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)))
	for _, f := range findLayer(ls, "parcels").Features {
		if fmt.Sprint(f.ID) == fmt.Sprint(id) {
			if got := f.Properties["land_use"]; got != want || !strings.Contains(want, "+") {
				t.Errorf("parcel %d land_use %q, want %q", id, got, want)
			}
			return
		}
	}
	t.Errorf("parcel %d not in its tile", id)
}

// A CQL2 filter narrows every requested layer, has its own cache entries, and travels in the
// TileJSON tiles URL.
func TestTiles_Filter(t *testing.T) {
	e := newTileEnv(t, tiles.Options{})
	path := e.tilePath("parcels", 15)
	all := findLayer(decode(t, fetch(t, e.h, path)), "parcels")
	uses := map[string]int{}
	for _, f := range all.Features {
		uses[fmt.Sprint(f.Properties["main_use"])]++
	}
	var use string
	for u, n := range uses {
		if n < len(all.Features) && (use == "" || u < use) {
			use = u
		}
	}
	if use == "" {
		t.Fatalf("the tile has one main use only (%v): pick another", uses)
	}
	filter := "main_use = '" + use + "' AND parcel_no > 0"
	rec := fetch(t, e.h, path+"?filter="+url.QueryEscape(filter))
	if rec.Header().Get("X-Cache") != "MISS" {
		t.Errorf("filtered tile: X-Cache %q, want MISS (not the unfiltered entry)", rec.Header().Get("X-Cache"))
	}
	got := findLayer(decode(t, rec), "parcels")
	if got == nil || len(got.Features) != uses[use] {
		t.Fatalf("filter %q: %v features, want %d", filter, got, uses[use])
	}
	for _, f := range got.Features {
		if f.Properties["main_use"] != use {
			t.Errorf("feature %v has main_use %v", f.ID, f.Properties["main_use"])
		}
	}
	// The same filter in CQL2 JSON is the same predicate (its own cache entry).
	js := `{"op":"=","args":[{"property":"main_use"},"` + use + `"]}`
	if l := findLayer(decode(t, fetch(t, e.h, path+"?filter-lang=cql2-json&filter="+url.QueryEscape(js))), "parcels"); l == nil || len(l.Features) != uses[use] {
		t.Errorf("cql2-json filter: %v", l)
	}
	// A spatial filter: the parcel's own point.
	sp := fmt.Sprintf("S_INTERSECTS(geometry, POINT(%f %f))", e.lon, e.lat)
	if l := findLayer(decode(t, fetch(t, e.h, path+"?filter="+url.QueryEscape(sp))), "parcels"); l == nil || len(l.Features) != 1 || fmt.Sprint(l.Features[0].ID) != fmt.Sprint(e.pid) {
		t.Errorf("spatial filter: %+v, want parcel %d only", l, e.pid)
	}
	var tj struct {
		Tiles []string `json:"tiles"`
	}
	rec = fetch(t, e.h, "/tiles/parcels.json?filter="+url.QueryEscape(filter))
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil || len(tj.Tiles) != 1 || !strings.Contains(tj.Tiles[0], "filter="+url.QueryEscape(filter)) {
		t.Errorf("TileJSON tiles %v (%v), want the filter in the URL", tj.Tiles, err)
	}
}

// points lists the vertices of g.
func points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { out = append(out, p); return p })
	return out
}
