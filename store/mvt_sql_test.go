package store_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/cql2"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/store/storetest"
)

var placeholder = regexp.MustCompile(`\$(\d+)`)

// tileSQL is the tile statement for q, checked to use exactly $1..$len(args), each at least once.
func tileSQL(t *testing.T, q store.TileQuery) (string, []any) {
	t.Helper()
	sql, args, err := store.TileSQLForTest(q)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		n, _ := strconv.Atoi(m[1])
		used[n] = true
	}
	for i := 1; i <= len(args); i++ {
		if !used[i] {
			t.Errorf("arg $%d (%v) is bound but never used", i, args[i-1])
		}
	}
	if len(used) != len(args) {
		t.Errorf("SQL uses %d distinct placeholders, %d args bound", len(used), len(args))
	}
	return sql, args
}

func layers(tb testing.TB, ids ...string) []*store.Layer {
	out := make([]*store.Layer, len(ids))
	for i, id := range ids {
		out[i] = storetest.Layer(tb, id)
	}
	return out
}

func countArgs(args []any, vs ...any) int {
	n := 0
	for _, a := range args {
		for _, v := range vs {
			if a == v {
				n++
			}
		}
	}
	return n
}

func TestTileSQL_Composite(t *testing.T) {
	q := store.TileQuery{Tile: geo.TileID{Z: 16, X: 52190, Y: 30700}, Layers: layers(t, "admin_units", "parcels", "constructions"),
		Extent: 4096, Buffer: 64, Date: "2025-08-01", Affine: &store.Affine{XScale: 111319.5, YScale: 113000, YOffset: -3000}}
	sql, args := tileSQL(t, q)
	if got := strings.Count(sql, "ST_AsMVT("); got != 3 {
		t.Errorf("ST_AsMVT count = %d, want 3 (one per layer)", got)
	}
	if got := strings.Count(sql, "\n || "); got != 2 {
		t.Errorf("layers joined by || %d times, want 2", got)
	}
	if strings.Count(sql, "SELECT ST_TileEnvelope(") != 1 {
		t.Errorf("the envelope should be computed once:\n%s", sql)
	}
	for _, want := range []string{
		"ST_Transform(ST_ClipByBox2D(ST_TileEnvelope($1, $2, $3, margin => $4), ST_TileEnvelope(0, 0, 0)), 4326)",
		`"t"."geom" && env.query`,
		`ST_AsMVTGeom(CASE WHEN "t"."geom" @ env.query THEN ST_Affine("t"."geom", $6, 0, 0, $7, 0, $8) ELSE ST_Transform("t"."geom", 3857) END, env.tile, 4096, 64, true)`,
		"'GEOM', 'ID'",
		`"t"."id" AS "ID"`,
		`CASE WHEN jsonb_array_length("t"."land_use") = 1 THEN "t"."land_use" -> 0 ->> 'code' ELSE translate(jsonb_path_query_array("t"."land_use", '$[*].code')::text, ',[]" ', '+') END AS "land_use"`,
		`("t"."official_area_m2")::double precision AS "official_area_m2"`,
		`("t"."sheet_no")::bigint AS "sheet_no"`,
		`"t"."valid_to" > $9::date`,
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	for _, never := range []string{"owner_name", "owner_id_number", "certificate_no", "permit_issuer", "ST_Simplify", "ST_XMax"} {
		if strings.Contains(sql, never) {
			t.Errorf("SQL has %s", never)
		}
	}
	for i, w := range []any{int32(16), int32(52190), int32(30700), 64.0 / 4096, "admin_units", 111319.5, 113000.0, -3000.0, "2025-08-01"} {
		if args[i] != w {
			t.Errorf("arg $%d = %v, want %v", i+1, args[i], w)
		}
	}
	if n := countArgs(args, "admin_units", "parcels", "constructions"); n != 3 {
		t.Errorf("layer names bound %d times, want 3", n)
	}
}

// The text depends on the query's shape, never on the tile or the values, so prepared
// statements are reused; each generalization the caller asks for appears in it.
func TestTileSQL_DependsOnlyOnShape(t *testing.T) {
	base := store.TileQuery{Layers: layers(t, "parcels"), Extent: 4096, Buffer: 64}
	shape := func(tile geo.TileID, simplify float64, size store.MinSize, fit *store.Affine) string {
		q := base
		q.Tile, q.Simplify, q.MinSize, q.Affine = tile, simplify, size, fit
		sql, _ := tileSQL(t, q)
		return sql
	}
	a := shape(geo.TileID{Z: 17, X: 104380, Y: 61400}, 0, store.MinSize{}, &store.Affine{1, 2, 3})
	if b := shape(geo.TileID{Z: 18, X: 1, Y: 2}, 0, store.MinSize{}, &store.Affine{4, 5, 6}); a != b {
		t.Errorf("SQL differs between tiles of the same shape:\n%s\n---\n%s", a, b)
	}
	low := shape(geo.TileID{Z: 12, X: 1, Y: 2}, 38.2, store.MinSize{Lon: 0.02, Lat: 0.019}, nil)
	if low != shape(geo.TileID{Z: 11, X: 5, Y: 6}, 76.4, store.MinSize{Lon: 0.04, Lat: 0.038}, nil) {
		t.Error("SQL differs between two generalized tiles")
	}
	for _, want := range []string{
		`ST_AsMVTGeom(ST_Simplify(ST_Transform("t"."geom", 3857), $6, true), env.tile, 4096, 64, true)`,
		`ST_XMax("t"."geom"::box2d) - ST_XMin("t"."geom"::box2d) >= $7 OR ST_YMax("t"."geom"::box2d) - ST_YMin("t"."geom"::box2d) >= $8`,
	} {
		if !strings.Contains(low, want) {
			t.Errorf("generalized SQL lacks %q:\n%s", want, low)
		}
	}
	if strings.Contains(a, "ST_Simplify(") || strings.Contains(a, "ST_XMax(") || strings.Contains(low, "ST_Affine") {
		t.Errorf("want neither simplification nor size filter unless asked, and ST_Transform without an affine map")
	}
}

func TestTileSQL_Generic(t *testing.T) {
	q := store.TileQuery{Tile: geo.TileID{Z: 12, X: 3262, Y: 1918}, Layers: layers(t, "wells"), Extent: 4096, Buffer: 64,
		Simplify: 38.2, MinSize: store.MinSize{Lon: 0.02, Lat: 0.019}}
	sql, args := tileSQL(t, q)
	for _, want := range []string{
		`FROM env, "layer_features" AS "t"`,
		`"t"."layer_id" = $`,
		`(("t"."properties"->>'depth')::double precision)::double precision AS "depth"`,
		`(("t"."properties"->>'active')::boolean)::boolean AS "active"`,
		`(("t"."properties"->'meta'))::text AS "meta"`,
		`to_char(`,
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL lacks %q:\n%s", want, sql)
		}
	}
	if strings.Contains(sql, "ST_XMax") || strings.Contains(sql, "ST_Simplify") {
		t.Errorf("a point layer must be neither simplified nor filtered by size:\n%s", sql)
	}
	if countArgs(args, "wells") != 2 {
		t.Errorf("want the layer id bound twice (MVT name and layer_id filter), args %v", args)
	}
	// A layer of mixed types keeps its points in the size filter.
	q.Layers = layers(t, "secret")
	if sql, _ := tileSQL(t, q); !strings.Contains(sql, `AND (ST_Dimension("t"."geom") = 0 OR ST_XMax(`) {
		t.Errorf("mixed layer: points must pass the size filter:\n%s", sql)
	}
}

func TestTileSQL_FilterAndTime(t *testing.T) {
	f, err := cql2.Parse("main_use = 'ONT' AND sheet_no > 3")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 1, 1, 17, 0, 0, 0, time.UTC)
	q := store.TileQuery{Tile: geo.TileID{Z: 16, X: 1, Y: 1}, Layers: layers(t, "parcels", "constructions"), Extent: 4096, Buffer: 64, Filter: f}
	q.Layers[1].Attributes = append(q.Layers[1].Attributes, store.Attribute{Name: "main_use", Type: "string", Visibility: store.VisibilityPublic},
		store.Attribute{Name: "sheet_no", Type: "integer", Visibility: store.VisibilityPublic})
	sql, args := tileSQL(t, q)
	n := -1
	for i, a := range args {
		if a == "ONT" && n < 0 {
			n = i + 1
		}
	}
	want := `AND ((("t"."main_use" = $` + strconv.Itoa(n) + `::text) AND ("t"."sheet_no" > $` + strconv.Itoa(n+1) + `::bigint)))`
	if n < 0 || !strings.Contains(sql, want) {
		t.Errorf("SQL lacks %q or args %v:\n%s", want, args, sql)
	}
	if got := countArgs(args, "ONT"); got != 2 {
		t.Errorf("the filter is bound %d times, want once per layer (2)", got)
	}
	// A filter a layer cannot evaluate fails the statement; CheckFilter says so first.
	q.Layers = layers(t, "wells")
	if _, _, err := store.TileSQLForTest(q); !errors.Is(err, cql2.ErrProperty) {
		t.Errorf("filter on an unknown property: %v, want cql2.ErrProperty", err)
	}
	if err := storetest.Layer(t, "wells").CheckFilter(f, geo.CRS{}); !errors.Is(err, cql2.ErrProperty) {
		t.Errorf("CheckFilter: %v, want cql2.ErrProperty", err)
	}
	personal, _ := cql2.Parse("owner_name = 'x'")
	if err := storetest.Layer(t, "parcels").CheckFilter(personal, geo.CRS{}); !errors.Is(err, cql2.ErrProperty) {
		t.Errorf("filter on a personal attribute: %v, want cql2.ErrProperty", err)
	}

	// Layers without valid time are read as of the instant; admin_units by its valid time.
	q = store.TileQuery{Tile: geo.TileID{Z: 16, X: 1, Y: 1}, Layers: layers(t, "admin_units", "parcels", "wells"), Extent: 4096, Buffer: 64,
		Date: "2024-01-01", AsOf: &at}
	sql, args = tileSQL(t, q)
	if !strings.Contains(sql, `"parcels_history" WHERE sys_from <= $`) || !strings.Contains(sql, `"layer_features_history" WHERE sys_from <= $`) {
		t.Errorf("want parcels and wells read as of the instant:\n%s", sql)
	}
	if strings.Contains(sql, "admin_units_history") || !strings.Contains(sql, `"t"."valid_from" <= $`) {
		t.Errorf("admin_units must be read by its valid time, not its history:\n%s", sql)
	}
	if countArgs(args, at) != 1 || countArgs(args, "2024-01-01") != 1 {
		t.Errorf("want the instant and the date bound once each, args %v", args)
	}
}

func TestTileSQL_Errors(t *testing.T) {
	if _, _, err := store.TileSQLForTest(store.TileQuery{Extent: 4096}); !errors.Is(err, store.ErrNoLayers) {
		t.Errorf("no layers: err = %v, want ErrNoLayers", err)
	}
	if _, _, err := store.TileSQLForTest(store.TileQuery{Layers: layers(t, "admin_units"), Extent: 4096}); err == nil {
		t.Error("a temporal layer without a date must fail")
	}
	if _, _, err := store.TileSQLForTest(store.TileQuery{Layers: layers(t, "parcels")}); err == nil {
		t.Error("a query without an extent must fail")
	}
}

// A composite tile of three layers is one statement, and it renders every layer.
func TestRenderTile_CompositeIsOneStatement(t *testing.T) {
	st, pool, qc := tracedStore(t, storetest.Demo(t))
	// A point on a parcel with a construction: its tiles hold all three layers.
	var lon, lat float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(c), ST_Y(c) FROM parcels p
		CROSS JOIN LATERAL (SELECT ST_PointOnSurface(p.geom) AS c) x
		WHERE EXISTS (SELECT 1 FROM constructions k WHERE k.geom && p.geom) ORDER BY p.id LIMIT 1`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	cat := st.Catalog()
	var ls []*store.Layer
	for _, id := range []string{"admin_units", "parcels", "constructions"} {
		l, ok := cat.Layer(id)
		if !ok {
			t.Fatalf("no layer %s", id)
		}
		ls = append(ls, l)
	}
	for z := uint32(15); z <= 17; z++ {
		for tile := range geo.TilesCovering(orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon, lat}}, z) {
			qc.take()
			mvt, err := st.RenderTile(context.Background(), store.TileQuery{Tile: tile, Layers: ls, Extent: 4096, Buffer: 64, Date: "2025-08-01"})
			if err != nil {
				t.Fatalf("tile %s: %v", tile, err)
			}
			sqls := qc.take()
			if len(sqls) != 1 || strings.Count(sqls[0], "ST_AsMVT(") != 3 {
				t.Errorf("tile %s: %d statements (%.200q), want 1 with three ST_AsMVT", tile, len(sqls), sqls)
			}
			for _, name := range []string{"admin_units", "parcels", "constructions"} {
				if !strings.Contains(string(mvt), name) {
					t.Errorf("tile %s: no %s layer in %d bytes", tile, name, len(mvt))
				}
			}
		}
	}
}

// BenchmarkTileSQL builds the statement of a three-layer tile, the work a cache miss does before
// PostgreSQL sees the tile.
func BenchmarkTileSQL(b *testing.B) {
	q := store.TileQuery{Tile: geo.TileID{Z: 16, X: 52190, Y: 30700}, Layers: layers(b, "admin_units", "parcels", "constructions"),
		Extent: 4096, Buffer: 64, Date: "2025-08-01", Affine: &store.Affine{XScale: 111319.5, YScale: 113000, YOffset: -3000}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := store.TileSQLForTest(q); err != nil {
			b.Fatal(err)
		}
	}
}
