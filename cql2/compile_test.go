package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/dongnai-gis/gisd/geo"
)

func wkbPoint(x, y float64) []byte { return wkb.MustMarshal(orb.Point{x, y}) }

// testResolver stands in for the catalog: a parcels-like layer with one personal attribute.
type testResolver map[string]Column

func (r testResolver) Column(name string) (Column, error) {
	if name == "owner_name" {
		return Column{}, &Error{Kind: ErrProperty, Property: name, Msg: "owner_name is personal data and cannot be filtered on"}
	}
	c, ok := r[name]
	if !ok {
		return Column{}, &Error{Kind: ErrProperty, Property: name, Msg: "unknown property " + name}
	}
	return c, nil
}

var parcels = testResolver{
	"main_use":         {SQL: `"t"."main_use"`, Type: TypeString},
	"address":          {SQL: `"t"."address"`, Type: TypeString},
	"sheet_no":         {SQL: `"t"."sheet_no"`, Type: TypeInteger},
	"official_area_m2": {SQL: `"t"."official_area_m2"`, Type: TypeNumber},
	"valid_from":       {SQL: `"t"."valid_from"`, Type: TypeDate},
	"updated_at":       {SQL: `"t"."updated_at"`, Type: TypeTimestamp},
	"active":           {SQL: `"t"."active"`, Type: TypeBoolean},
	"geometry":         {SQL: `"t"."geom"`, Type: TypeGeometry, SRID: 4326},
}

func TestCompile(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	tests := []struct {
		name     string
		filter   string
		opt      Options
		wantSQL  string
		wantArgs []any
	}{
		{"string equality", "main_use = 'CLN'", Options{},
			`("t"."main_use" = $1::text)`, []any{"CLN"}},
		{"first param offset", "main_use = 'CLN'", Options{FirstParam: 4},
			`("t"."main_use" = $4::text)`, []any{"CLN"}},
		{"integer keeps index type", "sheet_no >= 12", Options{},
			`("t"."sheet_no" >= $1::bigint)`, []any{int64(12)}},
		{"fraction against integer", "sheet_no < 12.5", Options{},
			`("t"."sheet_no" < $1::numeric)`, []any{12.5}},
		{"number", "official_area_m2 BETWEEN 100 AND 250.5", Options{},
			`("t"."official_area_m2" BETWEEN $1::bigint AND $2::numeric)`, []any{int64(100), 250.5}},
		{"and or not", "main_use = 'ONT' AND NOT (sheet_no = 1 OR sheet_no = 2)", Options{},
			`(("t"."main_use" = $1::text) AND NOT ((("t"."sheet_no" = $2::bigint) OR ("t"."sheet_no" = $3::bigint))))`,
			[]any{"ONT", int64(1), int64(2)}},
		{"like", "address LIKE '%Lộc Ninh%'", Options{},
			`("t"."address" LIKE $1::text)`, []any{"%Lộc Ninh%"}},
		{"not like casei", "CASEI(address) NOT LIKE CASEI('%ấp%')", Options{},
			`(lower("t"."address") NOT LIKE lower($1::text))`, []any{"%ấp%"}},
		{"accenti", "ACCENTI(address) LIKE ACCENTI('%loc ninh%')", Options{},
			`(gisd_fold("t"."address") LIKE gisd_fold($1::text))`, []any{"%loc ninh%"}},
		{"in", "main_use IN ('ONT', 'ODT')", Options{},
			`("t"."main_use" IN ($1::text, $2::text))`, []any{"ONT", "ODT"}},
		{"not in", "sheet_no NOT IN (1)", Options{},
			`("t"."sheet_no" NOT IN ($1::bigint))`, []any{int64(1)}},
		{"is null", "address IS NOT NULL", Options{},
			`("t"."address" IS NOT NULL)`, nil},
		{"date", "valid_from <= DATE('2025-07-01')", Options{},
			`("t"."valid_from" <= $1::date)`, []any{d("2025-07-01")}},
		{"date as string", "valid_from > '2025-07-01'", Options{},
			`("t"."valid_from" > $1::date)`, []any{d("2025-07-01")}},
		{"boolean", "active = TRUE", Options{},
			`("t"."active" = $1::boolean)`, []any{true}},
		{"literal first", "'CLN' = main_use", Options{},
			`($1::text = "t"."main_use")`, []any{"CLN"}},
		{"property with property", "sheet_no < official_area_m2", Options{},
			`("t"."sheet_no" < "t"."official_area_m2")`, nil},
		{"true", "TRUE", Options{}, `TRUE`, nil},
		{"s_intersects crs84", "S_INTERSECTS(geometry, POINT(106.9 11.5))", Options{},
			`ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`,
			[]any{wkbPoint(106.9, 11.5), 4326}},
		{"s_within epsg:4326 is lat/lon", "S_WITHIN(geometry, POINT(11.5 106.9))", Options{CRS: mustCRS("EPSG:4326")},
			`ST_Within("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`,
			[]any{wkbPoint(106.9, 11.5), 4326}},
		{"s_contains vn2000 literal is transformed, not the column", "S_CONTAINS(geometry, POINT(569613.688 1275708.641))",
			Options{CRS: mustCRS("EPSG:9212")},
			`ST_Contains("t"."geom", (SELECT ST_Transform(ST_GeomFromWKB($1::bytea, $2::integer), $3::integer)))`,
			[]any{wkbPoint(569613.688, 1275708.641), 9212, 4326}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			sql, args, err := Compile(e, parcels, tc.opt)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.filter, err)
			}
			if sql != tc.wantSQL {
				t.Errorf("Compile(%q) SQL\n got %s\nwant %s", tc.filter, sql, tc.wantSQL)
			}
			if !reflect.DeepEqual(args, tc.wantArgs) {
				t.Errorf("Compile(%q) args\n got %#v\nwant %#v", tc.filter, args, tc.wantArgs)
			}
		})
	}
}

func TestCompile_DWithin(t *testing.T) {
	e, err := Parse("S_DWITHIN(geometry, POINT(106.9 11.5), 250)")
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := Compile(e, parcels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `(ST_DWithin("t"."geom"::geography, (SELECT ST_GeomFromWKB($1::bytea, $2::integer))::geography, $3::double precision)` +
		` AND "t"."geom" && ST_Expand((SELECT ST_GeomFromWKB($1::bytea, $2::integer)), $4::double precision, $5::double precision))`
	if sql != want {
		t.Errorf("SQL\n got %s\nwant %s", sql, want)
	}
	if len(args) != 5 || args[2] != 250.0 {
		t.Fatalf("args = %v", args)
	}
	// The box must hold every point within 250 m: at 11.5°N a degree of longitude is about
	// 109.1 km, a degree of latitude about 110.6 km.
	dx, dy := args[3].(float64), args[4].(float64)
	if dx*109000 < 250 || dy*110500 < 250 || dx*109000 > 260 || dy*110500 > 260 {
		t.Errorf("expansion %g°, %g° does not cover 250 m tightly", dx, dy)
	}
}

func TestCompile_Errors(t *testing.T) {
	tests := []struct {
		name, filter string
		kind         error
		contains     string
	}{
		{"personal property", "owner_name = 'A'", ErrProperty, "personal"},
		{"personal inside or", "main_use = 'CLN' OR owner_name LIKE 'A%'", ErrProperty, "owner_name"},
		{"unknown property", "colour = 'red'", ErrProperty, "unknown property colour"},
		{"number against text", "main_use = 5", ErrType, "quote it"},
		{"text against integer", "sheet_no = '5'", ErrType, "integer"},
		{"like on number", "sheet_no LIKE '1%'", ErrType, "LIKE needs text"},
		{"geometry compared", "geometry = 'x'", ErrType, "S_INTERSECTS"},
		{"spatial on non-geometry", "S_INTERSECTS(main_use, POINT(1 2))", ErrType, "not a geometry"},
		{"date vs bool", "valid_from = TRUE", ErrType, "date"},
		{"incompatible properties", "main_use = sheet_no", ErrType, "cannot compare"},
		{"casei on number", "CASEI(sheet_no) = 'x'", ErrType, "needs text"},
		{"lon out of range", "S_INTERSECTS(geometry, POINT(200 11))", ErrType, "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Compile(e, parcels, Options{})
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Compile(%q) = %v, want %v", tc.filter, err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

func TestCompile_NoFilterTextInSQL(t *testing.T) {
	// Whatever a client writes, only catalog SQL, operators and placeholders reach the SQL text.
	nasty := `address = 'x''); DROP TABLE parcels; --' OR main_use IN ('a'';', 'b') OR address LIKE '%''%'`
	e, err := Parse(nasty)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := Compile(e, parcels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"DROP", "'", ";", "--"} {
		if strings.Contains(sql, bad) {
			t.Errorf("SQL %s contains %q", sql, bad)
		}
	}
	if len(args) != 4 {
		t.Errorf("got %d args, want 4", len(args))
	}
}

func mustCRS(s string) geo.CRS {
	c, err := geo.ParseCRS(s)
	if err != nil {
		panic(err)
	}
	return c
}

// TestCompile_LiteralSRID covers geometry literals that carry their own CRS (GML geometries
// in FES filters): their coordinates are already x first, so Options.CRS neither swaps nor
// labels them.
func TestCompile_LiteralSRID(t *testing.T) {
	geom := Property{Name: "geometry"}
	tests := []struct {
		name     string
		e        Expr
		opt      Options
		wantSQL  string
		wantArgs []any
	}{
		{"x-first 4326 literal under a lat/lon filter CRS is not swapped",
			Spatial{Op: SIntersects, Left: geom, Right: Geometry{Geom: orb.Point{106.9, 11.5}, SRID: 4326}}, Options{CRS: mustCRS("EPSG:4326")},
			`ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`, []any{wkbPoint(106.9, 11.5), 4326}},
		{"VN-2000 literal under a 4326 filter CRS is transformed from 9212",
			Spatial{Op: SWithin, Left: geom, Right: Geometry{Geom: orb.Point{569613.688, 1275708.641}, SRID: 9212}}, Options{CRS: mustCRS("EPSG:4326")},
			`ST_Within("t"."geom", (SELECT ST_Transform(ST_GeomFromWKB($1::bytea, $2::integer), $3::integer)))`,
			[]any{wkbPoint(569613.688, 1275708.641), 9212, 4326}},
		{"bbox with its own SRID",
			Spatial{Op: SIntersects, Left: geom, Right: BBox{Bound: orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107, 12}}, SRID: 4326}}, Options{CRS: mustCRS("EPSG:9212")},
			`ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`,
			[]any{wkb.MustMarshal(orb.Bound{Min: orb.Point{106, 11}, Max: orb.Point{107, 12}}.ToPolygon()), 4326}},
		{"literal without SRID still follows Options.CRS",
			Spatial{Op: SIntersects, Left: geom, Right: Geometry{Geom: orb.Point{11.5, 106.9}}}, Options{CRS: mustCRS("EPSG:4326")},
			`ST_Intersects("t"."geom", (SELECT ST_GeomFromWKB($1::bytea, $2::integer)))`, []any{wkbPoint(106.9, 11.5), 4326}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, args, err := Compile(tc.e, parcels, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tc.wantSQL {
				t.Errorf("SQL\n got %s\nwant %s", sql, tc.wantSQL)
			}
			if !reflect.DeepEqual(args, tc.wantArgs) {
				t.Errorf("args\n got %#v\nwant %#v", args, tc.wantArgs)
			}
		})
	}

	t.Run("dwithin prefilter sized from the literal's own CRS", func(t *testing.T) {
		e := DWithin{Left: geom, Right: Geometry{Geom: orb.Point{569613.688, 1275708.641}, SRID: 9212}, Distance: 250}
		_, args, err := Compile(e, parcels, Options{CRS: mustCRS("EPSG:4326")})
		if err != nil {
			t.Fatal(err)
		}
		// 250 m is about 0.00229° of latitude; a prefilter computed as if the metres were
		// degrees (or lat/lon swapped) would be far off.
		if len(args) != 6 || args[5].(float64) < 0.0022 || args[5].(float64) > 0.0024 {
			t.Errorf("args = %v, want a latitude expansion of about 0.0023°", args)
		}
	})
	t.Run("unsupported literal SRID", func(t *testing.T) {
		e := Spatial{Op: SIntersects, Left: geom, Right: Geometry{Geom: orb.Point{1, 2}, SRID: 27700}}
		if _, _, err := Compile(e, parcels, Options{}); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "EPSG:27700") {
			t.Errorf("err = %v, want ErrType naming EPSG:27700", err)
		}
	})
	t.Run("literal SRID range check uses its CRS", func(t *testing.T) {
		e := Spatial{Op: SIntersects, Left: geom, Right: Geometry{Geom: orb.Point{11.5, 106.9}, SRID: 4326}}
		if _, _, err := Compile(e, parcels, Options{CRS: mustCRS("EPSG:4326")}); !errors.Is(err, ErrType) {
			t.Errorf("latitude 106.9 in an x-first 4326 literal: err = %v, want ErrType", err)
		}
	})
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Number
		ok   bool
	}{
		{"12", Number{Value: 12, Int: 12, IsInt: true}, true},
		{"-9007199254740993", Number{Value: -9007199254740993, Int: -9007199254740993, IsInt: true}, true},
		{"12.5", Number{Value: 12.5}, true},
		{"1e3", Number{Value: 1000}, true},
		{"-0.0", Number{Value: 0}, true},
		{"NaN", Number{}, false},
		{"1e999", Number{}, false},
		{"12a", Number{}, false},
	} {
		got, err := ParseNumber(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("ParseNumber(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
