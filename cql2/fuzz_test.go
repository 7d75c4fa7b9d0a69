package cql2

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks, for any input, that the parser neither panics nor loops, that every failure
// is a *SyntaxError pointing inside the input, that whatever parses renders to canonical text
// that parses back to the same text, and that compiling it puts no client text into the SQL.
// The seed corpus lives in testdata/fuzz/FuzzParse; run it with
//
//	go test ./cql2 -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"main_use = 'CLN'",
		"a = 1 AND (b <> 2 OR NOT c >= 3.5e-2)",
		"address NOT LIKE '%Lộc%' AND sheet_no NOT BETWEEN 1 AND 9",
		"main_use IN ('ONT', 'ODT') AND legal_area_m2 IS NOT NULL",
		"valid_from <= DATE('2025-07-01') AND updated_at > TIMESTAMP('2025-07-01T00:00:00+07:00')",
		"CASEI(address) LIKE ACCENTI('%dong xoai%')",
		"S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0), (0.1 0.1, 0.2 0.1, 0.2 0.2, 0.1 0.1)))",
		"S_DWITHIN(geometry, POINT(106.9 11.5), 2.5, km)",
		"S_WITHIN(geometry, BBOX(106, 11, 107, 12)) OR S_CONTAINS(geometry, MULTIPOINT((1 2), 3 4))",
		"S_CROSSES(geometry, GEOMETRYCOLLECTION(POINT(1 2), MULTILINESTRING((0 0, 1 1))))",
		`"quoted ""name""" = 'it''s'`,
		"active = TRUE AND FALSE",
		"(((a = 1)))",
		"a = -0.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v is not a *SyntaxError", s, err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("Parse(%q) error position %d (%d:%d) outside the input", s, se.Offset, se.Line, se.Column)
			}
			return
		}
		text := e.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) rendered %q, which does not parse: %v", s, text, err)
		}
		if again.String() != text {
			t.Fatalf("canonical text is not stable: %q -> %q", text, again.String())
		}
		checkCompile(t, e)
	})
}

// FuzzParseJSON is FuzzParse for CQL2 JSON; what parses must also render to text that parses.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"op": "=", "args": [{"property": "main_use"}, "CLN"]}`,
		`{"op": "and", "args": [{"op": "<", "args": [{"property": "a"}, 1]}, {"op": "not", "args": [{"op": "isNull", "args": [{"property": "b"}]}]}]}`,
		`{"op": "in", "args": [{"property": "a"}, ["x", "y"]]}`,
		`{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}]}`,
		`{"op": "s_dwithin", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [106.9, 11.5]}, 100]}`,
		`{"op": "between", "args": [{"property": "d"}, {"date": "2020-01-01"}, {"timestamp": "2025-01-01T00:00:00Z"}]}`,
		`{"op": "s_within", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3, 4]}]}`,
		`{"op": "like", "args": [{"op": "casei", "args": [{"property": "a"}]}, "x%"]}`,
		`true`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseJSON(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseJSON error %T %v is not a *SyntaxError", err, err)
			}
			if se.Offset > len(data) {
				t.Fatalf("ParseJSON error offset %d beyond the input", se.Offset)
			}
			return
		}
		text := e.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("ParseJSON rendered %q, which does not parse as text: %v", text, err)
		}
		if again.String() != text {
			t.Fatalf("canonical text is not stable: %q -> %q", text, again.String())
		}
		checkCompile(t, e)
	})
}

// fuzzResolver accepts every name (so compilation is exercised whatever the fuzzer invents),
// typed by its first letter.
type fuzzResolver struct{}

func (fuzzResolver) Column(name string) (Column, error) {
	if name == "" || strings.ContainsAny(name, `"'\;`) || len(name) > 63 {
		return Column{}, &Error{Kind: ErrProperty, Property: name, Msg: "unknown property"}
	}
	types := []Type{TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeDate, TypeTimestamp, TypeGeometry}
	if name == "geometry" {
		return Column{SQL: `"t"."geom"`, Type: TypeGeometry, SRID: 4326}, nil
	}
	return Column{SQL: `"t"."c"`, Type: types[int(name[0])%len(types)], SRID: 4326}, nil
}

func checkCompile(t *testing.T, e Expr) {
	t.Helper()
	for _, crs := range []string{"CRS84", "EPSG:4326", "EPSG:9212"} {
		sql, args, err := Compile(e, fuzzResolver{}, Options{CRS: mustCRS(crs)})
		if err != nil {
			if !errors.Is(err, ErrType) && !errors.Is(err, ErrProperty) {
				t.Fatalf("Compile(%s) error %v wraps neither ErrType nor ErrProperty", e, err)
			}
			continue
		}
		if strings.ContainsAny(sql, `'\;`) {
			t.Fatalf("Compile(%s) = %s: client text in the SQL", e, sql)
		}
		if len(args) > MaxParams {
			t.Fatalf("Compile(%s): %d args", e, len(args))
		}
	}
}
