package tiles

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/dongnai-gis/gisd/geo"
)

var placeholder = regexp.MustCompile(`\$(\d+)`)

// checkPlaceholders verifies that the SQL uses exactly $1..$len(args), each at least once.
func checkPlaceholders(t *testing.T, q Query) {
	t.Helper()
	used := map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(q.SQL, -1) {
		n, _ := strconv.Atoi(m[1])
		used[n] = true
	}
	for i := 1; i <= len(q.Args); i++ {
		if !used[i] {
			t.Errorf("arg $%d (%v) is bound but never used", i, q.Args[i-1])
		}
	}
	if len(used) != len(q.Args) {
		t.Errorf("SQL uses %d distinct placeholders, %d args bound", len(used), len(q.Args))
	}
}

func TestBuildQuery_Composite(t *testing.T) {
	tile := geo.TileID{Z: 16, X: 52190, Y: 30700}
	q, err := BuildQuery(tile, []LayerQuery{{Layer: layer(t, "admin_units")}, {Layer: layer(t, "parcels")}, {Layer: layer(t, "constructions")}}, "2025-08-01")
	if err != nil {
		t.Fatal(err)
	}
	checkPlaceholders(t, q)
	if got := strings.Count(q.SQL, "ST_AsMVT("); got != 3 {
		t.Errorf("ST_AsMVT count = %d, want 3 (one per layer)", got)
	}
	if got := strings.Count(q.SQL, "\n || "); got != 2 {
		t.Errorf("layers joined by || %d times, want 2", got)
	}
	if strings.Count(q.SQL, "SELECT ST_TileEnvelope(") != 1 {
		t.Errorf("the envelope should be computed once:\n%s", q.SQL)
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
		if !strings.Contains(q.SQL, want) {
			t.Errorf("SQL lacks %q:\n%s", want, q.SQL)
		}
	}
	for _, never := range []string{"owner_name", "owner_id_number", "certificate_no", "permit_issuer"} {
		if strings.Contains(q.SQL, never) {
			t.Errorf("SQL selects non-public attribute %s", never)
		}
	}
	wantArgs := []any{int32(16), int32(52190), int32(30700), margin}
	for i, w := range wantArgs {
		if q.Args[i] != w {
			t.Errorf("arg $%d = %v, want %v", i+1, q.Args[i], w)
		}
	}
	if ids := argStrings(q, "admin_units", "parcels", "constructions"); ids != 3 {
		t.Errorf("layer names bound %d times, want 3", ids)
	}
}

func argStrings(q Query, ss ...string) int {
	n := 0
	for _, a := range q.Args {
		for _, s := range ss {
			if a == s {
				n++
			}
		}
	}
	return n
}

func TestBuildQuery_SQLDependsOnlyOnShape(t *testing.T) {
	layers := []LayerQuery{{Layer: layer(t, "parcels")}}
	a, _ := BuildQuery(geo.TileID{Z: 17, X: 104380, Y: 61400}, layers, "")
	b, _ := BuildQuery(geo.TileID{Z: 18, X: 1, Y: 2}, layers, "")
	if a.SQL != b.SQL {
		t.Errorf("SQL differs between tiles of the same shape:\n%s\n---\n%s", a.SQL, b.SQL)
	}
	c, _ := BuildQuery(geo.TileID{Z: 12, X: 1, Y: 2}, layers, "")
	if !strings.Contains(c.SQL, "ST_Simplify(") || strings.Contains(a.SQL, "ST_Simplify(") {
		t.Errorf("want ST_Simplify at z12 and not at z17")
	}
	if d, _ := BuildQuery(geo.TileID{Z: 13, X: 1, Y: 2}, layers, ""); strings.Contains(d.SQL, "ST_Simplify(") || strings.Contains(d.SQL, "ST_XMax(") {
		t.Errorf("want no ST_Simplify and no size filter from z13 (pixel of 1.2 m)")
	}
	if !strings.Contains(c.SQL, `ST_XMax("t"."geom"::box2d) - ST_XMin("t"."geom"::box2d) >= $`) {
		t.Errorf("want features smaller than a pixel skipped at z12:\n%s", c.SQL)
	}
}

func TestBuildQuery_Generic(t *testing.T) {
	q, err := BuildQuery(geo.TileID{Z: 14, X: 13047, Y: 7674}, []LayerQuery{{Layer: layer(t, "wells")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	checkPlaceholders(t, q)
	for _, want := range []string{
		`FROM env, "layer_features" AS "t"`,
		`"t"."layer_id" = $`,
		`(("t"."properties"->>'depth')::double precision)::double precision AS "depth"`,
		`(("t"."properties"->>'active')::boolean)::boolean AS "active"`,
		`(("t"."properties"->'meta'))::text AS "meta"`,
		`to_char(`,
	} {
		if !strings.Contains(q.SQL, want) {
			t.Errorf("SQL lacks %q:\n%s", want, q.SQL)
		}
	}
	if strings.Contains(q.SQL, "ST_XMax") {
		t.Errorf("a point layer must not be filtered by size:\n%s", q.SQL)
	}
	if argStrings(q, "wells") != 2 {
		t.Errorf("want the layer id bound twice (MVT name and layer_id filter), args %v", q.Args)
	}
}

func TestBuildQuery_Filter(t *testing.T) {
	f := &Filter{Key: "main_use='ONT'", SQL: func(alias string, first int) (string, []any, error) {
		return `"` + alias + `"."main_use" = $` + strconv.Itoa(first) + ` AND "` + alias + `"."sheet_no" > $` + strconv.Itoa(first+1), []any{"ONT", 3}, nil
	}}
	q, err := BuildQuery(geo.TileID{Z: 16, X: 1, Y: 1}, []LayerQuery{{Layer: layer(t, "parcels"), Filter: f}, {Layer: layer(t, "constructions")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	checkPlaceholders(t, q)
	n := -1
	for i, a := range q.Args {
		if a == "ONT" {
			n = i + 1
		}
	}
	want := `AND ("t"."main_use" = $` + strconv.Itoa(n) + ` AND "t"."sheet_no" > $` + strconv.Itoa(n+1) + `)`
	if n < 0 || !strings.Contains(q.SQL, want) || q.Args[n] != 3 {
		t.Errorf("SQL lacks %q or args %v:\n%s", want, q.Args, q.SQL)
	}
	bad := &Filter{Key: "x", SQL: func(string, int) (string, []any, error) { return "", nil, errors.New("boom") }}
	if _, err := BuildQuery(geo.TileID{Z: 16}, []LayerQuery{{Layer: layer(t, "parcels"), Filter: bad}}, ""); err == nil {
		t.Error("a failing filter must fail the query")
	}
}

func TestBuildQuery_Errors(t *testing.T) {
	if _, err := BuildQuery(geo.TileID{}, nil, ""); !errors.Is(err, ErrNoLayers) {
		t.Errorf("no layers: err = %v, want ErrNoLayers", err)
	}
	if _, err := BuildQuery(geo.TileID{}, []LayerQuery{{Layer: layer(t, "admin_units")}}, ""); err == nil {
		t.Error("a temporal layer without a date must fail")
	}
}

func TestInZoom(t *testing.T) {
	p := layer(t, "parcels")
	for z, want := range map[uint32]bool{12: false, 13: true, 22: true} {
		if got := InZoom(p, z); got != want {
			t.Errorf("InZoom(parcels, %d) = %v, want %v", z, got, want)
		}
	}
}

func TestFitMercator(t *testing.T) {
	at := func(lon, lat float64, z uint32) geo.TileID {
		for tile := range geo.TilesCovering(orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon, lat}}, z) {
			return tile
		}
		t.Fatalf("no tile at %v,%v z%d", lon, lat, z)
		return geo.TileID{}
	}
	for _, tc := range []struct {
		name     string
		lon, lat float64
		z        uint32
		ok       bool
	}{
		{"Đồng Xoài z13", 106.89, 11.53, 13, true},
		{"Đồng Xoài z18", 106.89, 11.53, 18, true},
		{"Đồng Xoài z12", 106.89, 11.53, 12, false},
		{"Hà Giang z13", 105.0, 23.0, 13, false},
		{"Hà Giang z14", 105.0, 23.0, 14, true},
		{"equator z10", 0.5, 0.1, 10, true},
		{"z0", 0, 0, 0, false},
	} {
		tile := at(tc.lon, tc.lat, tc.z)
		f := fitMercator(tile)
		if f.ok != tc.ok {
			t.Errorf("%s: affine %v, want %v", tc.name, f.ok, tc.ok)
		}
		if !f.ok {
			continue
		}
		// The map is exact at the tile's corners and within maxFitError units inside.
		mb, b := tile.MercatorBound(), tile.Bound()
		unit := (mb.Max[0] - mb.Min[0]) / Extent
		for _, c := range [][2]orb.Point{{b.Min, mb.Min}, {b.Max, mb.Max}} {
			x, y := f.ax*c[0][0], f.ay*c[0][1]+f.by
			if dx, dy := math.Abs(x-c[1][0])/unit, math.Abs(y-c[1][1])/unit; dx > 1e-6 || dy > maxFitError {
				t.Errorf("%s: corner %v maps %v units off in x and %v in y", tc.name, c[0], dx, dy)
			}
		}
		mid := b.Center()
		if dy := math.Abs(f.ay*mid[1]+f.by-mercatorY(mid[1])) / unit; dy > maxFitError {
			t.Errorf("%s: centre %v units off", tc.name, dy)
		}
	}
	if q, _ := BuildQuery(at(106.89, 11.53, 12), []LayerQuery{{Layer: layer(t, "parcels")}}, ""); strings.Contains(q.SQL, "ST_Affine") {
		t.Errorf("z12 at 11.5°N should use ST_Transform only")
	}
}
